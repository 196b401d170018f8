/**
 * The hard fixtures in fixtures/hard: each states its optimum, worked out by hand in its opening
 * comment. The optimal allocator must find exactly that, prove it, and produce a layout that meets
 * every rule, hint and policy; libvirt's greedy is worse on most of them (it fails, adds more, or
 * ignores the hints).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { PolicySchema } from '../../src/model/schemas.js';
import { brokenRequirements, validateDomain } from '../../src/validate/validateDomain.js';
import { BACKENDS } from '../helpers/backends.js';
import { REPO } from '../helpers/corpus.js';

const DIR = join(REPO, 'fixtures', 'hard');
const FIXTURES = ['mixed-hotplug', 'numa-4', 'groups', 'spares', 'legacy-q35', 'fragmented', 'bus-limit'];

function load(name: string) {
  const text = readFileSync(join(DIR, `${name}.xml`), 'utf8');
  const policyFile = join(DIR, `${name}.policy.json`);
  const policy = existsSync(policyFile) ? PolicySchema.parse(JSON.parse(readFileSync(policyFile, 'utf8'))) : {};
  const optimum = Number(/optimum: (\d+) added controllers/.exec(text)?.[1]);
  return { text, policy, optimum };
}

describe.each(BACKENDS)('%s Z3: hard fixtures: the optimum equals the hand calculation', (solver) => {
  let greedyWorse = 0;
  for (const name of FIXTURES) {
    it(`${name}`, async () => {
      const { text, policy, optimum } = load(name);
      expect(Number.isInteger(optimum)).toBe(true);
      const r = await assignDomain(parseDomain(text, name), { strategy: 'optimal', policy, solver });
      expect(r.objective.addedControllers).toBe(optimum);
      expect(r.proven).toBe(true);
      expect(r.lowerBound).toBe(optimum);
      // Every rule, hint and policy holds in the written layout.
      expect(validateDomain(r.domain, policy).problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(r.objective.busNumbers).toBe(optimum + 1);

      let worse: string | undefined;
      try {
        const g = await assignDomain(parseDomain(text, name), { strategy: 'greedy', policy });
        const violations = brokenRequirements(g.domain, policy);
        if (g.objective.addedControllers > optimum) worse = `adds ${g.objective.addedControllers}`;
        else if (violations.length) worse = `breaks ${violations.length} hints or policy rules`;
      } catch (e) {
        if (!(e instanceof PciplanError)) throw e;
        worse = 'fails';
      }
      if (worse) greedyWorse++;
    });
  }
  it('greedy is worse than optimal on most of them', () => {
    expect(greedyWorse).toBeGreaterThanOrEqual(FIXTURES.length - 1);
  });
});

describe.each(BACKENDS)('%s Z3: one device past the bus-number limit', (solver) => {
  it('has no layout, and the conflict names the bus-number limit and the devices', async () => {
    const { text } = load('bus-limit');
    const more = text.replace('</devices>', "  <disk type='file' device='disk'>\n      <target dev='vdzzz' bus='virtio'/>\n    </disk>\n  </devices>");
    const err = await assignDomain(parseDomain(more, 'bus-limit+1'), { strategy: 'optimal', policy: {}, solver }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PciplanError);
    expect((err as PciplanError).message).toMatch(/^bus-limit\+1: no layout exists: 254 PCI Express devices need a place: disk\[vda\], .* \[place\]; .* \[default-hotplug\]; keep 1 free hot-pluggable PCIe port .* \[policy-spares\], given that .*at most 256 guest bus numbers/);
  });
});

describe.each(BACKENDS)('%s Z3: pcie-root-port-too-many (libvirt error corpus)', async (solver) => {
  const { HAVE_CORPUS, CORPUS, IN_CI } = await import('../helpers/corpus.js');
  it.skipIf(!HAVE_CORPUS && !IN_CI)('is proven impossible, with the reason: pcie.0 is full and the root port left over needs an expander that needs a slot', async () => {
    const file = join(CORPUS, 'libvirt-errors', 'pcie-root-port-too-many', 'input.xml');
    const err = await assignDomain(parseDomain(readFileSync(file, 'utf8'), 'pcie-root-port-too-many'), { strategy: 'optimal', policy: {}, solver }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PciplanError);
    const message = (err as PciplanError).message;
    expect(message).toMatch(/no layout exists: the domain as written cannot be completed/);
    expect(message).toMatch(/bus 0 \(pcie\.0\) has 0 free slots/);
    expect(message).toMatch(/place 1 existing pcie-root-port bus 0 has no slot for \(controller\[pci 241\]\); only an expander bus can take them/);
  });
});
