// encodings/pciSlots.ts alone: rootHP_L + 31 pb_L >= H_L + a_L + c_L + d_L (hot-pluggable
// conventional slots for units, spares and the pci-bridges themselves), and a bridge at depth 2
// hangs from one at depth 1: 31 (a_L + b_L + pbRoot) >= c_L.
import { describe, expect, it } from 'vitest';
import { encodePciSlots } from '../../encodings/pciSlots.js';
import { declareVars } from '../../encodings/variables.js';
import { Smt } from '../../src/solver/smt.js';
import { check, fix, instance, units, x } from './tiny.js';

describe('pciSlots: 31 hot-pluggable slots a bridge', () => {
  // 40 hotplug=yes conventional units on a q35 with no conventional bus yet.
  const inst = instance({ units: units(40, { kind: 'pci', hotplug: true }) });
  const smt = new Smt();
  const v = declareVars(inst, smt);
  const bare = smt.script();
  const pci = encodePciSlots(inst, v, smt);
  const R = v.loc.get('R')!;
  const depth = pci.bridges.get('R')!;

  it('a pcie-to-pci-bridge and a pci-bridge in one of its slots hold 40 (31 + 31 - 1 for the pci-bridge)', async () => {
    expect(await check(smt, fix([x(v, 'bridge'), 40], [R.br, 1], [R.pb, 1], [depth.a, 1]))).toBe('sat');
  });

  it('a pcie-to-pci-bridge alone does not', async () => {
    expect(await check(bare, fix([x(v, 'bridge'), 40], [R.br, 1], [R.pb, 0]))).toBe('sat');
    expect(await check(smt, fix([x(v, 'bridge'), 40], [R.br, 1], [R.pb, 0]))).toBe('unsat');
  });

  it('nor does a pci-bridge at depth 2 with none at depth 1 to hang from', async () => {
    expect(await check(smt, fix([x(v, 'bridge'), 40], [R.br, 1], [R.pb, 1], [depth.a, 0], [depth.b, 0], [depth.c, 1]))).toBe('unsat');
  });
});
