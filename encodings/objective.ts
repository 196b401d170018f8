/*
 * Objective and lower bound.
 *
 *   added = sum_L new_L                                      (controllers pciplan adds)
 * Lexicographic goals: (1) added, (2) guest bus numbers used = used + added (every controller
 * pciplan adds numbers exactly one bus, so (2) follows (1)), (3) a deterministic tie-break, which
 * decodeLayout applies (lowest addresses, in document order).
 *
 * The analytic lower bound handed to the solver as `added >= LB` (redundant, decisive for speed):
 *   ports:   hotplug=yes PCIe units + spare ports - free existing hot-pluggable ports
 *   bridges: ceil((hotplug=yes PCI units + spare slots - free existing hot-pluggable slots) / 31)
 *            on pcie-root machines (on pci-root, bus 0 may hold them: counted only past its room)
 *   expanders: one per NUMA node that units ask for and no expander serves yet
 * Each term counts distinct controllers, each at least one, so LB <= any feasible `added`.
 */
import type { Instance } from '../src/optimal/instance.js';
import { eq, ge, sum, type Smt } from '../src/solver/smt.js';
import { newBuses } from './busNumbers.js';
import type { Vars } from './variables.js';

export function lowerBound(inst: Instance): number {
  const units = (pred: (c: Instance['classes'][number]) => boolean) => inst.classes.filter(pred).reduce((n, c) => n + c.units.length, 0);
  const loc = inst.locations;
  const hpPorts = loc.reduce((n, l) => n + l.hpPorts, 0);
  const hpSlots = loc.reduce((n, l) => n + l.hpSlots, 0);
  const nodes = new Set(inst.classes.flatMap((c) => (c.numa !== undefined ? [c.numa] : [])));
  const expanders = [...nodes].filter((n) => !loc.find((l) => l.node === n)?.expander?.existing).length;
  if (inst.rootKind === 'pcie-root') {
    const ports = Math.max(0, units((c) => c.kind === 'pcie' && c.hotplug === true) + inst.spares.ports - hpPorts);
    const bridges = Math.ceil(Math.max(0, units((c) => c.kind === 'pci' && c.hotplug === true) + inst.spares.slots - hpSlots) / 31);
    return ports + bridges + expanders;
  }
  const rootRoom = inst.root.hotplug ? inst.root.freeSlots : 0;
  const bridges = Math.ceil(Math.max(0, units((c) => c.hotplug === true) + inst.spares.slots - hpSlots - rootRoom) / 31);
  return bridges + expanders;
}

export function encodeObjective(inst: Instance, v: Vars, smt: Smt): number {
  smt.assert(eq(v.added, sum([...v.loc.values()].map(newBuses))));
  const lb = lowerBound(inst);
  smt.assert(ge(v.added, String(lb)));
  return lb;
}
