// The PCI tree a domain describes: one bus per PCI controller index, what sits on it, and where
// each bus hangs. Shared by the validator, the allocators and `show`.
import { CONTROLLERS, isPortRole, rootRole, type BusKind, type ConnectType, type ControllerSpec } from '../catalog/index.js';
import { pciControllers, type Device, type Domain, type PciAddress, type PciController } from './types.js';

export interface Bus {
  index: number;
  device: Device;
  ctrl: PciController;
  spec: ControllerSpec;
}

export interface Topology {
  buses: Map<number, Bus>;
  /** Devices with a concrete PCI address, by "bus:slot.function" (the first one when duplicated). */
  used: Map<string, Device>;
  /** Highest controller index + 1 (libvirt's bus count). */
  nbuses: number;
}

export const fnKey = (a: Pick<PciAddress, 'bus' | 'slot' | 'function'>) => `${a.bus}:${a.slot}.${a.function}`;
export const slotKey = (a: Pick<PciAddress, 'bus' | 'slot'>) => `${a.bus}:${a.slot}`;

export function addressOf(d: Device): PciAddress | undefined {
  return d.address.type === 'pci' ? d.address.pci : undefined;
}

export function buildTopology(domain: Domain): Topology {
  const buses = new Map<number, Bus>();
  for (const d of pciControllers(domain)) {
    if (d.pci.index < 0 || buses.has(d.pci.index)) continue;
    buses.set(d.pci.index, { index: d.pci.index, device: d, ctrl: d.pci, spec: CONTROLLERS[d.pci.model] });
  }
  if (!buses.has(0)) buses.set(0, implicitRoot(domain));
  const used = new Map<string, Device>();
  for (const d of domain.devices) {
    const a = addressOf(d);
    if (a && !used.has(fnKey(a))) used.set(fnKey(a), d);
  }
  return { buses, used, nbuses: Math.max(0, ...buses.keys()) + 1 };
}

/** The root bus libvirt adds when the XML lists none (a synthetic device, not in domain.devices). */
function implicitRoot(domain: Domain): Bus {
  const model = domain.machine.root;
  const ctrl: PciController = { index: 0, model, modelWritten: true, target: {}, targetOptions: [] };
  const device: Device = {
    index: -1,
    kind: 'controller',
    id: 'controller[pci 0]',
    line: 0,
    props: { type: 'pci', model, index: 0 },
    cls: { connect: 'none', integrated: false, rule: undefined },
    address: { type: 'none' },
    hints: {},
    pci: ctrl,
    path: [],
  };
  return { index: 0, device, ctrl, spec: CONTROLLERS[model] };
}

/** What a device is when it plugs in: its connect type on this machine. */
export function connectTypeOf(d: Device, domain: Domain): ConnectType {
  if (d.pci) return CONTROLLERS[d.pci.model].connect ?? 'pci-device';
  return endpointKind(d, domain) === 'pcie' ? 'pcie-device' : 'pci-device';
}

/** The bus kind a device is by default on this machine (everything is PCI without pcie-root). */
export function endpointKind(d: Device, domain: Domain): BusKind {
  if (rootRole(domain.machine) !== 'express-root') return 'pci';
  return d.cls.connect === 'pcie' || d.cls.connect === 'virtio' ? 'pcie' : 'pci';
}

/** Whether the guest can hot(un)plug a device in a slot of this bus (ACPI or native PCIe). */
export function busHotpluggable(bus: Bus): boolean {
  return bus.spec.hotpluggable && bus.ctrl.target.hotplug !== 'off';
}

/** The kind of endpoint slot a bus offers. */
export function busKind(bus: Bus): BusKind | undefined {
  if (bus.spec.accepts.includes('pcie-device')) return 'pcie';
  if (bus.spec.accepts.includes('pci-device')) return 'pci';
  return undefined;
}

/** A bus with one slot that takes one device or switch: a root port or a switch downstream port. */
export function isPortBus(bus: Bus): boolean {
  return isPortRole(bus.spec.role);
}

/**
 * What is free on a bus. A port counts as free only when nothing at all hangs below it; on other
 * buses, the slots no function takes, never the chipset's reserved slots of bus 0.
 */
export function freeSlots(domain: Domain, topo: Topology, bus: Bus): number[] {
  const taken = new Set<number>();
  for (const d of topo.used.values()) {
    const a = addressOf(d)!;
    if (a.bus === bus.index) taken.add(a.slot);
  }
  const [min, max] = bus.spec.slots;
  if (isPortBus(bus)) return taken.size === 0 ? [min] : [];
  const free: number[] = [];
  for (let s = min; s <= max; s++) {
    const reserved = bus.index === 0 && domain.machine.reserved.some((r) => r.slot === s);
    if (!reserved && !taken.has(s)) free.push(s);
  }
  return free;
}

/** The chain of buses from `bus` up to its root (bus first); stops at a cycle or a missing bus. */
export function ancestry(topo: Topology, bus: number): Bus[] {
  const chain: Bus[] = [];
  const seen = new Set<number>();
  for (let cur = topo.buses.get(bus); cur && !seen.has(cur.index); ) {
    chain.push(cur);
    seen.add(cur.index);
    const up = addressOf(cur.device);
    cur = up ? topo.buses.get(up.bus) : undefined;
  }
  return chain;
}

/** The nearest bus at or above `bus` that is on a NUMA node (an expander or pSeries PHB). */
export function numaBus(topo: Topology, bus: number): Bus | undefined {
  return ancestry(topo, bus).find((b) => b.ctrl.target.node !== undefined);
}

/** Guest bus numbers a domain's controllers take (the root bus counted): at most 256. */
export function guestBusNumbers(domain: Domain): number {
  return domain.devices.filter((d) => d.pci && CONTROLLERS[d.pci.model].guestBus).length;
}
