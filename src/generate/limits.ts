// Whether a generated domain is beyond what any PCI layout can hold, argued from counts alone (no
// search): every bus has at most 32 slots, a PCI Express unit sits in a slot of the root bus or
// behind a port of its own, a hot-pluggable one always behind a port, a NUMA-pinned one behind a
// root port of its node's expander bus, and one PCI domain numbers 256 buses. The count is a lower
// bound, so "exceeds" is a proof; below it the optimal allocator decides.
import { CONTROLLERS, GUEST_BUS_NUMBERS, rootRole, SLOTS_PER_BUS } from '../catalog/index.js';
import { needsPciAddress, type Device, type Domain } from '../model/types.js';

export interface Exceeds {
  layout: 'exceeds';
  /** Guest bus numbers every layout needs at least. */
  busNumbers: number;
  reason: string;
}

interface Unit {
  pcie: boolean;
  hotplug: boolean | undefined;
  numa: number | undefined;
}

/** Devices needing a PCI address, a multifunction group counting once. */
function units(domain: Domain, pcieRoot: boolean): Unit[] {
  const groups = new Map<string, Device[]>();
  const out: Device[][] = [];
  for (const d of domain.devices) {
    if (d.pci || !needsPciAddress(d)) continue;
    const g = d.hints.group;
    if (g === undefined) out.push([d]);
    else if (groups.has(g)) groups.get(g)!.push(d);
    else {
      const members = [d];
      groups.set(g, members);
      out.push(members);
    }
  }
  return out.map((members) => ({
    pcie: pcieRoot && members.every((d) => d.cls.connect !== 'pci' && d.hints.bus !== 'pci'),
    hotplug: members.find((d) => d.hints.hotplug !== undefined)?.hints.hotplug,
    numa: members.find((d) => d.hints.numa !== undefined)?.hints.numa,
  }));
}

/** The fewest guest bus numbers any layout of the domain uses, with what forces them. */
export function busNumbersNeeded(domain: Domain): { busNumbers: number; why: string } {
  const pcieRoot = rootRole(domain.machine) === 'express-root';
  const all = units(domain, pcieRoot);
  if (!pcieRoot) {
    const buses = Math.ceil(all.length / SLOTS_PER_BUS);
    return { busNumbers: Math.max(1, buses), why: `${all.length} PCI units, at most ${SLOTS_PER_BUS} slots per bus` };
  }
  const pinned = all.filter((u) => u.pcie && u.numa !== undefined);
  const nodes = new Set(pinned.map((u) => u.numa)).size;
  const pcie = all.filter((u) => u.pcie && u.numa === undefined);
  const hotplug = pcie.filter((u) => u.hotplug === true).length;
  // The root bus's endpoint slots; every other PCI Express unit needs a port (a bus) of its own.
  const [lo, hi] = CONTROLLERS[domain.machine.root].slots;
  const rootSlots = hi - lo + 1;
  const ports = Math.max(hotplug, pcie.length - rootSlots);
  const conventional = all.filter((u) => !u.pcie).length;
  const bridges = Math.ceil(conventional / SLOTS_PER_BUS);
  const parts = [
    `${ports} PCI Express ports (${hotplug} hot-pluggable units, ${pcie.length} units for ${rootSlots} root slots)`,
    ...(pinned.length ? [`${pinned.length} root ports under ${nodes} NUMA expander buses, and the expanders`] : []),
    ...(conventional ? [`${bridges} buses for ${conventional} conventional units`] : []),
  ];
  return { busNumbers: 1 + ports + pinned.length + nodes + bridges, why: `the root bus, ${parts.join(', ')}` };
}

/** Set when no layout can exist: more bus numbers needed than one PCI domain has. */
export function exceeds(domain: Domain): Exceeds | undefined {
  const { busNumbers, why } = busNumbersNeeded(domain);
  if (busNumbers <= GUEST_BUS_NUMBERS) return undefined;
  return { layout: 'exceeds', busNumbers, reason: `needs at least ${busNumbers} guest bus numbers (${why}); one PCI domain has ${GUEST_BUS_NUMBERS}` };
}
