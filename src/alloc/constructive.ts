// A quick layout that honours every requirement, built without a solver: a deterministic pass
// that places each unit (a device, or a multifunction group) on the cheapest place that meets its
// kind, hotplug, NUMA and bus-0 requirements, adding controllers of the models the policy allows
// when nothing that exists fits, then adds spare ports and slots until the spares hold. Polynomial
// (units x buses). It is not optimal and not complete: the optimal search improves on it, and when
// that search runs out of time, this layout is what `assign` writes (marked not proven).
//
// Places, in the order tried for a unit (each from the catalog's controller specs):
//   integrated           a free slot of bus 0, nothing else;
//   an existing place    a free slot (or an empty port) of a bus of the right kind, hotplug and node;
//   PCIe, hotplug=no     a free slot of pcie.0 (root location), else a root port with hotplug='off'
//                        (@rule hotplug-no, as the dmi-to-pci-bridge for PCI below);
//   PCIe, otherwise      a new root port (aggregated eight to a slot, as libvirt does); the last
//                        root-port place of a location holds a switch, whose downstream ports
//                        take the rest;
//   PCI                  a new bus of PCI slots: a pci-bridge where a conventional bus exists or the
//                        root is conventional, else a pcie-to-pci-bridge on a new root port (or a
//                        dmi-to-pci-bridge, which is not hot-pluggable, for hotplug=no);
//   numa=N               the same, under an expander bus on node N (added once per node, numbered
//                        from the top of the 256 guest bus numbers down).
// The caller validates the result with the policy; a layout the validator rejects is no layout.
import {
  connectOf,
  CONTROLLERS,
  expanderRoleFor,
  FUNCTIONS_PER_SLOT,
  GUEST_BUS_NUMBERS,
  isExpanderRole,
  isPortRole,
  modelFor,
  type BusKind,
  type ConnectType,
  type ControllerModel,
  type ControllerRole,
  type RootRole,
} from '../catalog/index.js';
import { markMultifunction, newController, type NewController } from '../model/applyLayout.js';
import { addressOf } from '../model/topology.js';
import { needsPciAddress, type ControllerTarget, type Device, type Domain, type PciAddress } from '../model/types.js';

/** What the pass needs of a unit (the optimal instance's units are these). */
export interface ConstructiveUnit {
  devices: Device[];
  kind: BusKind;
  hotplug: boolean | undefined;
  numa: number | undefined;
  integrated: boolean;
}

/** The pass's input: the optimal instance satisfies it (requirements are read in one place). */
export interface ConstructiveInput {
  domain: Domain;
  rootKind: RootRole;
  units: readonly ConstructiveUnit[];
  root: { hotplug: boolean };
  spares: { ports: number; slots: number };
  allowed: ReadonlySet<ControllerModel>;
  /** Addresses already settled (fixed, chipset, existing controllers). */
  placed: ReadonlyMap<number, PciAddress>;
  /** bus -> slot -> used function bits, after `placed`. */
  occupancy: ReadonlyMap<number, readonly number[]>;
  /** The domain's devices and the implicit ones. */
  devices: readonly Device[];
}

export type ConstructiveResult =
  | { found: true; addresses: Map<number, PciAddress>; added: NewController[] }
  | { found: false; reason: string };

interface Bus {
  index: number;
  model: ControllerModel;
  role: ControllerRole;
  hotplug: boolean;
  /** The NUMA node of the nearest expander at or above it. */
  node: number | undefined;
  /** Used function bits per slot. */
  slots: number[];
  /** The slot of this bus that takes the root ports this pass adds (eight functions each). */
  portSlot?: number;
  added?: NewController;
}

class NoPlace extends Error {}

const isPort = (b: Bus) => isPortRole(b.role);

class Builder {
  readonly buses = new Map<number, Bus>();
  readonly addresses = new Map<number, PciAddress>();
  readonly added: NewController[] = [];
  private nextIndex: number;
  private readonly expanders = new Map<number, Bus>();

