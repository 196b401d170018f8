// The search's reliability: nothing it prints or answers depends on how fast the machine is, and a
// time budget ends with a valid layout whenever the constructive pass finds one.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignDomain, constructiveLayout } from '../../src/assign.js';
import { PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import type { Progress } from '../../src/optimal/solve.js';
import { generateDomain } from '../../src/generate/index.js';
import type { Policy } from '../../src/model/schemas.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { randomDomain } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'pciplan-search-'));
const workstation = join(REPO, 'fixtures', 'q35-workstation.xml');

describe('the progress threshold is the caller\'s, not the clock\'s', () => {
  it('progressAfterMs 0 reports every step of the search; Infinity none', async () => {
    const parsed = () => parseDomain(readFileSync(workstation, 'utf8'), workstation);
    const all: Progress[] = [];
    await assignDomain(parsed(), { strategy: 'optimal', policy: {}, onProgress: (p) => all.push(p), progressAfterMs: 0 });
    // The search reports once it has a layout, with its count and the proven bound.
    expect(all.length).toBeGreaterThan(0);
    expect(all.at(-1)).toMatchObject({ best: 7, bound: 7 });
    const none: Progress[] = [];
    await assignDomain(parsed(), { strategy: 'optimal', policy: {}, onProgress: (p) => none.push(p), progressAfterMs: Number.POSITIVE_INFINITY });
    expect(none).toEqual([]);
  });

  it('PCIPLAN_PROGRESS_AFTER_MS=0 prints the progress line; a bad value is exit 2 with one line', () => {
    const r = pciplan(['assign', workstation, '--format', 'json'], undefined, { PCIPLAN_PROGRESS_AFTER_MS: '0' });
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^pciplan: searching \(\d+\.\d s\): best (\d+|-) controllers, none fewer than \d+$/);
    expect(lines.at(-1)).toMatch(/best 7 controllers, none fewer than 7$/);
    const off = pciplan(['assign', workstation, '--format', 'json'], undefined, { PCIPLAN_PROGRESS_AFTER_MS: 'off' });
    expect(off.stderr).toBe('');
    const bad = pciplan(['assign', workstation], undefined, { PCIPLAN_PROGRESS_AFTER_MS: 'soon' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("pciplan: PCIPLAN_PROGRESS_AFTER_MS must be a number of milliseconds or 'off', got 'soon'\n");
  });
});

describe('the constructive pass on seeded random hinted domains', () => {
  const tally = { found: 0, none: 0 };
  for (let from = 1; from <= 300; from += 50) {
    it(`every layout it finds validates under the policy, or it says it found none (seeds ${from}-${from + 49})`, () => {
      for (let seed = from; seed < from + 50; seed++) {
        const { xml, policy } = randomDomain(seed, true);
        let r;
        try {
          r = constructiveLayout(parseDomain(xml, `random-${seed}.xml`), policy);
        } catch (e) {
          // A domain refused before any placement (an input fault) is not the pass's business.
          if (e instanceof PciplanError) continue;
          throw e;
        }
        if (!r.found) {
          expect(r.reason, `seed ${seed}`).toMatch(/\S/);
          tally.none++;
          continue;
        }
        expect(r.errors.map((e) => `${e.rule} ${e.device ?? ''}: ${e.message}`), `seed ${seed} ${JSON.stringify(policy)}`).toEqual([]);
        tally.found++;
      }
    });
  }
  it('finds a layout for most of them', () => {
    // Measured: 291 of 385 placeable domains of seeds 1-400; the rest ask for hotplug='no' or spare
    // PCIe ports on i440fx, which has no place for either.
    expect(tally.found).toBeGreaterThan(200);
  });
});

describe('a time budget ends with a valid layout when the constructive pass finds one', () => {
  // Generated domains (pciplan generate, see each file's <description>) on which `--timeout 1`
  // ended with "no layout found within the time budget" (the q35 one always, the pc one 3 runs
  // of 5). The layout must be valid; proven or not depends on the machine and is not asserted.
  for (const name of ['budget-q35-mixed-200-s11.xml', 'budget-pc-legacy-1000-s7.xml']) {
    it(name, () => {
      const file = join(REPO, 'fixtures', 'repro', name);
      const r = pciplan(['assign', file, '--timeout', '1']);
      expect(r.code, r.stderr).toBe(0);
      const out = join(dir, name);
      writeFileSync(out, r.stdout);
      expect(pciplan(['validate', out]).stdout).toBe(`${out}: valid (0 errors, 0 warnings)\n`);
      const json = JSON.parse(pciplan(['assign', file, '--timeout', '1', '--format', 'json']).stdout);
      expect(json.lowerBound).toBeLessThanOrEqual(json.objective.addedControllers);
      if (json.proven) expect(json.lowerBound).toBe(json.objective.addedControllers);
    });
  }
});

describe('greedy exit 0 implies validate, with the same policy, accepts what it wrote', () => {
  // Hints greedy cannot express are recorded as waived in the file; validate reports those as
  // warnings (hint-waived) and everything else as usual.
  const accepted = async (xml: string, name: string, policy: Policy): Promise<'refused' | 'accepted' | string[]> => {
    let r;
    try {
      r = await assignDomain(parseDomain(xml, name), { strategy: 'greedy', policy });
    } catch (e) {
      if (!(e instanceof PciplanError)) throw e;
      // libvirt's algorithm may run out of places (as libvirt does); a hint or the policy is
      // never a reason for greedy to fail: it waives them.
      expect(e.message, name).not.toMatch(/\[(hint-\w+|policy-spares)\]$/);
      return 'refused';
    }
    // What validate reads: the bytes written, parsed again.
    const v = validateDomain(parseDomain(writeXml(r.doc), name).domain, policy);
    const errors = v.problems.filter((p) => p.severity === 'error').map((p) => `${p.rule} ${p.device ?? ''}: ${p.message}`);
    if (errors.length) return errors;
    // Every hint greedy said it did not honour is in the file as waived, and validate names it.
    expect(v.problems.filter((p) => p.rule === 'hint-waived').length > 0, name).toBe(r.ignoredHints.length > 0);
    return 'accepted';
  };

  it('on seeded random hinted domains (test/helpers/random)', async () => {
    let waived = 0;
    for (let seed = 1000; seed < 1200; seed++) {
      const { xml, policy } = randomDomain(seed, true);
      const r = await accepted(xml, `random-${seed}.xml`, policy);
      if (Array.isArray(r)) expect(r, `seed ${seed} ${JSON.stringify(policy)}`).toEqual([]);
      if (r === 'accepted' && xml.includes('addressPreferences')) waived++;
    }
    expect(waived).toBeGreaterThan(50);
  });

  it('on generated hinted families (src/generate) with their policies', async () => {
    for (const family of ['mixed', 'numa', 'multifunction', 'cloud', 'hotplug-heavy', 'fragmented'] as const) {
      for (const machine of ['q35', 'virt'] as const) {
        for (const seed of [1, 2]) {
          const g = generateDomain({ family, machine, devices: 24, seed });
          const r = await accepted(g.xml, `${g.name}.xml`, g.policy);
          if (Array.isArray(r)) expect(r, g.name).toEqual([]);
        }
      }
    }
  });

  it('the repro: a NUMA hint on a domain without cells (greedy 0, validate 1 before)', () => {
    const file = join(REPO, 'fixtures', 'repro', 'greedy-numa-hint-no-cells.xml');
    const r = pciplan(['assign', file, '--strategy', 'greedy']);
    if (r.code !== 0) {
      // Refused before placing (an input fault): then validate refuses the input too.
      expect(r.code).toBe(1);
      expect(pciplan(['validate', file]).code).toBe(1);
      return;
    }
    const out = join(dir, 'numa-no-cells.xml');
    writeFileSync(out, r.stdout);
    const v = pciplan(['validate', out]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/warning\s+memballoon\[1\]\s+hint-waived\s+asks for NUMA node 7/);
    expect(r.stdout).toContain("<pciplan:device name='memballoon[1]' numa='7' waived='numa'/>");
  });

  it('waived spares: the policy asks for more spare ports than greedy leaves', () => {
    const r = pciplan(['assign', workstation, '--strategy', 'greedy', '--spare-pcie-ports', '4']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("greedy does not leave the spare ports or slots the policy asks for (recorded as waived in pciplan's metadata)");
    expect(r.stdout).toContain('<pciplan:spares-waived/>');
    const out = join(dir, 'spares.xml');
    writeFileSync(out, r.stdout);
    const v = JSON.parse(pciplan(['validate', out, '--spare-pcie-ports', '4', '--format', 'json']).stdout);
    expect(v.valid).toBe(true);
    expect(v.problems).toContainEqual(expect.objectContaining({ severity: 'warning', rule: 'hint-waived', waives: 'policy-spares' }));
    // Without the record, the same layout breaks the policy.
    writeFileSync(out, r.stdout.replace(/\s*<pciplan:spares-waived\/>/, ''));
    expect(pciplan(['validate', out, '--spare-pcie-ports', '4']).code).toBe(1);
  });
});
