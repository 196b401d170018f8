/*
 * Objective and lower bound.
 *
 *   added = sum_L new_L                                      (controllers pciplan adds)
 * Lexicographic goals: (1) added, (2) guest bus numbers used = used + added (every controller
 * pciplan adds numbers exactly one bus, so (2) follows (1)), (3) a deterministic tie-break, which
 * decodeLayout applies (lowest addresses, in document order).
 *
 * The analytic lower bound handed to the solver as `added >= LB` (redundant, decisive for speed),
 * a sum over locations of controllers that must exist, each counted once:
 *   expanders  one per expander location with units and no expander yet
 *   ports      PCIe units that need a port of their own (hotplug=yes anywhere; any under an
 *              expander, which takes no endpoints), plus the spare ports, minus existing free
 *              ports there (packable units: 8 per port)
 *   bridges    ceil((hotplug=yes PCI units + spare slots - existing free hot-pluggable slots) / 31),
 *              plus one controller to hang the first from when the location has no PCI bus and no
 *              free port left over; under an expander, hotplug=no PCI units need ceil(n/32) dmi bridges
 *   overflow   on pcie-root, hotplug=no units beyond what pcie.0 can still take as integrated
 *              endpoints (its free slots less those the ports and expanders above need): each PCIe
 *              one needs a port, PCI ones a dmi slot (32 per bridge)
 * On pci-root machines bus 0 itself takes hot-pluggable PCI units, so bridges count only what it
 * cannot hold. Each term counts distinct controllers, so LB <= every feasible `added`.
 */
import type { Instance } from '../src/optimal/instance.js';
import { eq, ge, sum, type Smt } from '../src/solver/smt.js';
import { newBuses } from './busNumbers.js';
import type { Vars } from './variables.js';

export function lowerBound(inst: Instance): number {
  const spares = inst.spares;
  let total = 0;
  let rootPorts = 0;
  let expanders = 0;
  let rootNoHp = { pcie: 0, pci: 0 };
  for (const l of inst.locations) {
    const here = inst.classes.filter((c) => (l.id === 'R' ? c.numa === undefined : c.numa === l.node));
    const count = (pred: (c: Instance['classes'][number]) => boolean, per = 1) =>
      here.filter(pred).reduce((n, c) => n + (c.packable ? Math.ceil(c.units.length / per) : c.units.length), 0);
    const isX = l.id !== 'R';
    if (isX && here.some((c) => c.units.length) && !l.expander?.existing) {
      total++;
      expanders++;
    }
    if (inst.rootKind === 'pcie-root') {
      const portUnits = count((c) => c.kind === 'pcie' && !c.integrated && (c.hotplug === true || isX), 8) + (isX ? 0 : spares.ports);
      const ports = Math.max(0, portUnits - l.hpPorts - l.offPorts);
      total += ports;
      if (!isX) rootPorts = ports;
      const hpPci = count((c) => c.kind === 'pci' && c.hotplug === true) + (isX ? 0 : spares.slots);
      const bridges = Math.ceil(Math.max(0, hpPci - l.hpSlots) / 31);
      const leftoverPorts = l.hpPorts + l.offPorts - Math.min(portUnits, l.hpPorts + l.offPorts);
      total += bridges + (bridges > 0 && l.pciBuses === 0 && leftoverPorts === 0 ? 1 : 0);
      if (isX) total += Math.ceil(Math.max(0, count((c) => c.kind === 'pci' && c.hotplug === false, 8) - l.offSlots) / 32);
      else {
        rootNoHp = {
          pcie: count((c) => c.kind === 'pcie' && c.hotplug !== true, 8),
          pci: count((c) => (c.kind === 'pci' && c.hotplug === false) || c.integrated, 8),
        };
      }
    } else if (!isX) {
      const room = inst.root.hotplug ? inst.root.freeSlots : 0;
      total += Math.ceil(Math.max(0, count((c) => c.hotplug === true) + spares.slots - l.hpSlots - room) / 31);
    }
  }
  if (inst.rootKind === 'pcie-root') {
    const intRoom = Math.max(0, inst.root.freeSlots - Math.ceil(Math.max(0, rootPorts - inst.root.rootPortFns) / 8) - expanders);
    const overflow = rootNoHp.pcie + rootNoHp.pci - intRoom;
    if (overflow > 0) total += Math.min(overflow, rootNoHp.pcie) + Math.ceil(Math.max(0, overflow - rootNoHp.pcie) / 32);
  }
  return total;
}

export function encodeObjective(inst: Instance, v: Vars, smt: Smt): number {
  smt.assert(eq(v.added, sum([...v.loc.values()].map(newBuses))));
  const lb = lowerBound(inst);
  smt.assert(ge(v.added, String(lb)));
  return lb;
}