  constructor(readonly input: ConstructiveInput) {
    const ctrls = input.devices.filter((d) => d.pci);
    const byIndex = new Map(ctrls.map((d) => [d.pci!.index, d]));
    const nodeOf = (index: number, seen = new Set<number>()): number | undefined => {
      const d = byIndex.get(index);
      if (!d || seen.has(index)) return undefined;
      if (d.pci!.target.node !== undefined) return d.pci!.target.node;
      seen.add(index);
      const parent = input.placed.get(d.index);
      return parent && parent.bus !== index ? nodeOf(parent.bus, seen) : undefined;
    };
    const maxIndex = Math.max(0, ...ctrls.map((d) => d.pci!.index));
    for (let i = 0; i <= maxIndex; i++) {
      const d = byIndex.get(i);
      const model: ControllerModel = d ? d.pci!.model : modelFor(i === 0 ? input.rootKind : 'conventional-bridge');
      const hotplug = i === 0 ? input.root.hotplug : CONTROLLERS[model].hotpluggable && d?.pci!.target.hotplug !== 'off';
      const bus: Bus = { index: i, model, role: CONTROLLERS[model].role, hotplug, node: nodeOf(i), slots: [...(input.occupancy.get(i) ?? Array<number>(32).fill(0))] };
      this.buses.set(i, bus);
      if (d?.pci!.target.node !== undefined && isExpanderRole(CONTROLLERS[model].role) && !this.expanders.has(bus.node!)) {
        this.expanders.set(bus.node!, bus);
      }
    }
    for (const [i, a] of input.placed) this.addresses.set(i, a);
    this.nextIndex = maxIndex + 1;
  }

  private freeSlot(b: Bus): number | undefined {
    const [min, max] = CONTROLLERS[b.model].slots;
    for (let s = min; s <= max; s++) {
      if (b.slots[s] === 0 && !(b.index === 0 && this.input.domain.machine.reserved.some((r) => r.slot === s))) return s;
    }
    return undefined;
  }

  private use(b: Bus, slot: number, fn: number): PciAddress {
    b.slots[slot]! |= 1 << fn;
    return { domain: 0, bus: b.index, slot, function: fn };
  }

  /** Whether the policy lets the pass add a controller of `role`. */
  private can(role: ControllerRole): boolean {
    return this.input.allowed.has(modelFor(role));
  }

  /** A new controller of `role` plugged into `parent`; root ports share a slot as functions. */
  private addController(role: ControllerRole, parent: Bus, target: ControllerTarget = {}): Bus {
    const model = modelFor(role);
    if (!this.input.allowed.has(model)) throw new NoPlace(`the machine or the policy does not allow adding a ${model}`);
    if (this.nextIndex > 255) throw new NoPlace('controller indexes run out (255)');
    let at: PciAddress | undefined;
    if (role === 'root-port' && parent.portSlot !== undefined) {
      const fns = parent.slots[parent.portSlot]!;
      const fn = [...Array(FUNCTIONS_PER_SLOT).keys()].find((f) => !(fns & (1 << f)));
      if (fn !== undefined) at = this.use(parent, parent.portSlot, fn);
    }
    if (!at && this.freeSlot(parent) === undefined && role === 'conventional-bridge') {
      // A full bus: the bridge hangs from another conventional bus of the same location.
      parent = [...this.buses.values()].find((b) => b.node === parent.node && CONTROLLERS[b.model].accepts.includes(connectOf('conventional-bridge')) && this.freeSlot(b) !== undefined) ?? parent;
    }
    if (!at) {
      const slot = this.freeSlot(parent);
      if (slot === undefined) throw new NoPlace(`no free slot on bus ${parent.index} for a ${model}`);
      at = this.use(parent, slot, 0);
      if (role === 'root-port') parent.portSlot = slot;
    }
    const index = this.nextIndex++;
    const c = newController(model, index, at, target);
    this.added.push(c);
    const spec = CONTROLLERS[model];
    const bus: Bus = {
      index,
      model,
      role,
      hotplug: spec.hotpluggable && target.hotplug !== 'off',
      node: target.node ?? parent.node,
      slots: Array<number>(32).fill(0),
      added: c,
    };
    this.buses.set(index, bus);
    return bus;
  }

