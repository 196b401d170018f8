// Counts -> a concrete layout, deterministically. The solver says how many controllers of each
// model go where and how many units of each class take each kind of place; decodeLayout builds
// the controllers parents first (so every index is above its parent bus), hangs switches and
// bridges on the last free ports, and gives units the lowest places in document order: the
// tie-break of the objective.
import { CONTROLLERS, expanderRoleFor, GUEST_BUS_NUMBERS, isExpanderRole, isPortRole, modelFor, roleOf, type ControllerModel, type ControllerRole } from '../catalog/index.js';
import { markMultifunction, newController, type NewController } from '../model/applyLayout.js';
import type { Device, PciAddress } from '../model/types.js';
import { busNrGaps } from '../../encodings/busNumbers.js';
import type { ModelVars } from '../../encodings/model.js';
import type { Placement } from '../../encodings/variables.js';
import type { Term } from '../solver/smt.js';
import { locator, type Instance, type Unit } from './instance.js';

export interface Decoded {
  /** Addresses of the instance's devices (existing unaddressed controllers and units). */
  addresses: Map<number, PciAddress>;
  added: NewController[];
}

/**
 * The conventional slots a bus of each role gives units: hot-pluggable ('hot': the bridges in a
 * slot or a port, a PCI expander), without hotplug ('off': a dmi-to-pci-bridge), or none the
 * decode fills with units (ports, switches, roots, a PCIe expander: their slots hold controllers).
 */
const PCI_SLOTS: Record<ControllerRole, 'hot' | 'off' | undefined> = {
  'conventional-bridge': 'hot',
  'express-to-conventional-bridge': 'hot',
  'conventional-expander': 'hot',
  'dmi-bridge': 'off',
  'root-port': undefined,
  'switch-upstream': undefined,
  'switch-downstream': undefined,
  'express-expander': undefined,
  'conventional-root': undefined,
  'express-root': undefined,
};

interface NewCtrl {
  index: number;
  model: ControllerModel;
  hotplugOff?: boolean;
  node?: number;
  address?: PciAddress;
  /** A root port whose slot is chosen after the devices' places (the bus it will plug into). */
  parentBus?: number;
  loc: string;
}

const at = (bus: number, slot: number, fn = 0): PciAddress => ({ domain: 0, bus, slot, function: fn });

/** The preferred bus-0 slot of a device (primary video, first ich9 sound), if any. */
function preferredSlot(inst: Instance, d: Device): number | undefined {
  const firstVideo = inst.devices.find((x) => x.kind === 'video');
  for (const p of inst.domain.machine.preferred) {
    if (p.device === 'primary-video' && d === firstVideo) return p.slot;
    if (p.device === 'ich9-sound' && d.kind === 'sound' && d.props.model === 'ich9') return p.slot;
  }
  return undefined;
}

