// The generator as a library: reproducible, the requested size, hints where pciplan reads them, and
// every domain within the PCI limits planned by the optimal allocator with its hints honoured;
// every domain past them proven to have no layout.
import { describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { ConflictError, PciplanError } from '../../src/errors.js';
import { FAMILIES, generateDomain } from '../../src/generate/index.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { addressOf } from '../../src/model/topology.js';
import { needsPciAddress, type Domain } from '../../src/model/types.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { ALL_CASES, combos, REFUSED, SEED, type Case } from './cases.js';

const gen = (c: Omit<Case, 'exceeds'>, seed = SEED) => generateDomain({ family: c.family, machine: c.machine, devices: c.devices, seed });

const hintsById = (d: Domain) => new Map(d.devices.filter((x) => Object.keys(x.hints).length).map((x) => [x.id, x.hints]));

describe('generateDomain', () => {
  it('is deterministic: the same options give the same bytes, another seed another domain', () => {
    for (const { family, machine } of combos) {
      const a = gen({ family, machine, devices: 40 });
      expect(gen({ family, machine, devices: 40 }).xml).toBe(a.xml);
      expect(gen({ family, machine, devices: 40 }, SEED + 1).xml).not.toBe(a.xml);
      expect(a.name).toBe(`gen-${family}-${machine}-40-s${SEED}`);
    }
  });

  it('writes exactly the devices asked for, hints in pciplan metadata only, PCI addresses only where the family pins them', () => {
    for (const { family, machine } of combos) {
      for (const devices of [1, 2, 8, 57]) {
        if (family === 'multifunction' && devices < 2) continue;
        const g = gen({ family, machine, devices });
        const { domain } = parseDomain(g.xml, g.name);
        expect(domain.devices, `${family}/${machine}/${devices}`).toHaveLength(devices);
        expect(g.devices).toBe(devices);
        expect(g.xml).not.toContain('<addressPreferences');
        const pinned = domain.devices.filter((d) => d.address.type === 'pci');
        if (family !== 'fragmented') expect(pinned, `${family}/${machine}`).toEqual([]);
      }
    }
    // The families that are about hints carry them; fragmented pins addresses.
    for (const family of FAMILIES.filter((f) => f !== 'fragmented')) {
      const { domain } = parseDomain(gen({ family, machine: 'q35', devices: 40 }).xml);
      expect(hintsById(domain).size, family).toBeGreaterThan(0);
    }
    const frag = parseDomain(gen({ family: 'fragmented', machine: 'q35', devices: 40 }).xml).domain;
    expect(frag.devices.filter((d) => d.address.type === 'pci').length).toBeGreaterThan(8);
  });

  it('writes the NUMA cells the numa family pins devices to, and hints for every hostdev', () => {
    for (const numa of [1, 3, 8]) {
      const g = generateDomain({ family: 'numa', machine: 'q35', devices: 60, seed: SEED, numa });
      const { domain } = parseDomain(g.xml);
      expect(domain.numaCells).toEqual(Array.from({ length: numa }, (_, i) => i));
      const nodes = new Set(domain.devices.filter((d) => d.kind === 'hostdev').map((d) => d.hints.numa));
      expect(nodes.has(undefined)).toBe(false);
      expect([...nodes].every((n) => n! < numa)).toBe(true);
    }
    expect(parseDomain(gen({ family: 'numa', machine: 'pc', devices: 8 }).xml).domain.numaCells).toEqual([0, 1]);
    expect(parseDomain(gen({ family: 'numa', machine: 'virt', devices: 40 }).xml).domain.numaCells).toEqual([0, 1, 2, 3]);
  });

  it('refuses bad options and senseless combinations as input errors naming the option', () => {
    const bad: [unknown, RegExp][] = [
      [{ family: 'cloud', machine: 'q35', devices: 0, seed: 1 }, /devices: must be at least 1/],
      [{ family: 'cloud', machine: 'q35', devices: 2.5, seed: 1 }, /devices.*whole number/],
      [{ family: 'cloud', machine: 'q35', devices: 20_000, seed: 1 }, /devices: must be at most 10000/],
      [{ family: 'nope', machine: 'q35', devices: 4, seed: 1 }, /family: must be one of hotplug-heavy/],
      [{ family: 'cloud', machine: 'pseries', devices: 4, seed: 1 }, /machine: must be one of q35, pc, virt/],
      [{ family: 'cloud', machine: 'q35', devices: 4, seed: -1 }, /seed: must be 0 or more/],
      [{ family: 'cloud', machine: 'q35', devices: 4, seed: 1, numa: 2 }, /numa: applies to --family numa only/],
      [{ family: 'numa', machine: 'q35', devices: 4, seed: 1, numa: 0 }, /numa: must be at least 1/],
      [{ family: 'numa', machine: 'q35', devices: 4, seed: 1, numa: 9 }, /numa: must be at most 8/],
      [{ family: 'multifunction', machine: 'q35', devices: 1, seed: 1 }, /at least 2 for family 'multifunction'/],
      [{ family: 'cloud', machine: 'q35', devices: 4, seed: 1, extra: 1 }, /extra/],
      ...REFUSED.map((r): [unknown, RegExp] => [{ ...r, devices: 10, seed: 1 }, /'mixed' needs places where the guest cannot eject/]),
    ];
    for (const [opts, message] of bad) {
      let error: unknown;
      try {
        generateDomain(opts);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(opts)).toBeInstanceOf(PciplanError);
      expect((error as PciplanError).kind).toBe('input');
      expect((error as PciplanError).message).toMatch(message);
      expect((error as PciplanError).message).not.toContain('\n');
    }
  });
});

describe('generated domains under the optimal allocator', () => {
  // Sizes: every family on each machine at 8, 40 and 150 devices, one near the limit per family,
  // and the domains past the limits.
  it.each(ALL_CASES.map((c) => [`${c.family} ${c.machine} ${c.devices}${c.exceeds ? ' (past the limits)' : ''}`, c] as const))(
    '%s',
    async (_, c) => {
      const g = gen(c);
      expect(g.expect?.layout === 'exceeds', g.expect?.reason).toBe(c.exceeds);
      const input = parseDomain(g.xml, g.name);
      if (c.exceeds) {
        const error = await assignDomain(input, { strategy: 'optimal', policy: g.policy, timeoutMs: 60_000 }).catch((e: unknown) => e);
        // Proven, with the conflict minimised: a ConflictError, not a timeout.
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).message).toMatch(/no layout exists: /);
        expect((error as ConflictError).conflict.facts.join('; ')).toMatch(/guest bus numbers|free slot/);
        return;
      }
      const r = await assignDomain(input, { strategy: 'optimal', policy: g.policy, timeoutMs: 60_000 });
      expect(r.proven).toBe(true);
      const written = r.domain;
      const errors = validateDomain(written, g.policy).problems.filter((p) => p.severity === 'error');
      expect(errors, errors.map((e) => `${e.device}: ${e.message} [${e.rule}]`).join('\n')).toEqual([]);
      // Hints survive the round trip (the validator above checked they are honoured) ...
      expect(hintsById(written)).toEqual(hintsById(input.domain));
      // ... every device has its address, and the pinned ones kept theirs.
      const unplaced = written.devices.filter((d) => needsPciAddress(d) && !addressOf(d));
      expect(unplaced.map((d) => d.id)).toEqual([]);
      const byId = new Map(written.devices.map((d) => [d.id, d]));
      // (A pinned root port may become function 0 of a multifunction slot: more ports join it.)
      const where = (a: ReturnType<typeof addressOf>) => a && { bus: a.bus, slot: a.slot, function: a.function };
      for (const d of input.domain.devices.filter((x) => addressOf(x))) expect(where(addressOf(byId.get(d.id)!)), d.id).toEqual(where(addressOf(d)));
    },
    60_000,
  );
});
