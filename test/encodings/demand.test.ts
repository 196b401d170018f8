// encodings/demand.ts alone: sum_{w,L} x_c_w_L = |c| per class; packed units 8 u >= x, u <= x.
import { describe, expect, it } from 'vitest';
import { encodeDemand } from '../../encodings/demand.js';
import { alone, check, fix, instance, units, x } from './tiny.js';

describe('demand: every unit is placed exactly once', () => {
  // Three PCIe units that may be either hot-pluggable or not: on pcie.0, on a port, on an off port.
  const inst = instance({ units: units(3) });
  const { smt, v, bare } = alone(inst, encodeDemand);

  it('places summing to the class size are a layout of the family', async () => {
    expect(await check(smt, fix([x(v, 'int'), 1], [x(v, 'port'), 2], [x(v, 'portOff'), 0]))).toBe('sat');
  });

  it('one unit left without a place is not', async () => {
    expect(await check(bare, fix([x(v, 'int'), 1], [x(v, 'port'), 1], [x(v, 'portOff'), 0]))).toBe('sat');
    expect(await check(smt, fix([x(v, 'int'), 1], [x(v, 'port'), 1], [x(v, 'portOff'), 0]))).toBe('unsat');
  });
});

describe('demand: packed units take ceil(x / 8) slots at least', () => {
  // Nine hotplug=no PCIe units the policy packs, 8 functions to a slot of pcie.0.
  const inst = instance({ units: units(9, { hotplug: false, packable: true }) });
  const { smt, v, bare } = alone(inst, encodeDemand);
  const int = v.assignments.find((a) => a.w === 'int')!;

  it('nine on pcie.0 in two slots', async () => {
    expect(int.u).not.toBe(int.x);
    expect(await check(smt, fix([int.x, 9], [int.u, 2]))).toBe('sat');
  });

  it('nine in one slot of eight functions: no', async () => {
    expect(await check(bare, fix([int.x, 9], [int.u, 1]))).toBe('sat');
    expect(await check(smt, fix([int.x, 9], [int.u, 1]))).toBe('unsat');
  });
});
