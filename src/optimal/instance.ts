// Domain -> the optimisation instance: the units to place grouped into classes of
// interchangeable units, and the free capacity of the topology that already exists, per location.
// The numbers the encodings read (encodings/instance.ts), plus the devices behind the units and
// what the decode needs to turn counts into addresses. Requirements that nobody wrote down follow
// libvirt's promises, read off the greedy layout: a device libvirt would make hot-pluggable stays
// hot-pluggable, and libvirt's spare port or slot is kept.
import { AddressSet, type DeviceFlags } from '../alloc/addressSet.js';
import { deviceFlags } from '../alloc/flags.js';
import type { GreedyResult } from '../alloc/greedy.js';
import { placementOrder } from '../alloc/order.js';
import {
  assertNever,
  CONTROLLERS,
  EXPANDER_MODELS,
  expanderRoleFor,
  FUNCTIONS_PER_SLOT,
  GUEST_BUS_NUMBERS,
  isRootRole,
  MAX_CONTROLLER_INDEX,
  modelFor,
  modelOnMachine,
  roleOf,
  rootComplexFunction,
  rootRole,
  type BusKind,
  type ControllerModel,
  type ControllerRole,
  type RootRole,
} from '../catalog/index.js';
import { ConflictError, PciplanError } from '../errors.js';
import { nameList, type Conflict, type Requirement } from '../conflict.js';
import { pciRoot } from '../model/rootHotplug.js';
import type { Policy } from '../model/schemas.js';
import type { CountClass, CountInstance, CountUnit, Location } from '../../encodings/instance.js';
import { addressOf, endpointKind } from '../model/topology.js';
import type { Device, Domain, PciAddress } from '../model/types.js';
import { isOwner } from '../validate/addresses.js';

/** Where a requirement came from, for explanations. */
export type Why = 'hint' | 'policy' | 'libvirt' | 'class' | 'chipset';

export interface Unit extends CountUnit {
  /** One device, or the functions of a multifunction group (function 0 first). */
  devices: Device[];
  why: { hotplug: Why; kind: Why };
}

export interface UnitClass extends CountClass {
  units: Unit[];
}

/**
 * What only the decode reads (and the constructive pass, which places units as the decode does):
 * where things are already. The encodings' type (CountInstance) does not hold it.
 */
export interface DecodeContext {
  domain: Domain;
  /** Addresses already settled: fixed ones, chipset devices, existing controllers placed first-fit. */
  placed: Map<number, PciAddress>;
  /** bus -> slot -> used function bits, after `placed`. */
  occupancy: Map<number, number[]>;
  /** Devices that are part of the instance (the domain's and the implicit ones). */
  devices: Device[];
}

/**
 * The count model's numbers (encodings/instance.ts), with the devices behind its units and the
 * decode's context: what buildInstance returns.
 */
export interface Instance extends CountInstance, DecodeContext {
  units: Unit[];
  classes: UnitClass[];
  overflowRootPorts: Device[];
}

/** The roles pciplan may add, by the machine's root. */
const CONTROLLERS_BY_MACHINE: Record<RootRole, ControllerRole[]> = {
  'express-root': ['root-port', 'switch-upstream', 'switch-downstream', 'express-to-conventional-bridge', 'conventional-bridge', 'dmi-bridge', 'express-expander'],
  'conventional-root': ['conventional-bridge', 'conventional-expander'],
};

function hotpluggable(model: ControllerModel, hotplugAttr: 'on' | 'off' | undefined): boolean {
  return CONTROLLERS[model].hotpluggable && hotplugAttr !== 'off';
}

/**
 * Place the controllers the user wrote without an address, first fit as libvirt does (controllers
 * come first in its real pass), onto the topology the XML fixes. Root ports that find no slot are
 * returned: only an expander bus can take them.
 */
