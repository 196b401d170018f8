// encodings/spares.ts alone: sum_L spP_L >= sparePorts (and sum_L spS_L >= spareSlots).
import { describe, expect, it } from 'vitest';
import { encodeSpares } from '../../encodings/spares.js';
import { declareVars } from '../../encodings/variables.js';
import { Smt } from '../../src/solver/smt.js';
import { check, fix, instance, location, newExpander, units } from './tiny.js';

describe('spares: the spare ports asked for, counted over every location', () => {
  // Two spare hot-pluggable ports asked for, on a domain with a NUMA node.
  const inst = instance({ units: units(1, { hotplug: true, numa: 0 }), locations: [location({ id: 'R' }), newExpander(0)], spares: { ports: 2, slots: 0 } });
  const smt = new Smt();
  const v = declareVars(inst, smt);
  const bare = smt.script();
  encodeSpares(inst, v, smt);
  const R = v.loc.get('R')!;
  const X0 = v.loc.get('X0')!;

  it('one at the root and one on the node', async () => {
    expect(await check(smt, fix([R.spP, 1], [X0.spP, 1]))).toBe('sat');
  });

  it('one in all is too few', async () => {
    expect(await check(bare, fix([R.spP, 1], [X0.spP, 0]))).toBe('sat');
    expect(await check(smt, fix([R.spP, 1], [X0.spP, 0]))).toBe('unsat');
  });
});
