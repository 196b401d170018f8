/*
 * Objective and lower bound.
 *
 *   added = sum_L new_L                                      (controllers pciplan adds)
 * Lexicographic goals: (1) added, (2) guest bus numbers used = used + added (every controller
 * pciplan adds numbers exactly one bus, so (2) follows (1)), (3) the canonical layout among those
 * with the least `added` (encodings/canonical.ts, the descent in src/optimal/solve.ts).
 *
 * The analytic lower bound handed to the solver as `added >= LB` (redundant, decisive for speed).
 * It adds up controllers of different kinds, each term counting only what no layout can avoid and
 * each capacity taken at its most generous (existing free ports and slots count wherever they are):
 *   expanders  one per NUMA node with units and no expander yet
 *   ports      PCIe units that need a port of their own (hotplug=yes, or on a NUMA node: expander
 *              buses take no endpoints) and the spare ports, less all free existing ports;
 *              plus hotplug=no PCIe units pcie.0 cannot take (its free slots less the new
 *              expanders'), less the existing ports left over
 *   bridges    ceil((hotplug=yes PCI units + spare slots - free existing hot-pluggable slots
 *              [- bus 0's free slots when hot-pluggable, - 32 per new pci-expander-bus]) / 31)
 *              and at least one on each node whose hot-pluggable PCI units have no slot there
 *   dmi        ceil((hotplug=no PCI units on NUMA nodes + those pcie.0 cannot take - free existing
 *              dmi slots) / 32), and at least one on each node whose hotplug=no PCI units need it;
 *              a node's bridge hangs from a port or a dmi bridge there: with the nodes that need
 *              such a parent (no dmi forced, no PCI bus or free port there), the larger count
 *              (a dmi bridge may serve both); without nodes, one parent for the root's bridges
 *              when nothing already is one
 * (hotplug=no units count as where they may go: pcie.0, hotplug='off' ports, dmi slots;
 * @rule hotplug-no.)
 * Ports, bridges, dmi bridges and expanders are distinct controllers, so LB <= every feasible
 * `added`. A proof that leans on it is re-checked with the trusted part alone (src/optimal/solve.ts),
 * so a bound too high costs checks, never a false proof; test/encodings/objective.test.ts checks it
 * on a hand-written instance, and test/optimal's exact model checks the optima it helps prove.
 */
import type { CountInstance } from './instance.js';
import { eq, sum, type Smt } from '../src/solver/smt.js';
import { newBuses } from './busNumbers.js';
import type { Vars } from './variables.js';

/** Counting helpers shared by both bounds. */
function tally(inst: CountInstance) {
  type Class = CountInstance['classes'][number];
  type Loc = CountInstance['locations'][number];
  /** Units of the matching classes; packable ones `per` to a slot. */
  const units = (pred: (c: Class) => boolean, per = 1) =>
    inst.classes.filter(pred).reduce((n, c) => n + (c.packable ? Math.ceil(c.units.length / per) : c.units.length), 0);
  const sum = (f: (l: Loc) => number) => inst.locations.reduce((n, l) => n + f(l), 0);
  const nodes = new Set(inst.classes.flatMap((c) => (c.numa !== undefined && c.units.length ? [c.numa] : [])));
  const at = (n: number) => inst.locations.find((l) => l.node === n);
  const expanders = [...nodes].filter((n) => !at(n)?.expander?.existing).length;
  return { units, sum, nodes, expanders, at };
}

/**
 * The part of the bound whose argument is short enough to trust without a check: ports for units
 * that cannot do without one and for the spares, bridges for hot-pluggable conventional units and
 * spare slots, an expander per NUMA node in use. The solver re-checks every proof that needed more
 * than this (solve.ts), so a mistake in the finer terms costs time, never a false proof.
 */
export function trustedLowerBound(inst: CountInstance): number {
  const { units, sum, nodes, expanders, at } = tally(inst);
  if (inst.rootKind === 'conventional-root') {
    const room = (inst.root.hotplug ? inst.root.freeSlots : 0) + 32 * expanders;
    return expanders + Math.ceil(Math.max(0, units((c) => c.hotplug === true) + inst.spares.slots - sum((l) => l.hpSlots) - room) / 31);
  }
  const portUnits = units((c) => c.kind === 'pcie' && !c.integrated && (c.hotplug === true || c.numa !== undefined), 8) + inst.spares.ports;
  const ports = Math.max(0, portUnits - sum((l) => l.hpPorts + l.offPorts));
  // A node's own hot-pluggable PCI units need a bridge on that node, its hotplug=no PCI units a
  // dmi bridge there (expander buses take no endpoints), unless such slots exist there already.
  const nodeBridges = [...nodes].filter((n) => units((c) => c.numa === n && c.kind === 'pci' && c.hotplug === true) > 0 && !((at(n)?.hpSlots ?? 0) > 0)).length;
  const nodeDmi = [...nodes].filter((n) => units((c) => c.numa === n && c.kind === 'pci' && c.hotplug === false) > 0 && !((at(n)?.offSlots ?? 0) > 0)).length;
  const bridges = Math.max(Math.ceil(Math.max(0, units((c) => c.kind === 'pci' && c.hotplug === true) + inst.spares.slots - sum((l) => l.hpSlots)) / 31), nodeBridges);
  // A bridge on a node hangs from a port or a dmi bridge on that node: one more controller there,
  // unless a dmi bridge is forced there anyway or a PCI bus or a spare existing port is there.
  const nodeParents = [...nodes].filter((n) => {
    const l = at(n);
    const hp = units((c) => c.numa === n && c.kind === 'pci' && c.hotplug === true);
    const noHp = units((c) => c.numa === n && c.kind === 'pci' && c.hotplug === false);
    const freePorts = (l?.hpPorts ?? 0) + (l?.offPorts ?? 0) - units((c) => c.numa === n && c.kind === 'pcie', 8);
    return hp > 0 && !((l?.hpSlots ?? 0) > 0) && noHp === 0 && !((l?.pciBuses ?? 0) > 0) && freePorts <= 0;
  }).length;
  return expanders + ports + bridges + nodeDmi + nodeParents;
}

