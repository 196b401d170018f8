// encodings/busNumbers.ts alone: used + sum_L new_L <= 256, and with an existing expander at busNr
// b_1, rootRegion + new_R (+ new expanders numbered below it) <= b_1.
import { describe, expect, it } from 'vitest';
import { encodeBusNumbers } from '../../encodings/busNumbers.js';
import { declareVars } from '../../encodings/variables.js';
import { Smt } from '../../src/solver/smt.js';
import { alone, check, fix, instance, location, units } from './tiny.js';

describe('busNumbers: 256 guest bus numbers in the PCI domain', () => {
  // 255 buses in use already.
  const inst = instance({ units: units(2, { hotplug: true }), buses: { used: 255, rootRegion: 255, lowestBusNr: 256 } });
  const { smt, v, bare } = alone(inst, encodeBusNumbers);
  const R = v.loc.get('R')!;

  it('one new root port takes the last number', async () => {
    expect(await check(smt, fix([R.rp, 1]))).toBe('sat');
  });

  it('two do not fit', async () => {
    expect(await check(bare, fix([R.rp, 2]))).toBe('sat');
    expect(await check(smt, fix([R.rp, 2]))).toBe('unsat');
  });
});

describe('busNumbers: the root hierarchy numbers what lies below the lowest expander busNr', () => {
  // An expander on node 0 at busNr 2 owns 2-255; pcie.0 (bus 0) and one new bus fit below it.
  const X0 = location({ id: 'X0', node: 0, expander: { existing: true, freeSlots: 32, busNr: 2, range: 254, subtree: 1 } });
  const inst = instance({ units: units(2, { hotplug: true }), locations: [location({ id: 'R' }), X0], buses: { used: 2, rootRegion: 1, lowestBusNr: 2 } });
  const smt = new Smt();
  const v = declareVars(inst, smt);
  const bare = smt.script();
  const gaps = encodeBusNumbers(inst, v, smt);
  const R = v.loc.get('R')!;

  it('one new root port at the root: bus 1', async () => {
    // The expander exists: no new expander chooses a gap.
    expect(gaps.size).toBe(0);
    expect(await check(smt, fix([R.rp, 1]))).toBe('sat');
  });

  it('two would need bus 2, the expander\'s', async () => {
    expect(await check(bare, fix([R.rp, 2]))).toBe('sat');
    expect(await check(smt, fix([R.rp, 2]))).toBe('unsat');
  });
});