export function decodeLayout(inst: Instance, values: Map<string, number>, vars: ModelVars): Decoded {
  const val = (t: Term) => (/^\d+$/.test(t) ? Number(t) : (values.get(t) ?? 0));
  const occ = new Map<number, number[]>();
  for (const [bus, fns] of inst.occupancy) occ.set(bus, [...fns]);
  const fnsOf = (bus: number) => {
    let f = occ.get(bus);
    if (!f) occ.set(bus, (f = new Array<number>(32).fill(0)));
    return f;
  };
  const take = (a: PciAddress) => {
    fnsOf(a.bus)[a.slot]! |= 1 << a.function;
    return a;
  };
  const reservedSlots = new Set(inst.domain.machine.reserved.map((r) => r.slot));
  const freeSlot = (bus: number, lo: number, hi: number): number | undefined => {
    const f = fnsOf(bus);
    for (let s = lo; s <= hi; s++) if (f[s] === 0 && !(bus === 0 && reservedSlots.has(s))) return s;
    return undefined;
  };

  const existingIndexes = inst.devices.flatMap((d) => (d.pci ? [d.pci.index] : []));
  let nextIndex = Math.max(0, ...existingIndexes) + 1;
  const created: NewCtrl[] = [];
  const make = (role: ControllerRole, loc: string, extra: Partial<NewCtrl> = {}): NewCtrl => {
    const c: NewCtrl = { index: nextIndex++, model: modelFor(role), loc, ...extra };
    created.push(c);
    occ.set(c.index, new Array<number>(32).fill(0));
    return c;
  };
  const addresses = new Map<number, PciAddress>(inst.placed);
  const locationOf = locator(inst.devices, addresses);
  const locs = [...vars.loc.values()];

  // Which units take which placement: document order, placements in a fixed preference.
  const ORDER: Placement[] = ['int', 'root', 'port', 'portOff', 'bridge', 'dmi'];
  const quota = new Map<string, number>();
  for (const a of vars.assignments) quota.set(`${a.cls.key}|${a.w}|${a.loc}`, val(a.x));
  const byDocument = [...inst.units].sort((x, y) => x.devices[0]!.index - y.devices[0]!.index);
  const plan: { unit: Unit; w: Placement; loc: string; packKey: string }[] = [];
  for (const unit of byDocument) {
    const cls = inst.classes.find((c) => c.units.includes(unit))!;
    const pick = ORDER.flatMap((w) => locs.map((l) => ({ w, loc: l.loc.id }))).find(({ w, loc }) => (quota.get(`${cls.key}|${w}|${loc}`) ?? 0) > 0)!;
    const key = `${cls.key}|${pick.w}|${pick.loc}`;
    quota.set(key, quota.get(key)! - 1);
    plan.push({ unit, w: pick.w, loc: pick.loc, packKey: key });
  }

  // Bus 0 first: preferred slots of devices placed there, as libvirt does.
  const preferred = new Map<Unit, number>();
  for (const p of plan) {
    if ((p.w !== 'int' && p.w !== 'root') || p.unit.devices.length > 1) continue;
    const slot = preferredSlot(inst, p.unit.devices[0]!);
    if (slot !== undefined && fnsOf(0)[slot] === 0) {
      preferred.set(p.unit, slot);
      fnsOf(0)[slot] = 1;
    }
  }

  // Expanders, each on a slot of bus 0.
  const expanderBus = new Map<string, number>();
  for (const lv of locs) {
    if (lv.loc.id === 'R') continue;
    if (val(lv.e) > 0) {
      const c = make(expanderRoleFor(inst.rootKind), 'R', typeof lv.loc.node === 'number' ? { node: lv.loc.node } : {});
      c.address = take(at(0, freeSlot(0, 1, 31)!));
      c.loc = lv.loc.id;
      expanderBus.set(lv.loc.id, c.index);
    } else if (lv.loc.expander?.existing) {
      const ex = inst.devices.find((d) => d.pci && isExpanderRole(roleOf(d.pci.model)) && `X${d.pci.target.node ?? 'none'}` === lv.loc.id);
      if (ex) expanderBus.set(lv.loc.id, ex.pci!.index);
    }
  }

  // Root ports: on bus 0 they join slots that hold root ports already, then fill new slots 8 at a
  // time; under an expander they fill its slots the same way.
  const rootPortSlots = (bus: number): number[] => {
    const slots = new Set<number>();
    for (const d of inst.devices) {
      const a = addresses.get(d.index);
      if (d.pci && roleOf(d.pci.model) === 'root-port' && a && a.bus === bus) slots.add(a.slot);
    }
    return [...slots].sort((x, y) => x - y);
  };
  const portSlot = (bus: number): PciAddress => {
    const f = fnsOf(bus);
    for (const s of rootPortSlots(bus).concat(created.filter((c) => roleOf(c.model) === 'root-port' && c.address?.bus === bus).map((c) => c.address!.slot))) {
      for (let fn = 0; fn < 8; fn++) if (!(f[s]! & (1 << fn))) return take(at(bus, s, fn));
    }
    const s = freeSlot(bus, bus === 0 ? 1 : 0, 31)!;
    return take(at(bus, s, 0));
  };
  const hpPorts = new Map<string, number[]>();
  const offPorts = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  // Existing free ports first (they cost nothing), in index order.
  for (const d of [...inst.devices].sort((x, y) => (x.pci?.index ?? 0) - (y.pci?.index ?? 0))) {
    if (!d.pci || !isPortRole(roleOf(d.pci.model))) continue;
    if ((occ.get(d.pci.index) ?? []).some((f) => f !== 0)) continue;
    const l = locationOf(d.pci.index);
    push(d.pci.target.hotplug === 'off' ? offPorts : hpPorts, l, d.pci.index);
  }
  for (const lv of locs) {
    const id = lv.loc.id;
    const bus = id === 'R' ? 0 : expanderBus.get(id);
    const rootPorts = val(lv.rp) + val(lv.ro) + val(lv.ov);
    if (rootPorts === 0) continue;
    if (bus === undefined) throw new Error(`decode: root ports at ${id} without an expander`);
    // Their slots come later, devices' ports first (below): a spare port must not take a slot
    // before a device does.
    for (let i = 0; i < val(lv.rp); i++) push(hpPorts, id, make('root-port', id, { parentBus: bus }).index);
    for (let i = 0; i < val(lv.ro); i++) push(offPorts, id, make('root-port', id, { hotplugOff: true, parentBus: bus }).index);
  }
  // Existing root ports bus 0 had no slot for: onto the expanders.
  const overflow = [...inst.overflowRootPorts];
  for (const lv of locs) {
    for (let i = 0; i < val(lv.ov); i++) {
      const d = overflow.shift()!;
      const a = portSlot(expanderBus.get(lv.loc.id)!);
      addresses.set(d.index, a);
      push(d.pci!.target.hotplug === 'off' ? offPorts : hpPorts, lv.loc.id, d.pci!.index);
    }
  }

  // Switches and bridges take the ports that units and spares do not need. A port is either
  // hot-pluggable or not; the solver counted how many of each exist and are needed, and the split
  // of new downstream ports between the two kinds is free, so when a switch or bridge has to take
  // a port of a kind without surplus, one downstream port still to come changes kind instead.
  const countAt = (id: string, w: Placement) => vars.assignments.filter((a) => a.loc === id && a.w === w).reduce((n, a) => n + val(a.u), 0);
  for (const lv of locs) {
    const id = lv.loc.id;
    const sw = val(lv.sw);
    const br = val(lv.br);
    if (sw + br + val(lv.dp) + val(lv.df) === 0) continue;
    const pool = { hp: hpPorts.get(id) ?? [], off: offPorts.get(id) ?? [] };
    const future = { hp: val(lv.dp), off: val(lv.df) };
    const need = { hp: countAt(id, 'port') + val(lv.spP), off: countAt(id, 'portOff') };
    const surplus = (k: 'hp' | 'off') => pool[k].length + future[k] - need[k];
    const other = (k: 'hp' | 'off') => (k === 'hp' ? 'off' : 'hp');
    const takePort = (): number => {
      for (const k of ['off', 'hp'] as const) if (surplus(k) > 0 && pool[k].length > 0) return pool[k].pop()!;
      for (const k of ['off', 'hp'] as const) {
        const o = other(k);
        if (pool[k].length > 0 && future[o] > 0 && surplus(o) > 0) {
          future[o]--;
          future[k]++;
          return pool[k].pop()!;
        }
      }
      throw new Error(`decode: no port left for a switch or bridge at ${id}`);
    };
    const downstream = (upstream: number) => {
      for (let s = freeSlot(upstream, 0, 31); s !== undefined && future.hp + future.off > 0; s = freeSlot(upstream, 0, 31)) {
        const kind = future.hp > 0 ? 'hp' : 'off';
        future[kind]--;
        pool[kind].push(make('switch-downstream', id, { address: take(at(upstream, s)), ...(kind === 'off' ? { hotplugOff: true } : {}) }).index);
      }
    };
    for (const d of inst.devices) {
      if (d.pci && roleOf(d.pci.model) === 'switch-upstream' && locationOf(d.pci.index) === id) downstream(d.pci.index);
    }
    for (let i = 0; i < sw; i++) downstream(make('switch-upstream', id, { address: take(at(takePort(), 0)) }).index);
    for (let i = 0; i < br; i++) make('express-to-conventional-bridge', id, { address: take(at(takePort(), 0)) });
    // Units take the lowest ports first.
    hpPorts.set(id, pool.hp.sort((x, y) => x - y));
    offPorts.set(id, pool.off.sort((x, y) => x - y));
  }

  // dmi-to-pci-bridges on bus 0 (libvirt's 00:1e first) or an expander.
  for (const lv of locs) {
    for (let i = 0; i < val(lv.dm); i++) {
      const bus = lv.loc.id === 'R' ? 0 : expanderBus.get(lv.loc.id)!;
      const s = bus === 0 && fnsOf(0)[0x1e] === 0 && inst.rootKind === 'express-root' ? 0x1e : freeSlot(bus, bus === 0 ? 1 : 0, 31)!;
      make('dmi-bridge', lv.loc.id, { address: take(at(bus, s)) });
    }
  }

  // Conventional slots per location: hot-pluggable (bridges, pxb) and not (dmi).
  const pciSlots = (id: string, hot: boolean): PciAddress[] => {
    const out: PciAddress[] = [];
    const buses: number[] = [];
    const want = hot ? 'hot' : 'off';
    for (const d of [...inst.devices].sort((x, y) => (x.pci?.index ?? 0) - (y.pci?.index ?? 0))) {
      if (!d.pci) continue;
      if (PCI_SLOTS[roleOf(d.pci.model)] === want && locationOf(d.pci.index) === id) buses.push(d.pci.index);
    }
    for (const c of created) if (PCI_SLOTS[roleOf(c.model)] === want && c.loc === id) buses.push(c.index);
    for (const b of buses) {
      const model = inst.devices.find((d) => d.pci?.index === b)?.pci?.model ?? created.find((c) => c.index === b)!.model;
      const [lo, hi] = CONTROLLERS[model].slots;
      for (let s = lo; s <= hi; s++) if (fnsOf(b)[s] === 0) out.push(at(b, s));
    }
    return out;
  };

  // pci-bridges by depth, as the solver counted them: roots on bus 0 (pci-root machines), on dmi
  // slots and on root hot-pluggable slots (the last free ones), then a second and third level
  // into the last slots of the level above.
  let onBus0 = val(vars.pciSlots.pbRoot);
  for (const lv of locs) {
    const id = lv.loc.id;
    if (val(lv.pb) === 0) continue;
    const level: number[][] = [[], [], []];
    const rootBuses = new Set([...pciSlots(id, true), ...pciSlots(id, false)].map((x) => x.bus));
    const depths = vars.pciSlots.bridges.get(id)!;
    const counts = [val(depths.a), val(depths.b), val(depths.c), val(depths.d)];
    const place = (a: PciAddress | undefined, depth: number) => level[depth]!.push(make('conventional-bridge', id, { address: take(a!) }).index);
    for (; id === 'R' && onBus0 > 0; onBus0--) place(at(0, lastFree(fnsOf(0), 1, 31, reservedSlots)!), 0);
    for (let i = 0; i < counts[1]!; i++) place(pciSlots(id, false).pop(), 0);
    for (let i = 0; i < counts[0]!; i++) place(pciSlots(id, true).filter((x) => rootBuses.has(x.bus)).pop(), 0);
    for (let i = 0; i < counts[2]!; i++) place(pciSlots(id, true).filter((x) => level[0]!.includes(x.bus)).pop(), 1);
    for (let i = 0; i < counts[3]!; i++) place(pciSlots(id, true).filter((x) => level[1]!.includes(x.bus)).pop(), 2);
  }

  // Units: the lowest places, in document order; packable units share slots 8 to a slot. Units
  // off bus 0 first; then the root ports that lead to a device take their slots, then the units on
  // bus 0, then the root ports left empty (spares, room for later): more spares never move a device.
  const packing = new Map<string, PciAddress>();
  const onRootBus = (w: Placement) => w === 'int' || w === 'root';
  const placeUnit = (p: (typeof plan)[number]) => {
    const { unit, w, loc } = p;
    const open = unit.packable ? packing.get(p.packKey) : undefined;
    if (open && open.function < 7) {
      const a = take(at(open.bus, open.slot, open.function + 1));
      packing.set(p.packKey, a);
      addresses.set(unit.devices[0]!.index, a);
      return;
    }
    let slotAddr: PciAddress;
    switch (w) {
      case 'int':
      case 'root': {
        const s = preferred.get(unit) ?? freeSlot(0, 1, 31)!;
        fnsOf(0)[s] = 0;
        slotAddr = at(0, s);
        break;
      }
      case 'port':
        slotAddr = at(hpPorts.get(loc)!.shift()!, 0);
        break;
      case 'portOff':
        slotAddr = at(offPorts.get(loc)!.shift()!, 0);
        break;
      case 'bridge':
        slotAddr = pciSlots(loc, true)[0]!;
        break;
      case 'dmi':
        slotAddr = pciSlots(loc, false)[0]!;
        break;
    }
    if (unit.packable) packing.set(p.packKey, slotAddr);
    unit.devices.forEach((d, fn) => addresses.set(d.index, take(at(slotAddr.bus, slotAddr.slot, fn))));
  };
  for (const p of plan) if (!onRootBus(p.w)) placeUnit(p);
  const leads = leadsToDevice(created, addresses);
  const pending = created.filter((c) => c.parentBus !== undefined);
  for (const c of pending) if (leads.has(c.index)) c.address = portSlot(c.parentBus!);
  for (const p of plan) if (onRootBus(p.w)) placeUnit(p);
  for (const c of pending) if (!leads.has(c.index)) c.address = portSlot(c.parentBus!);

  const renumbered = devicesFirst(created, addresses, leads);
  markMultifunction([...renumbered.addresses.values(), ...renumbered.created.flatMap((c) => (c.address ? [c.address] : []))]);
  const busNr = expanderBusNrs(inst, renumbered.created, vars, val);
  return { addresses: renumbered.addresses, added: renumbered.created.map((c) => toNewController(c, busNr.get(c))) };
}