function placeExisting(domain: Domain, devices: Device[], greedy: GreedyResult | undefined): { placed: Map<number, PciAddress>; set: AddressSet; overflow: Device[] } {
  const machine = domain.machine;
  const ctrls = devices.filter((d) => d.pci);
  const maxIdx = Math.max(0, ...ctrls.map((d) => d.pci!.index));
  const set = AddressSet.forControllers(machine, false, ctrls.map((d) => d.pci!), maxIdx + 1);
  const placed = new Map<number, PciAddress>();
  const reserve = (d: Device, a: PciAddress, flags: DeviceFlags) => {
    set.reserve(a, flags, true, d.id);
    placed.set(d.index, a);
  };
  // Fixed addresses, then the chipset's functions and devices.
  for (const d of devices) {
    const a = addressOf(d);
    const flags = deviceFlags(d, domain);
    if (a && flags && !machine.reserved.some((r) => r.owner && isOwner(d, r.owner))) reserve(d, a, flags);
  }
  const owners = set.reserveChipset((r) => {
    const d = devices.find((x) => isOwner(x, r.owner!));
    const flags = d && deviceFlags(d, domain);
    return d && flags ? { id: d.id, flags, given: addressOf(d), d } : undefined;
  });
  for (const [{ d }, at] of owners) placed.set(d.index, at);
  // Existing unaddressed controllers, in libvirt's controller order. Where the greedy layout
  // exists, take its addresses: they are libvirt's, and keep the two layouts comparable.
  const overflow: Device[] = [];
  for (const { device: d } of placementOrder(ctrls.map((device) => ({ device })))) {
    if (placed.has(d.index) || addressOf(d)) continue;
    const flags = deviceFlags(d, domain);
    if (!flags) continue;
    const fromGreedy = greedy?.addresses.get(d.index);
    if (fromGreedy) {
      reserve(d, fromGreedy, flags);
      continue;
    }
    try {
      reserve(d, set.nextAddr(flags, -1, d.id), flags);
    } catch (e) {
      if (!(e instanceof PciplanError) || roleOf(d.pci!.model) !== 'root-port') throw e;
      overflow.push(d);
    }
  }
  return { placed, set, overflow };
}

/** The hotplug requirement libvirt's own layout implies for a device nobody said anything about. */
function libvirtHotplug(d: Device, greedy: GreedyResult | undefined): boolean | undefined {
  const a = greedy?.addresses.get(d.index);
  const bus = a && greedy!.devices.find((x) => x.pci?.index === a.bus);
  return bus ? hotpluggable(bus.pci!.model, bus.pci!.target.hotplug) : undefined;
}

export interface InstanceOptions {
  /**
   * Devices whose hot-pluggability is left open (neither libvirt's default nor the policy's):
   * `explain` relaxes a default to see whether it is part of a conflict.
   */
  anyHotplug?: ReadonlySet<number>;
}

const groupRequirement = (name: string, members: readonly Device[]): Requirement => ({
  rule: 'hint-group',
  devices: members.map((m) => m.id),
  text: `group='${name}' on ${members.length} devices (${nameList(members.map((m) => m.id))})`,
});

