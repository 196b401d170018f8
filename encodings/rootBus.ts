/*
 * Bus 0, the root complex.
 *
 * pcie-root (q35, virt): root ports at R share slots 8 to a slot (functions 0-7):
 *   8 k_R + rootPortFns >= rp_R + ro_R + ov_R
 *   k_R + sum_X e_X + dm_R + sum_c u_c_int_R <= freeSlots          (tracked: bus 0's free slots)
 * pci-root (pc): devices, pci-bridges and pci-expander-buses each take a slot:
 *   sum_c u_c_root_R + pbRoot + sum_X e_X + spS0 <= freeSlots
 *   where the spare conventional slots counted at R may be bus-0 slots when bus 0 is hot-pluggable.
 *
 * freeSlots counts slots 1-31 that no device, chipset function or existing controller uses.
 */
import type { CountInstance } from './instance.js';
import { ge, le, mul, sum, type Smt } from '../src/solver/smt.js';
import type { PciSlotVars } from './pciSlots.js';
import type { Vars } from './variables.js';

export function encodeRootBus(inst: CountInstance, v: Vars, smt: Smt, pci: PciSlotVars): void {
  const R = v.loc.get('R')!;
  const expanders = [...v.loc.values()].map((l) => l.e);
  const free = String(inst.root.freeSlots);
  if (inst.rootKind === 'express-root') {
    const integrated = v.assignments.filter((a) => a.loc === 'R' && a.w === 'int').map((a) => a.u);
    smt.assert(ge(sum([mul(8, R.k), String(inst.root.rootPortFns)]), sum([R.rp, R.ro, R.ov])));
    smt.require('root-slots', undefined, `bus 0 (pcie.0) has ${inst.root.freeSlots} free slot${inst.root.freeSlots === 1 ? '' : 's'}`, le(sum([R.k, ...expanders, R.dm, ...integrated]), free));
    return;
  }
  const onRoot = v.assignments.filter((a) => a.loc === 'R' && a.w === 'root').map((a) => a.u);
  smt.require('root-slots', undefined, `bus 0 (pci.0) has ${inst.root.freeSlots} free slot${inst.root.freeSlots === 1 ? '' : 's'}`, le(sum([...onRoot, pci.pbRoot, ...expanders, pci.spRoot]), free));
}