  /** Root ports `parent` can still take: free functions of its port slot, eight per free slot. */
  private rootPortRoom(parent: Bus): number {
    const fns = parent.portSlot === undefined ? 0xff : parent.slots[parent.portSlot]!;
    let free = 0;
    for (let f = 0; f < FUNCTIONS_PER_SLOT; f++) if (!(fns & (1 << f))) free++;
    return free + FUNCTIONS_PER_SLOT * this.freeCount(parent);
  }

  /**
   * A new PCIe port in the location of `top`: a root port while there is room for more than one;
   * the last place holds a root port with a switch (upstream port, then downstream ports, 32 per
   * upstream port), when the policy allows switches.
   */
  private addPort(top: Bus, target: ControllerTarget): Bus {
    const switches = this.can('switch-upstream') && this.can('switch-downstream');
    if (!switches || this.rootPortRoom(top) > 1) return this.addController('root-port', top, target);
    let up = [...this.buses.values()].find((b) => b.role === 'switch-upstream' && b.node === top.node && this.freeSlot(b) !== undefined);
    if (!up) {
      if (this.rootPortRoom(top) === 0) throw new NoPlace(`no room on bus ${top.index} for another PCIe port`);
      up = this.addController('switch-upstream', this.addController('root-port', top));
    }
    return this.addController('switch-downstream', up, target);
  }

  /** The bus a location hangs from: bus 0, or the expander on node N (added once). */
  private locationRoot(numa: number | undefined): Bus {
    const root = this.buses.get(0)!;
    if (numa === undefined) return root;
    const have = this.expanders.get(numa);
    if (have) return have;
    // busNr is set once the tree is complete (numbered from the top down).
    const bus = this.addController(expanderRoleFor(this.input.rootKind), root, { node: numa });
    this.expanders.set(numa, bus);
    return bus;
  }

  private fits(b: Bus, u: ConstructiveUnit): boolean {
    if (u.integrated) return b.index === 0;
    const connect: ConnectType = u.kind === 'pcie' ? 'pcie-device' : 'pci-device';
    // pcie.0 takes a PCIe unit as an integrated endpoint: only one that must not be hot-pluggable.
    const kindOk = b.index === 0 && this.input.rootKind === 'express-root' ? u.kind === 'pcie' && u.hotplug === false : CONTROLLERS[b.model].accepts.includes(connect);
    if (!kindOk) return false;
    if (u.hotplug !== undefined && b.hotplug !== u.hotplug) return false;
    return u.numa !== undefined ? b.node === u.numa : b.node === undefined;
  }

  /** A free slot (all functions free) on an existing bus that meets the unit's requirements. */
  private existingPlace(u: ConstructiveUnit): { bus: Bus; slot: number } | undefined {
    for (const b of this.buses.values()) {
      if (!this.fits(b, u)) continue;
      if (isPort(b)) {
        if (b.slots[0] === 0) return { bus: b, slot: 0 };
        continue;
      }
      const slot = this.freeSlot(b);
      if (slot === undefined) continue;
      // Keep room to grow: bus 0's slots for the root ports still to come, and on a conventional
      // bus the last free slot for the bridge the next units may need.
      if (b.index === 0 && this.input.rootKind === 'express-root' && !u.integrated) {
        if (this.direct <= 0) continue;
        this.direct--;
      } else if (CONTROLLERS[b.model].accepts.includes(connectOf('conventional-bridge')) && this.freeCount(b) <= 1) continue;
      return { bus: b, slot };
    }
    return undefined;
  }

