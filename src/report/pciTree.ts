// The PCI tree of a domain as people read it, as data: the text tree, the DOT graph and the HTML
// page all draw this one model, so they cannot disagree about what hangs where or what is free.
import { CONTROLLERS, isControllerModel, roleOf, type BusKind, type ControllerRole } from '../catalog/index.js';
import { addressOf, buildTopology, busHotpluggable, busKind, freeSlots, isPortBus, type Bus, type Topology } from '../model/topology.js';
import { needsPciAddress, type Device, type Domain, type PciAddress } from '../model/types.js';
import type { Policy } from '../model/schemas.js';
import { checkHints, spareCapacity } from '../validate/hints.js';

/** How a controller is drawn; endpoints are 'device'. */
export type Role = 'root' | 'expander' | 'port' | 'switch' | 'bridge' | 'device';

/** How a controller of each role is drawn. */
const DRAWN_AS: Record<ControllerRole, Role> = {
  'conventional-root': 'root',
  'express-root': 'root',
  'conventional-expander': 'expander',
  'express-expander': 'expander',
  'root-port': 'port',
  'switch-downstream': 'port',
  'switch-upstream': 'switch',
  'conventional-bridge': 'bridge',
  'dmi-bridge': 'bridge',
  'express-to-conventional-bridge': 'bridge',
};

/** The bus a controller opens, and what is left on it. */
export interface OwnBus {
  index: number;
  /** The guest can hot(un)plug in its slots. */
  hotpluggable: boolean;
  /** `<target hotplug='off'/>` is written (a port that could hotplug but must not). */
  hotplugOff: boolean;
  /** `<target><node>`: the NUMA node of an expander bus. */
  numa?: number;
  busNr?: number;
  /** Endpoint slot kind it offers; undefined when it takes only controllers. */
  kind?: BusKind;
  /** What its slots take, for people: 'PCIe devices', 'PCI devices', or the controller models. */
  takes: string;
  isPort: boolean;
  /** Slots nothing takes (for a port: [0] when nothing hangs below it). */
  free: number[];
  /** An empty hot-pluggable port: the capacity `sparePciePorts` counts. */
  spare: boolean;
  /** Free hot-pluggable conventional PCI slots: the capacity `sparePciSlots` counts. */
  spareSlots: number;
}

export interface PciNode {
  /** The device's name (kind[alias|…]), unique within the domain. */
  id: string;
  kind: string;
  role: Role;
  /** Controller model, or the endpoint's model ('' when none is written). */
  model: string;
  /** undefined for a root bus. */
  address?: PciAddress;
  hints: string[];
  /** The hints this placement breaks (hotplug, numa, bus, group), with the validator's reason. */
  broken: { hint: string; message: string }[];
  /** The slot it sits in can be hot(un)plugged by the guest. */
  hotpluggableSlot: boolean;
  /** Its address in a previous layout, when it sits elsewhere now (show --previous). */
  movedFrom?: string;
  /** NUMA node of the nearest expander above it (or its own, for an expander). */
  numa?: number;
  /** Set on controllers that open a bus. */
  bus?: OwnBus;
  children: PciNode[];
}

export interface PciTree {
  name: string;
  machine: string;
  roots: PciNode[];
  /** Devices that need a PCI address and have none yet. */
  unplaced: string[];
  spare: { pciePorts: number; pciSlots: number };
}

function hintList(d: Device): string[] {
  return Object.entries(d.hints).map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
}

function ownBus(domain: Domain, topo: Topology, bus: Bus): OwnBus {
  const free = freeSlots(domain, topo, bus);
  const hotpluggable = busHotpluggable(bus);
  const kind = busKind(bus);
  const port = isPortBus(bus);
  return {
    index: bus.index,
    hotpluggable,
    hotplugOff: bus.ctrl.target.hotplug === 'off',
    numa: bus.ctrl.target.node,
    busNr: bus.ctrl.target.busNr,
    kind,
    takes: kind ? `${kind === 'pcie' ? 'PCIe' : 'PCI'} devices` : bus.spec.accepts.join(', '),
    isPort: port,
    free,
    spare: port && hotpluggable && free.length > 0,
    spareSlots: !port && hotpluggable && kind === 'pci' ? free.length : 0,
  };
}

