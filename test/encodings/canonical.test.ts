// encodings/canonical.ts alone: the tie-break's keys in the decode's order, and lexSmaller, "some
// assignment's key is lexicographically smaller than the key of these values":
//   OR_i ( AND_{h<i} k_h = v_h  and  d_i k_i < d_i v_i ).
import { describe, expect, it } from 'vitest';
import { canonicalObjectives, lexSmaller } from '../../encodings/canonical.js';
import type { ModelVars } from '../../encodings/model.js';
import { declareVars } from '../../encodings/variables.js';
import { Smt } from '../../src/solver/smt.js';
import { check, instance, units, x } from './tiny.js';

describe('canonical: the lexicographically least key', () => {
  // Two PCIe units that may go on pcie.0, a port or an off port; pcie.0 has the room.
  const inst = instance({ units: units(2), root: { freeSlots: 2, rootPortFns: 0, hotplug: false } });
  const smt = new Smt();
  // No pci-bridges and no new expanders here: their families' variables are empty.
  const v: ModelVars = { ...declareVars(inst, smt), pciSlots: { pbRoot: '0', spRoot: '0', bridges: new Map() }, busGaps: new Map() };
  const keys = canonicalObjectives(v, smt);
  const values = (set: Record<string, number>) => new Map(smt.vars.map((n) => [n, set[n] ?? 0]));

  it('units first, on pcie.0 before a port before an off port (maximised), then the controllers (minimised)', () => {
    expect(keys.slice(0, 3).map((k) => [k.term, k.sense])).toEqual([
      [x(v, 'int'), 'maximize'],
      [x(v, 'port'), 'maximize'],
      [x(v, 'portOff'), 'maximize'],
    ]);
    expect(keys.slice(3).every((k) => k.block !== keys[0]!.block && k.sense === 'minimize')).toBe(true);
  });

  it('both units on ports and a root port each: a smaller key exists (more on pcie.0, or fewer ports)', async () => {
    const R = v.loc.get('R')!;
    expect(await check(smt, lexSmaller(keys, values({ [x(v, 'port')]: 2, [R.rp]: 2 })))).toBe('sat');
  });

  it('every key at its end of its range: none is smaller', async () => {
    // The tie-break adds nothing to the model itself: without lexSmaller the variables have values.
    expect(await check(smt)).toBe('sat');
    // Maximised keys at their bounds (each x <= 2), minimised ones at 0.
    expect(await check(smt, lexSmaller(keys, values({ [x(v, 'int')]: 2, [x(v, 'port')]: 2, [x(v, 'portOff')]: 2 })))).toBe('unsat');
  });
});