  private freeCount(b: Bus): number {
    const [min, max] = CONTROLLERS[b.model].slots;
    let n = 0;
    for (let s = min; s <= max; s++) if (b.slots[s] === 0 && !(b.index === 0 && this.input.domain.machine.reserved.some((r) => r.slot === s))) n++;
    return n;
  }

  /** How many hotplug=no PCIe units may take a bus-0 slot of their own (the rest get ports). */
  private direct = Number.POSITIVE_INFINITY;

  /**
   * Share bus 0 before placing: each slot holds one hotplug=no unit, or eight root ports (for the
   * hot-pluggable units, the spares, the pcie-to-pci-bridges and the hotplug=no units that find no
   * slot), or a dmi-to-pci-bridge or an expander. The most hotplug=no units that leave room for the
   * rest go on bus 0.
   */
  planRootSlots(units: readonly ConstructiveUnit[]): void {
    if (this.input.rootKind !== 'express-root') return;
    const local = units.filter((u) => !u.integrated && u.numa === undefined);
    const free = this.freeCount(this.buses.get(0)!) - units.filter((u) => u.integrated).length;
    const pinned = local.filter((u) => u.kind === 'pcie' && u.hotplug === false).length;
    const hotPci = local.filter((u) => u.kind === 'pci' && u.hotplug !== false).length + this.input.spares.slots;
    const ports = local.filter((u) => u.kind === 'pcie' && u.hotplug !== false).length + this.input.spares.ports + Math.ceil(hotPci / 30);
    const dmi = Math.ceil(local.filter((u) => u.kind === 'pci' && u.hotplug === false).length / 31);
    const nodes = new Set(units.flatMap((u) => (u.numa === undefined ? [] : [u.numa]))).size;
    let x = Math.min(pinned, free);
    while (x > 0 && x + Math.ceil((ports + pinned - x) / FUNCTIONS_PER_SLOT) + dmi + nodes > free) x--;
    this.direct = x;
  }

  /** A new bus of conventional PCI slots in the unit's location, hot-pluggable or not. */
  private newPciBus(numa: number | undefined, hotplug: boolean | undefined): Bus {
    const top = this.locationRoot(numa);
    if (this.input.rootKind === 'conventional-root') {
      if (hotplug === false) throw new NoPlace('no conventional bus without hotplug can be added on this machine');
      return this.addController('conventional-bridge', top);
    }
    if (hotplug === false) return this.addController('dmi-bridge', top);
    // A conventional bus the location already has (a dmi-to-pci-bridge) takes a pci-bridge.
    for (const b of this.buses.values()) {
      if (b.role === 'dmi-bridge' && b.node === numa && this.freeSlot(b) !== undefined && this.can('conventional-bridge')) {
        return this.addController('conventional-bridge', b);
      }
    }
    if (this.can('express-to-conventional-bridge') && this.can('root-port')) {
      return this.addController('express-to-conventional-bridge', this.addPort(top, {}));
    }
    return this.addController('conventional-bridge', this.addController('dmi-bridge', top));
  }

  place(u: ConstructiveUnit): void {
    if (u.devices.length > FUNCTIONS_PER_SLOT) throw new NoPlace(`a group of ${u.devices.length} functions`);
    let target = this.existingPlace(u);
    if (!target && u.integrated) throw new NoPlace(`no free slot on bus 0 for ${u.devices[0]!.id}`);
    if (!target && u.kind === 'pcie') {
      if (this.input.rootKind !== 'express-root') throw new NoPlace(`${u.devices[0]!.id} needs a PCI Express slot on a conventional machine`);
      const top = this.locationRoot(u.numa);
      const port = this.addPort(top, u.hotplug === false ? { hotplug: 'off' } : {});
      target = { bus: port, slot: 0 };
    }
    if (!target) {
      const bus = this.newPciBus(u.numa, u.hotplug);
      target = { bus, slot: this.freeSlot(bus)! };
    }
    u.devices.forEach((d, fn) => this.addresses.set(d.index, this.use(target!.bus, target!.slot, fn)));
  }

