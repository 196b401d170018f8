/*
 * Conventional PCI slots at each location L.
 *
 *   HPS_L  = 31 br_L + 31 pb_L + hpSlots_L [+ 32 e_L on pci-root machines: a pci-expander-bus
 *            takes endpoints in its 32 slots]
 *   OFFS_L = 32 dm_L + offSlots_L                   (dmi-to-pci-bridge slots: not hot-pluggable)
 *   HPS_L  >= sum_c u_c_bridge_L + spS_L
 *   OFFS_L >= sum_c u_c_dmi_L
 *   HPS_L + OFFS_L >= sum_c (u_c_bridge_L + u_c_dmi_L) + spS_L + pb_L
 *   pb_L <= 255 (br_L + dm_L + pciBuses_L [+ e_L])  (pci-bridges hang from another PCI bus)
 *
 * On pci-root machines bus 0's own slots are counted by rootBus.ts; pci-bridges may also sit
 * there (rootBus.ts takes pbRoot of them). Slot 0 of a bridge is its hotplug controller, hence 31.
 */
import type { Instance } from '../src/optimal/instance.js';
import { ge, le, mul, sum, type Smt, type Term } from '../src/solver/smt.js';
import type { Vars } from './variables.js';

export interface PciSlotVars {
  /** pci-bridges plugged into bus 0 (pci-root machines). */
  pbRoot: Term;
  /** Spare slots kept on bus 0 itself (pci-root machines whose bus 0 is hot-pluggable). */
  spRoot: Term;
}

export function encodePciSlots(inst: Instance, v: Vars, smt: Smt): PciSlotVars {
  const pciRoot = inst.rootKind === 'pci-root';
  const pbRoot = pciRoot && inst.allowed.has('pci-bridge') ? smt.int('pbRoot', 0, 31) : '0';
  const spRoot = pciRoot && inst.root.hotplug ? smt.int('spRoot', 0, 31) : '0';
  for (const [id, lv] of v.loc) {
    const bridge = v.assignments.filter((a) => a.loc === id && a.w === 'bridge').map((a) => a.u);
    const dmi = v.assignments.filter((a) => a.loc === id && a.w === 'dmi').map((a) => a.u);
    const pxb = pciRoot && id !== 'R' ? mul(32, lv.e) : '0';
    const hps = sum([mul(31, lv.br), mul(31, lv.pb), pxb, String(lv.loc.hpSlots)]);
    const offs = sum([mul(32, lv.dm), String(lv.loc.offSlots)]);
    // On pci-root machines the bridges and spare slots on bus 0 take no bridge slot here.
    const onRoot = pciRoot && id === 'R';
    const pbHere = onRoot ? `(- ${lv.pb} ${pbRoot})` : lv.pb;
    const spHere = onRoot ? `(- ${lv.spS} ${spRoot})` : lv.spS;
    smt.assert(ge(hps, sum([...bridge, spHere])));
    smt.assert(ge(offs, sum(dmi)));
    smt.assert(ge(sum([hps, offs]), sum([...bridge, ...dmi, spHere, pbHere])));
    const roots = sum([lv.br, lv.dm, String(lv.loc.pciBuses), pciRoot && id !== 'R' ? lv.e : '0', pciRoot && id === 'R' ? pbRoot : '0']);
    smt.assert(le(lv.pb, mul(255, roots)));
    if (onRoot) {
      smt.assert(le(pbRoot, lv.pb));
      smt.assert(le(spRoot, lv.spS));
    }
  }
  return { pbRoot, spRoot };
}
