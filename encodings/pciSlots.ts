/*
 * Conventional PCI slots at each location L. "Root" PCI buses are those that do not hang from a
 * new pci-bridge: new pcie-to-pci-bridges and dmi-to-pci-bridges, PCI buses that exist already,
 * a new pci-expander-bus (pci-root machines), and bus 0 (pci-root machines, rootBus.ts).
 *
 *   rootHP_L = 31 br_L + hpSlots_L [+ 32 e_L: a pci-expander-bus takes endpoints in 32 slots]
 *   OFFS_L   = 32 dm_L + offSlots_L                   (dmi-to-pci-bridge slots: not hot-pluggable)
 *   H_L = sum_c u_c_bridge_L + spS_L   (less the spare slots kept on bus 0 itself, pci-root)
 *   O_L = sum_c u_c_dmi_L
 * New pci-bridges by depth: a_L on root hot-pluggable slots, b_L on dmi slots, pbRoot on bus 0
 * (depth 1), c_L on depth-1 bridges (depth 2), d_L on depth-2 bridges (depth 3):
 *   pb_L = a_L + b_L + pbRoot + c_L + d_L
 *   OFFS_L >= O_L + b_L,   rootHP_L >= a_L
 *   rootHP_L + 31 pb_L >= H_L + a_L + c_L + d_L       (hot-pluggable slots: units, spares, bridges)
 *   31 (a_L + b_L + pbRoot) >= c_L,   31 c_L >= d_L
 * Linear, with no big-M: a forest of bridges needs a root, and counting by depth says so without
 * an indicator. Three levels are exact within the bus numbers: one root bridge already reaches
 * 31 + 31*31 bridges below it, more than 256. Slot 0 of a bridge is its hotplug controller.
 */
import type { CountInstance } from './instance.js';
import { modelFor } from '../src/catalog/index.js';
import { eq, ge, le, mul, sum, type Smt, type Term } from '../src/solver/smt.js';
import type { Vars } from './variables.js';

/** The new pci-bridges of one location by where they hang: a_L, b_L, c_L, d_L above. */
export interface BridgeDepths {
  a: Term;
  b: Term;
  c: Term;
  d: Term;
}

export interface PciSlotVars {
  /** pci-bridges plugged into bus 0 (pci-root machines). */
  pbRoot: Term;
  /** Spare slots kept on bus 0 itself (pci-root machines whose bus 0 is hot-pluggable). */
  spRoot: Term;
  /** Per location (every one of Vars.loc), its new pci-bridges by depth ('0' where none may be added). */
  bridges: Map<string, BridgeDepths>;
}

export function encodePciSlots(inst: CountInstance, v: Vars, smt: Smt): PciSlotVars {
  const pciRoot = inst.rootKind === 'conventional-root';
  const pbRoot = pciRoot && inst.allowed.has(modelFor('conventional-bridge')) ? smt.int('pbRoot', 0, 31) : '0';
  const spRoot = pciRoot && inst.root.hotplug ? smt.int('spRoot', 0, 31) : '0';
  const bridgesAt = new Map<string, BridgeDepths>();
  for (const [id, lv] of v.loc) {
    const onBus0 = pciRoot && id === 'R';
    const bridge = v.assignments.filter((a) => a.loc === id && a.w === 'bridge').map((a) => a.u);
    const dmi = v.assignments.filter((a) => a.loc === id && a.w === 'dmi').map((a) => a.u);
    const rootHP = sum([mul(31, lv.br), pciRoot && id !== 'R' ? mul(32, lv.e) : '0', String(lv.loc.hpSlots)]);
    const offs = sum([mul(32, lv.dm), String(lv.loc.offSlots)]);
    const H = sum([...bridge, onBus0 ? `(- ${lv.spS} ${spRoot})` : lv.spS]);
    const O = sum(dmi);
    const q0 = onBus0 ? pbRoot : '0';
    const bridges = lv.pb !== '0';
    const a = bridges ? smt.int(`pbA_${id}`, 0, 255) : '0';
    const b = bridges ? smt.int(`pbB_${id}`, 0, 255) : '0';
    const c = bridges ? smt.int(`pbC_${id}`, 0, 255) : '0';
    const d = bridges ? smt.int(`pbD_${id}`, 0, 255) : '0';
    bridgesAt.set(id, { a, b, c, d });
    if (bridges) smt.assert(eq(lv.pb, sum([a, b, q0, c, d])));
    smt.assert(ge(offs, sum([O, b])));
    smt.assert(ge(sum([rootHP, mul(31, lv.pb)]), sum([H, a, c, d])));
    if (bridges) {
      smt.assert(ge(rootHP, a));
      smt.assert(ge(mul(31, sum([a, b, q0])), c));
      smt.assert(ge(mul(31, c), d));
    }
    if (onBus0) smt.assert(le(spRoot, lv.spS));
  }
  return { pbRoot, spRoot, bridges: bridgesAt };
}