export function buildInstance(domain: Domain, devices: Device[], policy: Policy, greedy: GreedyResult | undefined, opts: InstanceOptions = {}): Instance {
  const rootKind = rootRole(domain.machine);
  const { placed, set, overflow } = placeExisting(domain, devices, greedy);
  const pinnedRoot = pciRoot(domain);

  // Units: endpoints still without an address; groups become one unit.
  const units: Unit[] = [];
  const groups = new Map<string, Device[]>();
  for (const d of devices) {
    if (d.pci || placed.has(d.index) || !deviceFlags(d, domain)) continue;
    const g = d.hints.group;
    if (g) {
      groups.set(g, [...(groups.get(g) ?? []), d]);
      continue;
    }
    units.push(makeUnit([d], domain, policy, greedy, opts));
  }
  for (const [name, members] of groups) {
    const fixed = devices.filter((d) => d.hints.group === name && placed.has(d.index));
    const all = [...fixed, ...members];
    if (all.length > FUNCTIONS_PER_SLOT) {
      throw new ConflictError({ requirements: [groupRequirement(name, all)], facts: [`one PCI slot has ${FUNCTIONS_PER_SLOT} functions`] });
    }
    if (fixed.length) {
      throw new ConflictError({
        requirements: [groupRequirement(name, all), { rule: 'address', devices: [fixed[0]!.id], text: `${fixed[0]!.id} has a fixed address` }],
        facts: [`${members[0]!.id} has no address, and a group is placed as one slot: give all of its devices addresses, or none`],
      });
    }
    units.push(makeUnit(members, domain, policy, greedy, opts));
  }
  for (const u of units) if (u.integrated && u.numa !== undefined) {
    const d = u.devices[0]!;
    throw new ConflictError({
      requirements: [{ rule: 'hint-numa', devices: [d.id], text: `numa='${u.numa}' on ${d.id}` }],
      facts: [`${d.id} is an integrated device: it sits on bus 0, which belongs to no NUMA node`],
    });
  }

  const classes = classify(units);

  // Capacity that exists: per bus, from its occupancy, filed under the location it belongs to.
  const occupancy = new Map<number, number[]>();
  for (const b of set.buses) occupancy.set(b.index, b.slots.map((s) => s.fns));
  const ctrlDevice = new Map<number, Device>();
  for (const d of devices) if (d.pci) ctrlDevice.set(d.pci.index, d);
  const locationOf = locator(devices, placed);
  const locations = new Map<string, Location>();
  const loc = (id: string): Location => {
    let l = locations.get(id);
    if (!l) {
      const node = id === 'R' ? undefined : id === 'Xnone' ? 'none' : Number(id.slice(1));
      l = { id, node, hpPorts: 0, offPorts: 0, upstreamFree: 0, hpSlots: 0, offSlots: 0, pciBuses: 0 };
      locations.set(id, l);
    }
    return l;
  };
  loc('R');
  let rootFree = 0;
  let rootPortFns = 0;
  const reservedSlots = new Set(domain.machine.reserved.map((r) => r.slot));
  for (const bus of set.buses) {
    const d = ctrlDevice.get(bus.index);
    const model = bus.model;
    const role = roleOf(model);
    const fns = occupancy.get(bus.index)!;
    const freeSlots = (lo: number, hi: number) => fns.slice(lo, hi + 1).filter((f) => f === 0).length;
    if (bus.index === 0 && isRootRole(role)) {
      for (let s = 1; s <= 31; s++) {
        if (fns[s] === 0 && !reservedSlots.has(s)) rootFree++;
        else if (fns[s] !== 0 && fns[s] !== 0xff && set.buses[0]!.slots[s]!.aggregate) rootPortFns += 8 - popcount(fns[s]!);
      }
      continue;
    }
    if (!d) continue;
    const l = loc(locationOf(bus.index));
    const hp = hotpluggable(model, d.pci!.target.hotplug);
    switch (role) {
      case 'root-port':
      case 'switch-downstream':
        if (fns.every((f) => f === 0)) {
          if (hp) l.hpPorts++;
          else l.offPorts++;
        }
        break;
      case 'switch-upstream':
        l.upstreamFree += freeSlots(0, 31);
        break;
      case 'conventional-bridge':
      case 'express-to-conventional-bridge':
        l.hpSlots += freeSlots(1, 31);
        l.pciBuses++;
        break;
      case 'dmi-bridge':
        l.offSlots += freeSlots(0, 31);
        l.pciBuses++;
        break;
      case 'express-expander':
      case 'conventional-expander': {
        const ex = l.expander ?? { existing: true, freeSlots: 0, subtree: 0 };
        if (role === 'conventional-expander') {
          l.hpSlots += freeSlots(0, 31);
          l.pciBuses++;
        } else ex.freeSlots += freeSlots(0, 31);
        if (d.pci!.target.busNr !== undefined) ex.busNr = Math.min(ex.busNr ?? 256, d.pci!.target.busNr);
        l.expander = ex;
        break;
      }
      case 'conventional-root':
      case 'express-root':
        // A root other than bus 0 (a pSeries PHB): the count model does not use its slots.
        break;
      default:
        assertNever(role);
    }
  }

  // Locations for NUMA nodes units ask for, and a node-less expander for overflow.
  for (const u of units) if (u.numa !== undefined) loc(`X${u.numa}`);
  const expanderModel = modelFor(expanderRoleFor(rootKind));
  const allowed = new Set(CONTROLLERS_BY_MACHINE[rootKind].map(modelFor).filter((m) => !policy.addControllers || policy.addControllers.includes(m)));
  if (domain.machine.family === 'virt') allowed.delete(modelFor('dmi-bridge'));
  // The machine's expander model, where it has one (the catalog's `machines`: pxb-pcie only on q35 and ARM virt).
  if (!modelOnMachine(expanderModel, domain.machine.family, domain.arch)) allowed.delete(expanderModel);
  if (allowed.has(expanderModel)) loc('Xnone');
  for (const l of locations.values()) if (l.id !== 'R') l.expander ??= { existing: false, freeSlots: 0, subtree: 0 };

  // Bus numbers that exist, and the range each region may use.
  let used = 0;
  let rootRegion = 0;
  for (const bus of set.buses) {
    if (!ctrlDevice.get(bus.index) && bus.index !== 0) continue;
    if (!CONTROLLERS[bus.model].guestBus) continue;
    used++;
    const where = bus.index === 0 ? 'R' : locationOf(bus.index);
    if (where === 'R') rootRegion++;
    else locations.get(where)!.expander!.subtree++;
  }
  const busNrs = [...locations.values()].flatMap((l) => (l.expander?.busNr !== undefined ? [l.expander.busNr] : []));
  const lowestBusNr = Math.min(GUEST_BUS_NUMBERS, ...busNrs);
  for (const l of locations.values()) {
    const e = l.expander;
    if (e?.busNr !== undefined) e.range = Math.min(GUEST_BUS_NUMBERS, ...busNrs.filter((b) => b > e.busNr!)) - e.busNr;
  }

  return {
    domain,
    rootKind,
    units,
    classes,
    locations: [...locations.values()],
    root: { freeSlots: rootFree, rootPortFns, hotplug: rootKind === 'conventional-root' && pinnedRoot?.pci?.target.hotplug !== 'off' },
    overflowRootPorts: overflow,
    spares: defaultSpares(domain, policy, greedy, devices),
    freeIndexes: Math.max(0, MAX_CONTROLLER_INDEX - Math.max(0, ...devices.flatMap((d) => (d.pci ? [d.pci.index] : [])))),
    buses: { used, rootRegion, lowestBusNr },
    allowed,
    placed,
    occupancy,
    devices,
  };
}