/** The bus a new controller plugs into: its address once placed, else the bus it was made for. */
const parentIndex = (c: NewCtrl): number | undefined => c.address?.bus ?? c.parentBus;

/** The new controllers with a device somewhere below them (by index). */
function leadsToDevice(created: readonly NewCtrl[], addresses: ReadonlyMap<number, PciAddress>): Set<number> {
  const leads = new Set<number>();
  const fresh = new Set(created.map((c) => c.index));
  const parentOf = new Map(created.flatMap((c) => { const p = parentIndex(c); return p === undefined ? [] : [[c.index, p] as const]; }));
  const mark = (bus: number) => {
    for (let b: number | undefined = bus, guard = 0; b !== undefined && fresh.has(b) && !leads.has(b) && guard < 300; guard++) {
      leads.add(b);
      b = parentOf.get(b);
    }
  };
  for (const a of addresses.values()) mark(a.bus);
  return leads;
}

/**
 * New controllers renumbered so that those leading to a device come first (in the order they were
 * made: parents before children), the empty ones (spares) after: their number of spares then
 * never changes a device's bus number. Bus numbers in every address follow.
 */
function devicesFirst(created: NewCtrl[], addresses: Map<number, PciAddress>, leads: ReadonlySet<number>): { created: NewCtrl[]; addresses: Map<number, PciAddress> } {
  // Parents before children all the same: QEMU creates controllers in index order (libvirt's
  // command line), so a controller plugged into a bus of a higher index finds no bus ("Bus
  // 'pci.N' not found"). A lead's parent is a lead, so this moves no lead behind a spare.
  const byIndex = new Map(created.map((c) => [c.index, c] as const));
  const order: NewCtrl[] = [];
  const placed = new Set<NewCtrl>();
  const visit = (c: NewCtrl, depth = 0) => {
    if (placed.has(c)) return;
    const p = parentIndex(c);
    const parent = p === undefined ? undefined : byIndex.get(p);
    if (parent && parent !== c && depth < 300) visit(parent, depth + 1);
    placed.add(c);
    order.push(c);
  };
  for (const c of [...created.filter((c) => leads.has(c.index)), ...created.filter((c) => !leads.has(c.index))]) visit(c);
  const slots = created.map((c) => c.index).sort((x, y) => x - y);
  const to = new Map(order.map((c, i) => [c.index, slots[i]!] as const));
  const bus = (a: PciAddress): PciAddress => ({ ...a, bus: to.get(a.bus) ?? a.bus });
  const renamed = order.map((c) => ({ ...c, index: to.get(c.index)!, ...(c.address ? { address: bus(c.address) } : {}) }));
  return { created: renamed, addresses: new Map([...addresses].map(([i, a]) => [i, bus(a)])) };
}

