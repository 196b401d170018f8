// encodings/rootBus.ts alone (pcie-root): 8 k_R + rootPortFns >= rp_R + ro_R + ov_R, and
// k_R + sum_X e_X + dm_R + sum_c u_c_int_R <= freeSlots.
import { describe, expect, it } from 'vitest';
import type { PciSlotVars } from '../../encodings/pciSlots.js';
import { encodeRootBus } from '../../encodings/rootBus.js';
import { declareVars } from '../../encodings/variables.js';
import { Smt } from '../../src/solver/smt.js';
import { check, fix, instance, units } from './tiny.js';

describe('rootBus: root ports share a slot of bus 0 eight to a slot', () => {
  // pcie.0 with one free slot; nine hot-pluggable PCIe units (room for nine root ports).
  const inst = instance({ units: units(9, { hotplug: true }), root: { freeSlots: 1, rootPortFns: 0, hotplug: false } });
  const smt = new Smt();
  const v = declareVars(inst, smt);
  const bare = smt.script();
  // pciSlots' bus-0 terms only count on pci-root machines.
  const none: PciSlotVars = { pbRoot: '0', spRoot: '0', bridges: new Map() };
  encodeRootBus(inst, v, smt, none);
  const R = v.loc.get('R')!;

  it('eight root ports in the one free slot', async () => {
    expect(await check(smt, fix([R.rp, 8]))).toBe('sat');
  });

  it('nine need a second slot, which bus 0 does not have', async () => {
    expect(await check(bare, fix([R.rp, 9]))).toBe('sat');
    expect(await check(smt, fix([R.rp, 9]))).toBe('unsat');
  });
});