/**
 * Where a bus belongs: the location of the nearest expander bus above it ('X<node>' or 'Xnone'),
 * else the root hierarchy 'R'. Reads `addresses` as it is when asked.
 */
export function locator(devices: readonly Device[], addresses: ReadonlyMap<number, PciAddress>): (bus: number) => string {
  const byIndex = new Map<number, Device>();
  for (const d of devices) if (d.pci) byIndex.set(d.pci.index, d);
  return (bus) => {
    for (let b: number | undefined = bus, guard = 0; b !== undefined && guard < 300; guard++) {
      const d = byIndex.get(b);
      if (!d) return 'R';
      if (EXPANDER_MODELS.includes(d.pci!.model)) return `X${d.pci!.target.node ?? 'none'}`;
      b = addresses.get(d.index)?.bus;
    }
    return 'R';
  };
}

/**
 * Units with the same requirements are interchangeable: one class each, in a stable order. Generic
 * so that a hand-written instance (of CountUnits) is classed by the same rule as a built one.
 */
export function classify<U extends CountUnit>(units: U[]): (CountClass & { units: U[] })[] {
  const classes = new Map<string, CountClass & { units: U[] }>();
  for (const u of units) {
    const key = `${u.kind}.${u.hotplug === undefined ? 'any' : u.hotplug ? 'hp' : 'nohp'}.${u.numa ?? 'none'}${u.integrated ? '.int' : ''}${u.onRoot ? '' : '.noroot'}${u.packable ? '.pack' : ''}`;
    const c = classes.get(key) ?? { key, kind: u.kind, hotplug: u.hotplug, numa: u.numa, integrated: u.integrated, onRoot: u.onRoot, packable: u.packable, units: [] as U[] };
    c.units.push(u);
    classes.set(key, c);
  }
  return [...classes.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x; x &= x - 1) c++;
  return c;
}