/** The tree of a domain; `policy` decides which hotplug defaults count as broken. */
export function buildPciTree(domain: Domain, policy: Policy = {}): PciTree {
  const topo = buildTopology(domain);
  const broken = new Map<string, { hint: string; message: string }[]>();
  for (const p of checkHints(domain, topo, policy)) {
    // A waived hint (greedy's layout, recorded in the file) is still broken.
    if (!p.device || (p.severity !== 'error' && !p.waives)) continue;
    broken.set(p.device, [...(broken.get(p.device) ?? []), { hint: (p.waives ?? p.rule).replace(/^hint-/, ''), message: p.message }]);
  }
  const onBus = new Map<number, Device[]>();
  for (const d of domain.devices) {
    const a = addressOf(d);
    // A console's address is its serial port's: drawing it twice would invent a device.
    if (!a || d.cls.addressRule === 'mirror') continue;
    onBus.set(a.bus, [...(onBus.get(a.bus) ?? []), d]);
  }
  const seen = new Set<number>();
  const node = (d: Device, parent: Bus | undefined, numaAbove: number | undefined): PciNode => {
    const own = d.pci ? topo.buses.get(d.pci.index) : undefined;
    const opens = own && own.device === d && !seen.has(own.index) ? own : undefined;
    const bus = opens ? ownBus(domain, topo, opens) : undefined;
    const numa = bus?.numa ?? numaAbove;
    const n: PciNode = {
      id: d.id,
      kind: d.kind,
      role: d.pci ? DRAWN_AS[roleOf(d.pci.model)] : 'device',
      model: d.pci ? d.pci.model : (d.props.model ?? ''),
      address: addressOf(d),
      hints: hintList(d),
      broken: broken.get(d.id) ?? [],
      hotpluggableSlot: parent ? busHotpluggable(parent) : false,
      numa,
      bus,
      children: [],
    };
    if (opens) {
      // A cycle in a broken domain (a bridge below its own bus) is drawn once, not forever.
      seen.add(opens.index);
      const below = [...(onBus.get(opens.index) ?? [])].sort((x, y) => {
        const a = addressOf(x)!;
        const b = addressOf(y)!;
        return a.slot - b.slot || a.function - b.function || x.index - y.index;
      });
      n.children = below.map((c) => node(c, opens, numa));
    }
    return n;
  };
  const roots = [...topo.buses.values()].filter((b) => CONTROLLERS[b.ctrl.model].connect === null).map((b) => node(b.device, undefined, undefined));
  return {
    name: domain.name,
    machine: domain.machineName,
    roots,
    unplaced: domain.devices.filter((d) => needsPciAddress(d) && !addressOf(d)).map((d) => d.id),
    spare: spareCapacity(domain, topo),
  };
}

/** Every node, parents before children, in address order. */
export function walkTree(tree: PciTree): { node: PciNode; parent?: PciNode; depth: number }[] {
  const out: { node: PciNode; parent?: PciNode; depth: number }[] = [];
  const visit = (node: PciNode, parent: PciNode | undefined, depth: number) => {
    out.push({ node, parent, depth });
    for (const c of node.children) visit(c, node, depth + 1);
  };
  for (const r of tree.roots) visit(r, undefined, 0);
  return out;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** "bb:ss.f": the domain is always 0000 in what pciplan draws. */
export function shortAddress(a: PciAddress): string {
  return `${hex2(a.bus)}:${hex2(a.slot)}.${a.function.toString(16)}`;
}

/** Free slots as hex ranges: 05-1a, 1c-1e. */
export function slotRanges(slots: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < slots.length; ) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    parts.push(i === j ? hex2(slots[i]!) : `${hex2(slots[i]!)}-${hex2(slots[j]!)}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The name people use for a root bus (QEMU's: pcie.0 on q35, pci.0 elsewhere). */
export function rootName(node: PciNode): string {
  return isControllerModel(node.model) && roleOf(node.model) === 'express-root' ? 'pcie.0' : `pci.${node.bus?.index ?? 0}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** How many hints the layout breaks, counted per device and hint. */
export function brokenHints(tree: PciTree): number {
  return walkTree(tree).reduce((n, { node }) => n + new Set(node.broken.map((b) => b.hint)).size, 0);
}

/** "spare: 1 free hot-pluggable PCIe port, 0 …; 3 hints broken": what the policy would check. */
export function spareSummary(tree: PciTree): string {
  const broken = brokenHints(tree);
  return `spare: ${plural(tree.spare.pciePorts, 'free hot-pluggable PCIe port')}, ${plural(tree.spare.pciSlots, 'free hot-pluggable PCI slot')}${broken ? `; ${plural(broken, 'hint')} broken` : ''}`;
}