function lastFree(fns: number[], lo: number, hi: number, reserved: Set<number>): number | undefined {
  for (let s = hi; s >= lo; s--) if (fns[s] === 0 && !reserved.has(s)) return s;
  return undefined;
}

/**
 * busNr of each new expander: in the bus-number gap the solver chose (encodings/busNumbers.ts),
 * from the gap's top down, the largest subtree first; at most 254 (libvirt's range). Each range
 * then holds its own subtree, and the expander below a new one keeps what lies under it.
 */
function expanderBusNrs(inst: Instance, created: NewCtrl[], vars: ModelVars, val: (t: Term) => number): Map<NewCtrl, number> {
  const gaps = busNrGaps(inst);
  const subtree = (x: NewCtrl) => 1 + created.filter((y) => y.loc === x.loc && y !== x).length;
  const gapOf = (x: NewCtrl) => Math.max(0, vars.busGaps.get(x.loc)?.findIndex((g) => val(g) === 1) ?? 0);
  const out = new Map<NewCtrl, number>();
  const expanders = created.filter((c) => isExpanderRole(roleOf(c.model)));
  for (let i = 0; i <= gaps.length; i++) {
    let top = gaps[i]?.busNr ?? GUEST_BUS_NUMBERS;
    const order = expanders.filter((x) => gapOf(x) === i).sort((x, y) => subtree(y) - subtree(x) || x.index - y.index);
    for (const x of order) {
      top = Math.min(254, top - subtree(x));
      out.set(x, top);
    }
  }
  return out;
}

function toNewController(c: NewCtrl, busNr: number | undefined): NewController {
  const extra: NewController['target'] = {};
  if (c.hotplugOff) extra.hotplug = 'off';
  if (busNr !== undefined) {
    extra.busNr = busNr;
    if (c.node !== undefined) extra.node = c.node;
  }
  return newController(c.model, c.index, c.address, extra);
}