function makeUnit(members: Device[], domain: Domain, policy: Policy, greedy: GreedyResult | undefined, opts: InstanceOptions): Unit {
  const first = members[0]!;
  const integrated = members.some((m) => m.cls.integrated);
  const kinds = members.map((m): { kind: BusKind; why: Why } => (m.hints.bus ? { kind: m.hints.bus, why: 'hint' } : { kind: endpointKind(m, domain), why: 'class' }));
  const kind: BusKind = kinds.some((k) => k.kind === 'pci') ? 'pci' : 'pcie';
  const hotplugs = members.map((m): { hp: boolean | undefined; why: Why } => {
    if (m.hints.hotplug !== undefined) return { hp: m.hints.hotplug, why: 'hint' };
    if (m.cls.integrated || opts.anyHotplug?.has(m.index)) return { hp: undefined, why: 'class' };
    if (policy.hotplug) return { hp: policy.hotplug === 'yes', why: 'policy' };
    return { hp: libvirtHotplug(m, greedy) ?? true, why: 'libvirt' };
  });
  const hinted = hotplugs.filter((h) => h.why === 'hint');
  if (hinted.some((h) => h.hp) && hinted.some((h) => h.hp === false)) {
    const yes = members.filter((m) => m.hints.hotplug === true).map((m) => m.id);
    const no = members.filter((m) => m.hints.hotplug === false).map((m) => m.id);
    throw new ConflictError({
      requirements: [
        groupRequirement(first.hints.group!, members),
        { rule: 'hint-hotplug', devices: yes, text: `hotplug='yes' on ${nameList(yes)}` },
        { rule: 'hint-hotplug', devices: no, text: `hotplug='no' on ${nameList(no)}` },
      ],
      facts: ['a slot is hot-plugged as one unit'],
    });
  }
  // A group is hot-pluggable if any function must be; otherwise it follows its first function.
  const decided = hinted[0] ?? hotplugs.find((h) => h.hp === true) ?? hotplugs[0]!;
  const numas = [...new Set(members.flatMap((m) => (m.hints.numa !== undefined ? [m.hints.numa] : [])))];
  if (numas.length > 1) {
    throw new ConflictError({
      requirements: [
        groupRequirement(first.hints.group!, members),
        ...numas.map((n): Requirement => {
          const who = members.filter((m) => m.hints.numa === n).map((m) => m.id);
          return { rule: 'hint-numa', devices: who, text: `numa='${n}' on ${nameList(who)}` };
        }),
      ],
      facts: ['one slot is on one NUMA node'],
    });
  }
  const numa = numas[0];
  if (numa !== undefined && !domain.numaCells.includes(numa)) {
    const who = members.filter((m) => m.hints.numa !== undefined).map((m) => m.id);
    throw new ConflictError({
      requirements: [{ rule: 'hint-numa', devices: who, text: `numa='${numa}' on ${nameList(who)}` }],
      facts: [`<cpu><numa> has no cell ${numa} (cells: ${domain.numaCells.join(', ') || 'none'})`],
    });
  }
  return {
    devices: members,
    kind,
    hotplug: integrated ? undefined : decided.hp,
    numa,
    integrated,
    onRoot: members.every((m) => m.hints.bus === undefined || rootComplexFunction(m.cls.connect) === m.hints.bus),
    // A group, even of one, owns its slot: its first device is function 0.
    packable: !!policy.packFunctions && members.length === 1 && first.hints.group === undefined && decided.hp !== true,
    why: { hotplug: decided.why, kind: kinds.some((k) => k.why === 'hint') ? 'hint' : 'class' },
  };
}

/** Spare hot-pluggable capacity: the policy's, or libvirt's promise where it keeps one. */
function defaultSpares(domain: Domain, policy: Policy, greedy: GreedyResult | undefined, devices: Device[]): { ports: number; slots: number } {
  const maxIdx = Math.max(-1, ...domain.devices.flatMap((d) => (d.pci ? [d.pci.index] : [])));
  // libvirt adds controllers when its layout has some, and when it fails it failed wanting more.
  const libvirtAdds = greedy ? greedy.added.length > 0 : true;
  const ports = policy.sparePciePorts ?? (rootRole(domain.machine) === 'express-root' && maxIdx <= 0 && libvirtAdds ? 1 : 0);
  let slots = policy.sparePciSlots;
  if (slots === undefined) {
    // libvirt keeps one conventional slot free on pci-root machines when it can.
    slots = rootRole(domain.machine) === 'conventional-root' && greedy && greedyFreePciSlots(domain, greedy, devices) > 0 ? 1 : 0;
  }
  return { ports, slots };
}

