// encodings/expanders.ts alone (pcie-root): at an expander location X, 8 k_X >= rp_X + ro_X + ov_X
// and k_X + dm_X <= 32 e_X + freeSlots_X.
import { describe, expect, it } from 'vitest';
import { encodeExpanders } from '../../encodings/expanders.js';
import { alone, check, fix, instance, location, newExpander, units } from './tiny.js';

describe('expanders: a root port on a NUMA node sits on that node\'s expander bus', () => {
  // One hot-pluggable PCIe unit on node 0, which has no expander yet.
  const inst = instance({ units: units(1, { hotplug: true, numa: 0 }), locations: [location({ id: 'R' }), newExpander(0)] });
  const { smt, v, bare } = alone(inst, encodeExpanders);
  const X0 = v.loc.get('X0')!;

  it('with the expander added', async () => {
    expect(await check(smt, fix([X0.rp, 1], [X0.e, 1]))).toBe('sat');
  });

  it('without it there is no slot for the port', async () => {
    expect(await check(bare, fix([X0.rp, 1], [X0.e, 0]))).toBe('sat');
    expect(await check(smt, fix([X0.rp, 1], [X0.e, 0]))).toBe('unsat');
  });
});