export function lowerBound(inst: CountInstance): number {
  const { units, sum, nodes, expanders, at } = tally(inst);
  if (inst.rootKind === 'conventional-root') {
    const room = (inst.root.hotplug ? inst.root.freeSlots : 0) + 32 * expanders;
    const bridges = Math.ceil(Math.max(0, units((c) => c.hotplug === true) + inst.spares.slots - sum((l) => l.hpSlots) - room) / 31);
    return expanders + bridges;
  }
  const freePorts = sum((l) => l.hpPorts + l.offPorts);
  const portUnits = units((c) => c.kind === 'pcie' && !c.integrated && (c.hotplug === true || c.numa !== undefined), 8) + inst.spares.ports;
  const ports = Math.max(0, portUnits - freePorts);
  const leftPorts = Math.max(0, freePorts - portUnits);
  // Per NUMA node: its own hot-pluggable PCI units need a bridge there (unless PCI slots exist
  // there), its hotplug=no PCI units a dmi bridge there, and a bridge there hangs from a port or
  // a dmi bridge there (unless one is forced anyway, or a PCI bus or a free port exists there).
  const hpPciAt = (n: number) => units((c) => c.numa === n && c.kind === 'pci' && c.hotplug === true);
  const noHpPciAt = (n: number) => units((c) => c.numa === n && c.kind === 'pci' && c.hotplug === false, 8);
  const portUnitsAt = (n: number) => units((c) => c.numa === n && c.kind === 'pcie', 8);
  const nodeBridges = [...nodes].filter((n) => hpPciAt(n) > 0 && !((at(n)?.hpSlots ?? 0) > 0)).length;
  const forcedDmi = [...nodes].filter((n) => noHpPciAt(n) > 0 && !((at(n)?.offSlots ?? 0) > 0)).length;
  const nodeParents = [...nodes].filter((n) => {
    const l = at(n);
    const freePortsThere = (l?.hpPorts ?? 0) + (l?.offPorts ?? 0) - portUnitsAt(n);
    return hpPciAt(n) > 0 && !((l?.hpSlots ?? 0) > 0) && noHpPciAt(n) === 0 && !((l?.pciBuses ?? 0) > 0) && freePortsThere <= 0;
  }).length;
  const bridges = Math.max(Math.ceil(Math.max(0, units((c) => c.kind === 'pci' && c.hotplug === true) + inst.spares.slots - sum((l) => l.hpSlots)) / 31), nodeBridges);
  // What pcie.0 cannot take of the units that could sit there (hotplug=no or either, no node).
  const intRoom = Math.max(0, inst.root.freeSlots - expanders);
  const intPcie = units((c) => c.kind === 'pcie' && c.numa === undefined && c.hotplug !== true, 8);
  const intPci = units((c) => c.numa === undefined && ((c.kind === 'pci' && c.hotplug === false) || c.integrated), 8);
  const overflow = Math.max(0, intPcie + intPci - intRoom);
  // The cheaper overflow first: conventional units to dmi slots (32 to a bridge), then PCIe ones
  // to ports (one each).
  const pcieOverflow = Math.max(0, overflow - intPci);
  const overflowPorts = Math.max(0, pcieOverflow - leftPorts);
  const numaNoHpPci = [...nodes].reduce((n, node) => n + noHpPciAt(node), 0);
  const offSlots = sum((l) => l.offSlots);
  // dmi bridges and the nodes' bridge parents: a dmi bridge may be both, so count the larger.
  const dmiAndParents = Math.max(Math.ceil(Math.max(0, numaNoHpPci + (overflow - pcieOverflow) - offSlots) / 32), forcedDmi + nodeParents);
  // Without nodes: the root hierarchy's bridges need a parent unless something already is one.
  const leftAfterOverflow = Math.max(0, leftPorts - pcieOverflow);
  const rootParent = nodes.size === 0 && bridges > 0 && dmiAndParents === 0 && leftAfterOverflow === 0 && sum((l) => l.pciBuses) === 0 ? 1 : 0;
  return expanders + ports + overflowPorts + bridges + dmiAndParents + rootParent;
}

/** The objective's definition; the bounds are asserted per check by the search (solve.ts). */
export function encodeObjective(inst: CountInstance, v: Vars, smt: Smt): { lowerBound: number; trusted: number } {
  smt.assert(eq(v.added, sum([...v.loc.values()].map(newBuses))));
  const trusted = trustedLowerBound(inst);
  return { lowerBound: Math.max(trusted, lowerBound(inst)), trusted };
}
