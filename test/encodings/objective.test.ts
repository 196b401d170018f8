// encodings/objective.ts alone: added = sum_L new_L; and the analytic lower bound of a tiny instance.
import { describe, expect, it } from 'vitest';
import { encodeObjective } from '../../encodings/objective.js';
import { declareVars } from '../../encodings/variables.js';
import { Smt } from '../../src/solver/smt.js';
import { check, fix, instance, location, units } from './tiny.js';

describe('objective: added counts every new controller', () => {
  // Three hot-pluggable PCIe units, no free port: each needs a port of its own.
  const inst = instance({ units: units(3, { hotplug: true }) });
  const smt = new Smt();
  const v = declareVars(inst, smt);
  const bare = smt.script();
  const bounds = encodeObjective(inst, v, smt);
  const R = v.loc.get('R')!;

  it('the lower bound is the three ports', () => {
    expect(bounds).toEqual({ lowerBound: 3, trusted: 3 });
  });

  it('a switch and two downstream ports on a root port are four', async () => {
    expect(await check(smt, fix([R.rp, 1], [R.sw, 1], [R.dp, 2], [v.added, 4]))).toBe('sat');
  });

  it('and not three', async () => {
    expect(await check(bare, fix([R.rp, 1], [R.sw, 1], [R.dp, 2], [v.added, 3]))).toBe('sat');
    expect(await check(smt, fix([R.rp, 1], [R.sw, 1], [R.dp, 2], [v.added, 3]))).toBe('unsat');
  });

  it('free ports that exist lower the bound', () => {
    const withPorts = instance({ units: units(3, { hotplug: true }), locations: [location({ id: 'R', hpPorts: 2 })] });
    const s = new Smt();
    expect(encodeObjective(withPorts, declareVars(withPorts, s), s)).toEqual({ lowerBound: 1, trusted: 1 });
  });
});
