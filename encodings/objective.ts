/*
 * Objective and lower bound.
 *
 *   added = sum_L new_L                                      (controllers pciplan adds)
 * Lexicographic goals: (1) added, (2) guest bus numbers used = used + added (every controller
 * pciplan adds numbers exactly one bus, so (2) follows (1)), (3) a deterministic tie-break, which
 * decodeLayout applies (lowest addresses, in document order).
 *
 * The analytic lower bound handed to the solver as `added >= LB` (redundant, decisive for speed).
 * It counts controllers that must exist, each once; existing capacity at a location is used
 * first, and the spares (which may sit anywhere) take what is left over before they cost:
 *   expanders  one per NUMA location with units and no expander yet
 *   ports      per location, PCIe units that need a port of their own (hotplug=yes anywhere; any
 *              under an expander, which takes no endpoints), less its free existing ports; then
 *              the spare ports less the free existing ports left over anywhere
 *   bridges    per location, ceil((hotplug=yes PCI units - free existing hot-pluggable slots) / 31)
 *              (a new pci-expander-bus brings 32 slots of its own); the first bridge hangs from a
 *              port or a dmi-to-pci-bridge: one more, unless the location has a PCI bus or a free
 *              port already, or a dmi-to-pci-bridge is counted anyway (below);
 *              then the spare slots less the slots those bridges and existing buses leave over
 *   dmi        under an expander, ceil(hotplug=no PCI units / 32) less its existing dmi slots
 *   overflow   on pcie-root, hotplug=no units beyond what pcie.0 can still take as integrated
 *              endpoints (its free slots less those the ports above and the expanders need): PCIe
 *              ones need a port each (less free existing ports left over), PCI ones a dmi slot
 * Units without a node may use the capacity under a node-less expander, counted with the root's.
 * On pci-root machines bus 0 holds hot-pluggable units too (when its hotplug is on). Each term
 * counts distinct controllers, so LB <= every feasible `added`; test/optimal checks it against
 * searches without it.
 */
import type { Instance } from '../src/optimal/instance.js';
import { eq, ge, sum, type Smt } from '../src/solver/smt.js';
import { newBuses } from './busNumbers.js';
import type { Vars } from './variables.js';

export function lowerBound(inst: Instance): number {
  const none = inst.locations.find((l) => l.node === 'none');
  const capacity = (l: Instance['locations'][number]) =>
    l.id === 'R' && none
      ? {
          ...l,
          hpPorts: l.hpPorts + none.hpPorts,
          offPorts: l.offPorts + none.offPorts,
          hpSlots: l.hpSlots + none.hpSlots,
          offSlots: l.offSlots + none.offSlots,
          pciBuses: l.pciBuses + none.pciBuses,
        }
      : l;
  let total = 0;
  let spareFreePorts = 0;
  let spareFreeSlots = 0;
  let rootPorts = 0;
  let rootLeftoverPorts = 0;
  let rootParent = 0;
  let expanders = 0;
  let rootNoHp = { pcie: 0, pci: 0 };
  for (const loc of inst.locations) {
    const l = capacity(loc);
    const here = inst.classes.filter((c) => (l.id === 'R' ? c.numa === undefined : c.numa === l.node));
    const count = (pred: (c: Instance['classes'][number]) => boolean, per = 1) =>
      here.filter(pred).reduce((n, c) => n + (c.packable ? Math.ceil(c.units.length / per) : c.units.length), 0);
    const isX = l.id !== 'R';
    const newExpander = isX && here.some((c) => c.units.length) && !loc.expander?.existing;
    if (newExpander) {
      total++;
      expanders++;
    }
    if (inst.rootKind === 'pcie-root') {
      const portUnits = count((c) => c.kind === 'pcie' && !c.integrated && (c.hotplug === true || isX), 8);
      const existing = l.hpPorts + l.offPorts;
      const ports = Math.max(0, portUnits - existing);
      const leftoverPorts = Math.max(0, existing - portUnits);
      total += ports;
      spareFreePorts += Math.max(0, l.hpPorts - portUnits);
      const hpPci = count((c) => c.kind === 'pci' && c.hotplug === true);
      const bridges = Math.ceil(Math.max(0, hpPci - l.hpSlots) / 31);
      spareFreeSlots += 31 * bridges + l.hpSlots - hpPci;
      const dmi = isX ? Math.ceil(Math.max(0, count((c) => c.kind === 'pci' && c.hotplug === false, 8) - l.offSlots) / 32) : 0;
      const parent = bridges > 0 && l.pciBuses === 0 && leftoverPorts === 0 && dmi === 0 ? 1 : 0;
      total += bridges + dmi + (isX ? parent : 0);
      if (!isX) {
        rootPorts = ports;
        rootLeftoverPorts = leftoverPorts;
        rootParent = parent;
        rootNoHp = {
          pcie: count((c) => c.kind === 'pcie' && c.hotplug !== true, 8),
          pci: count((c) => (c.kind === 'pci' && c.hotplug === false) || c.integrated, 8),
        };
      }
    } else {
      const room = (!isX && inst.root.hotplug ? inst.root.freeSlots : 0) + (newExpander ? 32 : 0);
      const units = count((c) => c.hotplug === true);
      const bridges = Math.ceil(Math.max(0, units - l.hpSlots - room) / 31);
      total += bridges;
      spareFreeSlots += 31 * bridges + l.hpSlots + room - units;
    }
  }
  total += Math.max(0, inst.spares.ports - spareFreePorts);
  total += Math.ceil(Math.max(0, inst.spares.slots - spareFreeSlots) / 31);
  if (inst.rootKind === 'pcie-root') {
    const intRoom = Math.max(0, inst.root.freeSlots - Math.ceil(Math.max(0, rootPorts - inst.root.rootPortFns) / 8) - expanders);
    const overflow = Math.max(0, rootNoHp.pcie + rootNoHp.pci - intRoom);
    const pcieOverflow = Math.min(overflow, rootNoHp.pcie);
    const pciOverflow = Math.ceil(Math.max(0, overflow - pcieOverflow) / 32);
    total += Math.max(0, pcieOverflow - rootLeftoverPorts) + pciOverflow;
    // The bridges' parent on the root hierarchy, unless an overflow dmi-to-pci-bridge is it.
    if (pciOverflow === 0) total += rootParent;
  }
  return total;
}

export function encodeObjective(inst: Instance, v: Vars, smt: Smt): number {
  smt.assert(eq(v.added, sum([...v.loc.values()].map(newBuses))));
  const lb = lowerBound(inst);
  smt.assert(ge(v.added, String(lb)));
  return lb;
}