function greedyFreePciSlots(domain: Domain, greedy: GreedyResult, devices: Device[]): number {
  const used = new Set<string>();
  for (const a of greedy.addresses.values()) used.add(`${a.bus}:${a.slot}`);
  let free = 0;
  // The root too may be written hotplug='off' (libvirt's pc-i440fx-acpi-root-hotplug-disable): its free slots are no hot-pluggable spare.
  const root = [...devices, ...greedy.devices].find((d) => d.pci?.index === 0);
  const buses = [{ index: 0, model: domain.machine.root as ControllerModel, hotplug: root?.pci!.target.hotplug }];
  for (const d of [...devices, ...greedy.devices]) if (d.pci && d.pci.index > 0) buses.push({ index: d.pci.index, model: d.pci.model, hotplug: d.pci.target.hotplug });
  for (const b of buses) {
    const spec = CONTROLLERS[b.model];
    if (!hotpluggable(b.model, b.hotplug) || !spec.accepts.includes('pci-device')) continue;
    for (let s = spec.slots[0]; s <= spec.slots[1]; s++) {
      if (b.index === 0 && domain.machine.reserved.some((r) => r.slot === s)) continue;
      if (!used.has(`${b.index}:${s}`)) free++;
    }
  }
  return free;
}

/**
 * Whether counting alone proves that no layout exists, before any model is built (linear in the
 * devices; a domain of 100,000 devices is answered at once). Every requirement but the places is
 * relaxed (hotplug, NUMA, spares: any), and capacity is overestimated, so the answer is a proof:
 *   bus 0 has F free slots; the existing controllers at most E slots (every slot of their buses);
 *   a new bus (one of the B numbers left, B = min(256 - buses in use, 255 - highest index)) gives
 *   a PCI Express device at most one place (a port: its link has one device) and conventional
 *   devices at most 32 (a bridge's slots);
 *   P PCI Express devices then need max(0, P - F - E) new buses, and Q conventional ones
 *   ceil(max(0, Q - what is left of F + E) / 32) more. With packFunctions, 8 to a place.
 * The conflict names the devices that need a place; where one kind alone is too many, the fewest
 * of them counting shows cannot all be placed ("any N of these M"). It is marked not minimised:
 * the capacity is overestimated, so fewer than N may already be too many.
 */