  /** Add empty hot-pluggable ports and PCI slots until the spares the policy asks for are free. */
  spares(): void {
    const free = () => {
      let ports = 0;
      let slots = 0;
      for (const b of this.buses.values()) {
        if (!b.hotplug) continue;
        const accepts = CONTROLLERS[b.model].accepts;
        if (isPort(b)) ports += b.slots[0] === 0 ? 1 : 0;
        else if (accepts.includes('pci-device') && !accepts.includes('pcie-device')) slots += this.freeCount(b);
      }
      return { ports, slots };
    };
    const root = this.buses.get(0)!;
    while (free().ports < this.input.spares.ports) {
      if (this.input.rootKind !== 'express-root') throw new NoPlace('spare PCIe ports on a conventional machine');
      this.addPort(root, {});
    }
    while (free().slots < this.input.spares.slots) this.newPciBus(undefined, true);
  }

  /** busNr for the new expanders: from the top of the bus numbers down, below any existing one. */
  numberExpanders(): void {
    const existing = [...this.buses.values()].filter((b) => !b.added && b.node !== undefined && isExpanderRole(b.role));
    const given = this.input.devices.filter((d) => d.pci?.target.busNr !== undefined).map((d) => d.pci!.target.busNr!);
    let ceiling = Math.min(GUEST_BUS_NUMBERS, ...given);
    if (existing.length && given.length < existing.length) throw new NoPlace('an existing expander has no busNr');
    const parentOf = new Map<number, number>();
    for (const b of this.buses.values()) {
      const a = b.added?.address;
      if (a) parentOf.set(b.index, a.bus);
    }
    const under = (top: number) => [...this.buses.values()].filter((b) => {
      for (let i: number | undefined = b.index; i !== undefined; i = parentOf.get(i)) if (i === top) return true;
      return false;
    }).length;
    for (const b of [...this.expanders.values()].filter((x) => x.added).sort((x, y) => y.index - x.index)) {
      ceiling -= under(b.index);
      if (ceiling < 1) throw new NoPlace('the expanders need more guest bus numbers than there are');
      b.added!.target = { ...(b.added!.target ?? {}), busNr: ceiling };
    }
  }
}

/**
 * The constructive layout, or why this pass found none (which proves nothing: the optimal search
 * may still find one).
 */
export function constructLayout(input: ConstructiveInput): ConstructiveResult {
  const b = new Builder(input);
  try {
    // Units with the narrowest choice first (integrated, then pinned to bus 0, then NUMA), each
    // group in document order: the order is fixed by the input alone.
    const rank = (u: ConstructiveUnit) => (u.integrated ? 0 : u.kind === 'pcie' && u.hotplug === false ? 1 : u.numa !== undefined ? 2 : 3);
    const units = input.units.map((u, i) => ({ u, i })).sort((x, y) => rank(x.u) - rank(y.u) || x.i - y.i);
    b.planRootSlots(input.units);
    for (const { u } of units) b.place(u);
    b.spares();
    b.numberExpanders();
    // Every device that needs an address has one (an existing controller that found no slot, for
    // one, is not the pass's to place): otherwise the pass found nothing.
    const left = input.devices.find((d) => needsPciAddress(d) && !b.addresses.has(d.index) && !addressOf(d));
    if (left) return { found: false, reason: `${left.id} has no place` };
  } catch (e) {
    if (e instanceof NoPlace) return { found: false, reason: e.message };
    throw e;
  }
  // Root ports share slots as functions: function 0 of each such slot says so.
  markMultifunction([...b.addresses.values(), ...b.added.flatMap((c) => (c.address ? [c.address] : []))]);
  return { found: true, addresses: b.addresses, added: b.added };
}
