/**
 * Greedy against libvirt's own expected output (libvirt 11.3) for the q35, pc and virt pairs of
 * the corpus: the device-to-address table, PCI controllers included (model, index, address), must
 * equal expected.xml in at least 95% of pairs; every other pair is listed here with its reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { corpusIndex, pairFile, skipCorpus } from '../helpers/corpus.js';
import { LIBVIRT_CASES } from '../helpers/libvirtCases.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';

/** Pairs where pciplan deliberately differs from libvirt, with the reason and what it says. */
const DIFFERENCES: Record<string, { reason: string; error: RegExp }> = {
  'q35-multifunction': {
    reason: "the input puts function 1 of slot 00:04 beside a function 0 written multifunction='off'; libvirt keeps it, QEMU refuses to start it",
    error: /controller\[pci 6\]: has multifunction='off' at 0000:00:04\.0 .* \[multifunction\]/,
  },
  'pcie-expander-bus': {
    reason: 'the input hangs 35 bus-creating controllers under a pcie-expander-bus whose busNr 254 leaves it 2 bus numbers; libvirt does not check busNr ranges',
    error: /hierarchy of pcie-expander-bus index 1 \(busNr 254-255\) needs .* guest bus numbers but has room for 2 \[bus-numbers\]/,
  },
};

const FAMILIES = ['q35', 'pc', 'virt'];

describe.skipIf(skipCorpus)('greedy parity with libvirt 11.3 on the corpus', async () => {
  const pairs = corpusIndex().filter((p) => FAMILIES.includes(p.machineFamily));
  const results = await Promise.all(pairs.map(async (p) => {
    const expected = parseDomain(readFileSync(pairFile(p.name, 'expected.xml'), 'utf8'), `${p.name}/expected.xml`).domain;
    try {
      const r = await assignDomain(parseDomain(readFileSync(pairFile(p.name, 'input.xml'), 'utf8'), `${p.name}/input.xml`), { strategy: 'greedy', policy: {} });
      return { name: p.name, result: r, diff: tableDiff(addressTable(r.domain), addressTable(expected)) };
    } catch (e) {
      if (!(e instanceof PciplanError)) throw e;
      return { name: p.name, error: e.message, diff: ['(refused)'] };
    }
  }));

  it(`covers the ${pairs.length} q35, pc and virt pairs`, () => {
    expect(pairs.length).toBeGreaterThan(120);
  });

  it('matches libvirt in at least 95% of pairs; every other pair is a listed difference', () => {
    const same = results.filter((r) => r.diff.length === 0);
    const differing = results.filter((r) => r.diff.length > 0);
    expect(same.length / results.length).toBeGreaterThanOrEqual(0.95);
    expect(differing.map((r) => r.name).sort()).toEqual(Object.keys(DIFFERENCES).sort());
    for (const r of differing) expect('error' in r ? r.error : r.diff.join('\n')).toMatch(DIFFERENCES[r.name]!.error);
  });

  it('produces layouts that pass the validator', () => {
    for (const r of results) {
      if (!('result' in r) || !r.result) continue;
      const errors = validateDomain(r.result.domain).problems.filter((p) => p.severity === 'error');
      expect(errors, r.name).toEqual([]);
    }
  });
});

describe('greedy parity with libvirt 11.3 on its test cases the corpus lacks (test/helpers/libvirtCases.ts)', () => {
  for (const c of LIBVIRT_CASES) {
    it(`${c.name}: ${c.what}`, async () => {
      const expected = addressTable(parseDomain(c.expected, `${c.name}.x86_64-latest.xml`).domain);
      const greedy = await assignDomain(parseDomain(c.input, `${c.name}.xml`), { strategy: 'greedy', policy: {} });
      expect(tableDiff(addressTable(greedy.domain), expected)).toEqual([]);
      // The optimal strategy starts from the same implicit devices: it adds the same ones, and
      // (no hint, no policy) no controller libvirt does not add.
      const optimal = await assignDomain(parseDomain(c.input, `${c.name}.xml`), { strategy: 'optimal', policy: {}, progressAfterMs: Infinity });
      expect([...addressTable(optimal.domain).keys()].sort()).toEqual([...expected.keys()].sort());
      expect(optimal.addedControllers).toEqual(greedy.addedControllers);
      expect(validateDomain(optimal.domain).problems.filter((p) => p.severity === 'error')).toEqual([]);
    });
  }
});

describe.skipIf(skipCorpus)('loongarch64 virt gets no default memballoon', () => {
  // qemuDomainDefAddDefaultDevices (libvirt:src/qemu/qemu_postparse.c) adds none on LoongArch, so
  // the corpus pair without its <memballoon model='none'/> has the same layout as expected.xml:
  // no balloon, and no root port for one.
  it('loongarch64-virt-default-models without its memballoon element: expected.xml\'s table', async () => {
    const name = 'loongarch64-virt-default-models';
    const input = readFileSync(pairFile(name, 'input.xml'), 'utf8');
    const stripped = input.replace(/\n\s*<memballoon model='none'\/>/, '');
    expect(stripped).not.toBe(input);
    const expected = addressTable(parseDomain(readFileSync(pairFile(name, 'expected.xml'), 'utf8'), `${name}/expected.xml`).domain);
    for (const strategy of ['greedy', 'optimal'] as const) {
      const run = (text: string) => assignDomain(parseDomain(text, `${name}/input.xml`), { strategy, policy: {}, progressAfterMs: Infinity });
      const [without, withNone] = [await run(stripped), await run(input)];
      expect(without.devices.filter((d) => d.kind === 'memballoon'), strategy).toEqual([]);
      // The same layout as with the balloon written off.
      expect(addressTable(without.domain), strategy).toEqual(addressTable(withNone.domain));
      if (strategy === 'greedy') expect(tableDiff(addressTable(without.domain), expected)).toEqual([]);
    }
  });
});

describe('greedy parity with real libvirt 9.0 on fixtures/q35-workstation.xml', () => {
  it('gives the table libvirt gave (fixtures/q35-workstation.libvirt.xml, made by virsh define)', async () => {
    const { REPO } = await import('../helpers/corpus.js');
    const { join } = await import('node:path');
    const r = await assignDomain(parseDomain(readFileSync(join(REPO, 'fixtures', 'q35-workstation.xml'), 'utf8')), { strategy: 'greedy', policy: {} });
    const libvirt = parseDomain(readFileSync(join(REPO, 'fixtures', 'q35-workstation.libvirt.xml'), 'utf8')).domain;
    expect(tableDiff(addressTable(r.domain), addressTable(libvirt))).toEqual([]);
    expect(addressTable(libvirt).size).toBe(22);
  });
});