export function countingConflict(domain: Domain, devices: readonly Device[], policy: Policy): Conflict | undefined {
  const machine = domain.machine;
  // pSeries: every PHB is a PCI domain of its own, with its own 256 numbers.
  if (machine.multipleRoots || !machine.pci) return undefined;
  const usedSlots = new Set(machine.reserved.map((r) => r.slot));
  let buses = 0;
  let maxIndex = 0;
  let existing = 0;
  for (const d of devices) {
    const a = addressOf(d);
    if (a && a.bus === 0) usedSlots.add(a.slot);
    if (!d.pci) continue;
    const spec = CONTROLLERS[d.pci.model];
    maxIndex = Math.max(maxIndex, d.pci.index);
    if (spec.guestBus) buses++;
    if (d.pci.index > 0) existing += spec.slots[1] - spec.slots[0] + 1;
  }
  if (!devices.some((d) => d.pci?.index === 0)) buses++;
  let free = 0;
  for (let s = 1; s <= 31; s++) if (!usedSlots.has(s)) free++;
  const left = Math.max(0, Math.min(GUEST_BUS_NUMBERS - buses, MAX_CONTROLLER_INDEX - maxIndex));

  // Units: endpoints still without an address (a group is one), by the bus kind they need.
  const pinned = (d: Device) => machine.reserved.some((r) => r.owner && isOwner(d, r.owner));
  const pcie: Device[] = [];
  const pci: Device[] = [];
  const groups = new Map<string, Device[]>();
  for (const d of devices) {
    if (d.pci || addressOf(d) || d.cls.connect === 'none' || d.cls.addressRule === 'mirror' || pinned(d)) continue;
    if (d.hints.group !== undefined) {
      const g = groups.get(d.hints.group);
      if (g) g.push(d);
      else groups.set(d.hints.group, [d]);
      continue;
    }
    ((d.hints.bus ?? endpointKind(d, domain)) === 'pcie' ? pcie : pci).push(d);
  }
  for (const members of groups.values()) {
    (members.some((m) => (m.hints.bus ?? endpointKind(m, domain)) === 'pci') ? pci : pcie).push(members[0]!);
  }
  const per = policy.packFunctions ? FUNCTIONS_PER_SLOT : 1;
  const places = (n: number) => Math.ceil(n / per);
  const pcieRoot = rootRole(machine) === 'express-root';
  const need = (p: number, q: number): number => {
    if (!pcieRoot) return Math.ceil(Math.max(0, places(p + q) - free - existing) / 32);
    const ports = Math.max(0, places(p) - free - existing);
    const spare = free + existing + ports - places(p);
    return ports + Math.ceil(Math.max(0, places(q) - spare) / 32);
  };
  if (need(pcie.length, pci.length) <= left) return undefined;

  const names = (ds: readonly Device[]) => ds.map((d) => (d.hints.group !== undefined ? `group '${d.hints.group}'` : d.id));
  const facts = [
    `at most ${GUEST_BUS_NUMBERS} guest bus numbers and controller indexes up to ${MAX_CONTROLLER_INDEX} (${buses} in use, highest index ${maxIndex}): ${left} new buses at most`,
    `bus 0 (${pcieRoot ? 'pcie.0' : 'pci.0'}) has ${free} free slot${free === 1 ? '' : 's'}, the existing controllers at most ${existing}`,
    pcieRoot ? 'counting: a PCI Express device off bus 0 needs a port of its own (a bus number); a conventional bus holds at most 32 devices' : 'counting: a new bus holds at most 32 devices',
  ];
  // One kind alone too many: the fewest of that kind counting shows cannot all be placed.
  const alone = (pool: Device[], kind: string, fits: (n: number) => boolean): Requirement | undefined => {
    if (fits(pool.length)) return undefined;
    let lo = 1;
    let hi = pool.length;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid + 1;
      else hi = mid;
    }
    const ids = names(pool);
    return { rule: 'place', devices: ids, text: hi === pool.length ? `${pool.length} ${kind} devices need a place (${nameList(ids)})` : `any ${hi} of these ${pool.length} ${kind} devices need a place (${nameList(ids)})` };
  };
  const requirement =
    alone(pcie, pcieRoot ? 'PCI Express' : 'PCI', (n) => need(n, 0) <= left) ??
    alone(pci, 'conventional PCI', (n) => need(0, n) <= left) ?? {
      rule: 'place',
      devices: names([...pcie, ...pci]),
      text: `${pcie.length + pci.length} devices need a place (${nameList(names([...pcie, ...pci]))})`,
    };
  return { requirements: [requirement], facts, minimal: false, unminimised: 'counting alone proves it, before any search; fewer of them may already be too many' };
}

/**
 * The one assumption of the count model that is not a rule of PCI: one expander bus per NUMA node
 * (and one without a node). An expander has 32 slots; root ports share them 8 to a slot, more than
 * the bus numbers allow, so only dmi-to-pci-bridges (one slot each, 32 conventional slots that
 * cannot be hot-plugged) could run out of them: when more than 31 x 32 conventional units that
 * need not be hot-pluggable may sit at one node, a second expander there might be needed, and an
 * unsat answer is not a proof. Returns why, or undefined when the assumption cannot bind.
 */
export function expanderLimitMayBind(inst: CountInstance): string | undefined {
  const perNode = new Map<string, number>();
  for (const c of inst.classes) {
    if (c.kind !== 'pci' || c.hotplug === true || c.integrated) continue;
    const key = c.numa === undefined ? 'none' : String(c.numa);
    perNode.set(key, (perNode.get(key) ?? 0) + c.units.length);
  }
  for (const [node, n] of perNode) {
    if (n > 31 * 32) return `${n} conventional devices that need not be hot-pluggable may sit at NUMA node ${node}; pciplan searches one expander bus per node, and this many might need two`;
  }
  return undefined;
}
