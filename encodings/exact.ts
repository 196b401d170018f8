/*
 * The exact per-slot model: an independent cross-check of the count model (encodings/*.ts) on
 * small instances. It shares nothing with the count encodings: it reads the CountInstance
 * (instance.ts) and states the PCI rules (docs/pci-rules.md: controller models, what plugs where;
 * README) place by place.
 *
 * Places. A place is one slot (or the one slot of a port) that may hold an occupant:
 *   root   a free slot of bus 0 (pcie.0: not hot-pluggable; pci.0: hot-pluggable unless hotplug='off')
 *   rpfn   a free function in a bus-0 slot that already holds root ports (new root ports only)
 *   port   the slot of a PCIe port (root or downstream): hot-pluggable, or hotplug='off'
 *   up     the downstream side of a switch upstream port (downstream ports only; 32 on a new one)
 *   pci    a hot-pluggable conventional slot: pci-bridge and pcie-to-pci-bridge slots 1-31,
 *          pci-expander-bus slots 0-31
 *   dmi    a slot of a dmi-to-pci-bridge (conventional, not hot-pluggable)
 *   xslot  a slot of a pcie-expander-bus (root ports, 8 a slot, and dmi-to-pci-bridges only)
 * Free capacity that exists (inst.root, inst.locations) becomes places that are always active.
 * Every candidate NEW controller c has a Boolean used_c and a Boolean per place its own slot may
 * take, and owns the places of its bus, active iff used_c. Candidates have a location (R, or the
 * expander of a node, or a node-less expander): where their own slot is follows from it.
 *
 * Variables and constraints (Boolean, pseudo-Boolean sums):
 *   x_{u,p}  unit u on place p            y_{c,p}  candidate c's own slot is p
 *   each unit exactly once:               sum_p x_{u,p} = 1
 *   a candidate's slot iff it is used:    sum_p y_{c,p} <= 1,  used_c <-> OR_p y_{c,p}
 *   only on active places:                x_{u,p} -> active_p,  y_{c,p} -> active_p
 *   one occupant a slot:                  sum(whole-slot occupants) + [root ports here]
 *                                         + [packed PCIe units here] + [packed PCI units here] <= 1
 *   functions:  at most 8 root ports share a bus-0 or expander slot; at most 8 packable units
 *               (policy packFunctions) of one bus kind share a slot
 *   hotplug:    u.hotplug = true -> hot_p; false -> not hot_p (hot_c a free Boolean of each new
 *               root or downstream port: hotplug on or 'off')
 *   bus kind:   PCIe units on ports or pcie.0; PCI units on pci/dmi slots or pcie.0 (pcie.0 only
 *               for units that are there the kind they ask for: onRoot); on pci-root
 *               machines pci.0, bridge and pci-expander-bus slots; integrated units bus 0 only
 *   NUMA:       a unit with numa=n only at the location of the expander on node n
 *   spares:     #{port places active, hot, empty} >= spares.ports
 *               #{hot-pluggable conventional places active, empty} >= spares.slots
 *   models:     only inst.allowed models are candidates
 *   buses:      buses.used + sum_c used_c <= 256. Each expander X present has a busNr b_X in
 *               1..254 (fixed where given): region(R) <= b_X; region(X) + b_X <= 256; for X != Y
 *               present: b_X != b_Y and b_X < b_Y -> region(X) <= b_Y - b_X, where region(R) =
 *               buses.rootRegion + new controllers at R, region(X) = subtree_X + new ones at X.
 *               Emitted only when an existing expander has a fixed busNr: otherwise the regions
 *               take their numbers one after the other, and only the total counts.
 *   objective:  minimise sum_c used_c: Z3's (minimize), or a descent (a layout, then "at most
 *               best-1" until unsat). Either way the answer is a proof.
 * Two options restrict the rules to readings earlier count models made, so that a cross-check can
 * tell encodings from choices: strictNuma (units without a node only at R and under a
 * node-less expander), hotDownstreamPorts (no hotplug='off' downstream ports). Without them the rules are as written:
 * a device without a NUMA hint may sit under any expander, a downstream port takes hotplug='off'.
 *
 * Why the candidate pools cannot cut off the optimum (N_L = units that may sit at location L,
 * P_L = those that may sit on a port there, SP/SS = spare ports/slots; refused unless
 * N + SP + SS <= 24, so that every merge below fits in one 31-slot bus):
 *  (a) In a layout with the fewest added controllers, every new controller has a unit, or a
 *      credited spare, in its subtree: else delete it with its subtree, which breaks no rule
 *      (slots and bus numbers are only freed) and adds fewer.
 *  (b) Two new controllers of one model at one location among switch upstream port,
 *      pcie-to-pci-bridge, pci-bridge, dmi-to-pci-bridge and expander can be merged: move every
 *      child of one onto the other (the upper one when they nest), whose slots are of the same
 *      kind (hotplug, location) and many enough (<= 25 children, 31-32 slots); delete the empty
 *      one. So a minimal layout has at most one of each per location, and an upstream port sits on
 *      a root port, an existing port, or a downstream port of an existing switch.
 *  (c) A new port holds exactly one of: a unit (or a pack), a credited spare (at most SP in a
 *      minimal layout), the upstream port, the pcie-to-pci-bridge. So new root ports at L are at
 *      most P_L + SP + 2 and new downstream ports at most P_L + SP + 2.
 *  (d) Free places of one kind at one location are interchangeable, as are the slots of one
 *      bridge: we keep as many as can ever be occupied, plus the spares that must stay empty
 *      (e.g. hpSlots -> min(hpSlots, N_L + SS + 1)); any layout maps onto the kept ones with at
 *      least min(SS, its own) empty. Root ports pack 8 a slot, so bus 0 keeps
 *      ceil(root ports / 8) slots for them.
 *  (e) Without strictNuma, no node-less expander is a candidate when an expander for some node
 *      is: that one serves units without a node as well (relabel a lone node-less one; merge two).
 * Symmetry breaking only: candidates of a pool are used in order, hot-pluggable ports first;
 * interchangeable places are occupied in order; units with the same requirements take places in
 * order.
 *
 * Existing root ports bus 0 has no slot for (inst.overflowRootPorts) take a function of an
 * expander slot, at no cost (they are not added). Several existing expanders in one location are
 * one for this model (the CountInstance sums their capacity and keeps the lowest busNr). Refused:
 * more than 12 units, N + SP + SS > 24.
 */
import type { CountInstance, CountUnit, Location } from './instance.js';
import { expanderRoleFor, modelFor, type ControllerRole } from '../src/catalog/index.js';
import { openSession, type Session } from '../src/solver/backend.js';
import { parseBoolList, parseCheck, parseSilent, type SolverChoice } from '../src/solver/session.js';

export type ExactOutcome = { status: 'sat'; added: number } | { status: 'unsat' };

export interface ExactOptions {
  /**
   * The count model's reading of NUMA: units without a node only at R and under a node-less
   * expander (default: anywhere, since nothing forbids a device without a node hint under an
   * expander that has one).
   */
  strictNuma?: boolean;
  /** The count model's reading of switches: new downstream ports are always hot-pluggable. */
  hotDownstreamPorts?: boolean;
  /** 'optimize': Z3's (minimize) (default); 'descend': a first layout, then "at most best-1" until unsat. */
  search?: 'optimize' | 'descend';
  /** Per check (default 60 s); a check that times out throws. */
  timeoutMs?: number;
  /** Which Z3 answers (default auto, as for the count model). */
  solver?: SolverChoice;
}

export interface ExactDetail {
  outcome: ExactOutcome;
  /** For a sat outcome: what the best layout uses, one line per placement. */
  layout: string[];
  checks: number;
  size: { bools: number; asserts: number };
}

type PlaceKind = 'root' | 'rpfn' | 'port' | 'up' | 'pci' | 'dmi' | 'xslot';
type Model = 'rp' | 'us' | 'ds' | 'pcb' | 'pb' | 'dm' | 'pxb';

interface Place {
  name: string;
  kind: PlaceKind;
  loc: string;
  active: string;
  hot: string;
  cap: number;
  /** Empty and active: a spare port or a spare conventional slot. */
  spare?: 'port' | 'slot';
  /** Places with the same group are interchangeable (symmetry breaking orders them). */
  group: string;
  /** The candidate whose bus this place is on (it cannot sit on its own bus). */
  owner?: Cand;
  single: string[];
  /** Packable units by bus kind: a slot's functions are all PCI Express or all conventional. */
  packs: Map<string, string[]>;
  rps: string[];
}

interface Cand {
  name: string;
  model: Model;
  loc: string;
  used: string;
  hp?: string;
  /** Own-slot variables (place name -> var). */
  at: { place: Place; v: string }[];
  pool: string;
}

const or = (t: string[]): string => (t.length === 0 ? 'false' : t.length === 1 ? t[0]! : `(or ${t.join(' ')})`);
const and = (t: string[]): string => (t.length === 0 ? 'true' : t.length === 1 ? t[0]! : `(and ${t.join(' ')})`);
const not = (t: string): string => (t === 'true' ? 'false' : t === 'false' ? 'true' : `(not ${t})`);
const atMost = (k: number, t: string[]): string => (t.length <= k ? 'true' : k === 0 ? and(t.map(not)) : `((_ at-most ${k}) ${t.join(' ')})`);
const atLeast = (k: number, t: string[]): string => (k <= 0 ? 'true' : t.length < k ? 'false' : `((_ at-least ${k}) ${t.join(' ')})`);
const implies = (a: string, b: string): string => (a === 'false' || b === 'true' ? 'true' : `(=> ${a} ${b})`);
const count = (t: string[]): string => (t.length === 0 ? '0' : t.length === 1 ? `(ite ${t[0]} 1 0)` : `(+ ${t.map((x) => `(ite ${x} 1 0)`).join(' ')})`);

class Script {
  readonly decls: string[] = [];
  readonly asserts: string[] = [];
  readonly bools: string[] = [];
  private readonly names = new Set<string>();

  bool(name: string): string {
    const n = name.replace(/[^A-Za-z0-9_]/g, '_');
    if (this.names.has(n)) throw new Error(`duplicate variable ${n}`);
    this.names.add(n);
    this.bools.push(n);
    this.decls.push(`(declare-const ${n} Bool)`);
    return n;
  }

  int(name: string, lo: number, hi: number): string {
    this.names.add(name);
    this.decls.push(`(declare-const ${name} Int)`);
    this.asserts.push(`(assert (and (>= ${name} ${lo}) (<= ${name} ${hi})))`);
    return name;
  }

  assert(t: string): void {
    if (t !== 'true') this.asserts.push(`(assert ${t})`);
  }

  text(): string {
    return `${this.decls.join('\n')}\n${this.asserts.join('\n')}\n`;
  }
}

interface Built {
  script: Script;
  cands: Cand[];
  places: Place[];
  unitVars: { unit: CountUnit; vars: { place: Place; v: string }[] }[];
}

const unitName = (u: CountUnit): string => (u.devices.length > 1 ? `group '${u.devices[0]!.hints.group}'` : u.devices[0]!.id);

export function buildExact(inst: CountInstance, opts: ExactOptions = {}): Built {
  const N = inst.units.length;
  const SP = inst.spares.ports;
  const SS = inst.spares.slots;
  if (N > 12 || N + SP + SS > 24) throw new Error(`exact model: instance too large (${N} units, ${SP} spare ports, ${SS} spare slots)`);
  const q35 = inst.rootKind === 'express-root';
  const can = (role: ControllerRole) => inst.allowed.has(modelFor(role));
  const s = new Script();
  const places: Place[] = [];
  const cands: Cand[] = [];

  const place = (p: Omit<Place, 'single' | 'packs' | 'rps'>): Place => {
    const full: Place = { ...p, single: [], packs: new Map(), rps: [] };
    places.push(full);
    return full;
  };
  const places0 = (n: number, p: Omit<Place, 'single' | 'packs' | 'rps' | 'name'> & { name: string }): Place[] =>
    Array.from({ length: n }, (_, i) => place({ ...p, name: `${p.name}${i}` }));
  const cand = (name: string, model: Model, loc: string, pool: string, hot: boolean): Cand => {
    const c: Cand = { name, model, loc, used: s.bool(`used_${name}`), at: [], pool };
    if (hot) c.hp = s.bool(`hp_${name}`);
    cands.push(c);
    return c;
  };

  // Which locations a unit may use.
  const canX = can(expanderRoleFor(inst.rootKind));
  // Without strictNuma a new node-less expander is never needed when a new expander on some node
  // may be added: that one serves node-less units as well (relabel it, or merge the two).
  const newNode = !opts.strictNuma && canX && inst.locations.some((l) => typeof l.node === 'number' && !l.expander?.existing);
  const usable = inst.locations.filter((l) => l.id === 'R' || l.expander?.existing || (canX && !(newNode && l.node === 'none')));
  const locsOf = (u: CountUnit): Location[] => {
    if (u.integrated) return usable.filter((l) => l.id === 'R');
    if (u.numa !== undefined) return usable.filter((l) => l.node === u.numa);
    return opts.strictNuma ? usable.filter((l) => l.id === 'R' || l.node === 'none') : usable;
  };
  const unitLocs = inst.units.map((u) => new Set(locsOf(u).map((l) => l.id)));
  const onPortKind = (u: CountUnit) => q35 && u.kind === 'pcie' && !u.integrated;
  const nAt = (id: string) => inst.units.filter((_, i) => unitLocs[i]!.has(id)).length;
  const pAt = (id: string) => inst.units.filter((u, i) => unitLocs[i]!.has(id) && onPortKind(u)).length;
  const pciAt = (id: string) => inst.units.filter((u, i) => unitLocs[i]!.has(id) && u.kind === 'pci' && !u.integrated).length;

  // Expanders: existing ones, or one candidate per location.
  const xLocs = usable.filter((l) => l.id !== 'R');
  const present = new Map<string, string>();
  const pxb = new Map<string, Cand>();
  for (const l of xLocs) {
    if (l.expander?.existing) present.set(l.id, 'true');
    else {
      const c = cand(`pxb_${l.id}`, 'pxb', l.id, `pxb_${l.id}`, false);
      pxb.set(l.id, c);
      present.set(l.id, c.used);
    }
  }

  // Root-port pools first (bus 0 needs their size).
  const rpPool = new Map<string, Cand[]>();
  const dsPool = new Map<string, Cand[]>();
  const usCand = new Map<string, Cand>();
  const pcbCand = new Map<string, Cand>();
  const pbCand = new Map<string, Cand>();
  const dmCand = new Map<string, Cand>();
  for (const l of usable) {
    const id = l.id;
    if (q35) {
      const P = pAt(id);
      const needPcb = can('express-to-conventional-bridge') && pciAt(id) + SS > 0;
      const usOk = can('switch-upstream') && can('switch-downstream') && P + SP + (needPcb ? 1 : 0) > 0;
      const rpN = can('root-port') ? P + SP + (usOk ? 1 : 0) + (needPcb ? 1 : 0) : 0;
      const dsOk = can('switch-downstream') && (usOk || l.upstreamFree > 0);
      const dsN = dsOk ? P + SP + (needPcb ? 1 : 0) + (can('switch-upstream') && l.upstreamFree > 0 ? 1 : 0) : 0;
      rpPool.set(id, Array.from({ length: rpN }, (_, i) => cand(`rp_${id}_${i}`, 'rp', id, `rp_${id}`, true)));
      if (usOk) usCand.set(id, cand(`us_${id}`, 'us', id, `us_${id}`, false));
      dsPool.set(id, Array.from({ length: dsN }, (_, i) => cand(`ds_${id}_${i}`, 'ds', id, `ds_${id}`, true)));
      if (needPcb) pcbCand.set(id, cand(`pcb_${id}`, 'pcb', id, `pcb_${id}`, false));
      if (can('dmi-bridge') && pciAt(id) + SS > 0) dmCand.set(id, cand(`dm_${id}`, 'dm', id, `dm_${id}`, false));
    }
    if (can('conventional-bridge') && pciAt(id) + SS > 0) pbCand.set(id, cand(`pb_${id}`, 'pb', id, `pb_${id}`, false));
  }

  // Bus 0.
  const bus0Units = inst.units.filter((u, i) => unitLocs[i]!.has('R') && (u.integrated || (q35 ? u.hotplug !== true && u.onRoot : u.hotplug === undefined || u.hotplug === inst.root.hotplug))).length;
  const rpR = rpPool.get('R')?.length ?? 0;
  // Existing root ports bus 0 had no slot for: each takes a function of an expander slot.
  const OV = q35 ? inst.overflowRootPorts.length : 0;
  const bus0Need = bus0Units + Math.ceil(rpR / 8) + (dmCand.has('R') ? 1 : 0) + pxb.size + (!q35 && pbCand.has('R') ? 1 : 0) + (!q35 && inst.root.hotplug ? SS : 0);
  const rootHot = q35 ? 'false' : inst.root.hotplug ? 'true' : 'false';
  places0(Math.min(inst.root.freeSlots, bus0Need), {
    name: 'bus0_',
    kind: 'root',
    loc: 'R',
    active: 'true',
    hot: rootHot,
    cap: 1,
    group: 'bus0',
    ...(!q35 && inst.root.hotplug ? { spare: 'slot' as const } : {}),
  });
  if (q35) places0(Math.min(inst.root.rootPortFns, rpR), { name: 'rpfn_', kind: 'rpfn', loc: 'R', active: 'true', hot: 'false', cap: 1, group: 'rpfn' });

  // Existing capacity and the buses of the candidates, per location.
  for (const l of usable) {
    const id = l.id;
    const N_L = nAt(id);
    const P = pAt(id);
    const act = present.get(id) ?? 'true';
    const extraPorts = (usCand.has(id) ? 1 : 0) + (pcbCand.has(id) ? 1 : 0);
    if (q35) {
      places0(Math.min(l.hpPorts, P + SP + extraPorts), { name: `hpport_${id}_`, kind: 'port', loc: id, active: act, hot: 'true', cap: 1, spare: 'port', group: `hpport_${id}` });
      places0(Math.min(l.offPorts, P + extraPorts), { name: `offport_${id}_`, kind: 'port', loc: id, active: act, hot: 'false', cap: 1, group: `offport_${id}` });
      places0(Math.min(l.upstreamFree, dsPool.get(id)!.length), { name: `upfree_${id}_`, kind: 'up', loc: id, active: act, hot: 'false', cap: 1, group: `up_${id}` });
      if (l.expander?.existing) {
        places0(Math.min(l.expander.freeSlots, Math.ceil((rpPool.get(id)!.length + OV) / 8) + (dmCand.has(id) ? 1 : 0)), {
          name: `xfree_${id}_`,
          kind: 'xslot',
          loc: id,
          active: 'true',
          hot: 'false',
          cap: 1,
          group: `xfree_${id}`,
        });
      }
    }
    places0(Math.min(l.hpSlots, N_L + SS + 1), { name: `hpslot_${id}_`, kind: 'pci', loc: id, active: act, hot: 'true', cap: 1, spare: 'slot', group: `hpslot_${id}` });
    places0(Math.min(l.offSlots, N_L + 1), { name: `offslot_${id}_`, kind: 'dmi', loc: id, active: act, hot: 'false', cap: 1, group: `offslot_${id}` });

    // Buses of the candidates.
    const x = pxb.get(id);
    if (x) {
      if (q35) {
        const n = Math.ceil((rpPool.get(id)!.length + OV) / 8) + (dmCand.has(id) ? 1 : 0);
        places0(Math.min(32, n), { name: `xslot_${id}_`, kind: 'xslot', loc: id, active: x.used, hot: 'false', cap: 1, group: `xslot_${id}`, owner: x });
      } else {
        places0(Math.min(32, N_L + SS + 1), { name: `xpci_${id}_`, kind: 'pci', loc: id, active: x.used, hot: 'true', cap: 1, spare: 'slot', group: `xpci_${id}`, owner: x });
      }
    }
    for (const c of [...rpPool.get(id) ?? [], ...dsPool.get(id) ?? []]) {
      place({ name: `port_${c.name}`, kind: 'port', loc: id, active: c.used, hot: c.hp!, cap: 1, spare: 'port', group: `port_${c.name}`, owner: c });
    }
    const us = usCand.get(id);
    if (us) place({ name: `down_${us.name}`, kind: 'up', loc: id, active: us.used, hot: 'false', cap: 32, group: `down_${us.name}`, owner: us });
    for (const c of [pcbCand.get(id), pbCand.get(id)]) {
      if (c) places0(Math.min(31, N_L + SS + 1), { name: `slot_${c.name}_`, kind: 'pci', loc: id, active: c.used, hot: 'true', cap: 1, spare: 'slot', group: `slot_${c.name}`, owner: c });
    }
    const dm = dmCand.get(id);
    if (dm) places0(Math.min(32, N_L + 1), { name: `slot_${dm.name}_`, kind: 'dmi', loc: id, active: dm.used, hot: 'false', cap: 1, group: `slot_${dm.name}`, owner: dm });
  }

  // Where each candidate's own slot may be.
  const ownPlaces = (c: Cand): Place[] =>
    places.filter((p) => {
      if (p.owner === c) return false;
      switch (c.model) {
        case 'pxb':
          return p.kind === 'root';
        case 'rp':
          return c.loc === 'R' ? p.kind === 'root' || p.kind === 'rpfn' : p.kind === 'xslot' && p.loc === c.loc;
        case 'dm':
          return c.loc === 'R' ? p.kind === 'root' : p.kind === 'xslot' && p.loc === c.loc;
        case 'us':
          // Not on a downstream port of its own switch (that would be a cycle; see below).
          return p.kind === 'port' && p.loc === c.loc;
        case 'ds':
          return p.kind === 'up' && p.loc === c.loc;
        case 'pcb':
          return p.kind === 'port' && p.loc === c.loc;
        case 'pb':
          return p.loc === c.loc && (p.kind === 'pci' || p.kind === 'dmi' || (!q35 && p.kind === 'root'));
      }
    });
  for (const c of cands) {
    for (const p of ownPlaces(c)) {
      const v = s.bool(`y_${c.name}__${p.name}`);
      c.at.push({ place: p, v });
      if (c.model === 'rp' && p.kind !== 'rpfn') p.rps.push(v);
      else p.single.push(v);
    }
    s.assert(atMost(1, c.at.map((a) => a.v)));
    s.assert(`(= ${c.used} ${or(c.at.map((a) => a.v))})`);
    if (c.hp) s.assert(implies(not(c.used), not(c.hp)));
    if (c.hp && c.model === 'ds' && opts.hotDownstreamPorts) s.assert(implies(c.used, c.hp));
  }
  inst.overflowRootPorts.forEach((d, k) => {
    const at = places.filter((p) => p.kind === 'xslot').map((p) => {
      const v = s.bool(`ov${k}__${p.name}`);
      p.rps.push(v);
      return v;
    });
    s.assert(at.length === 0 ? 'false' : `((_ pbeq 1 ${at.map(() => '1').join(' ')}) ${at.join(' ')})`);
  });
  // A switch upstream port on a downstream port of its own switch is a cycle.
  for (const [id, us] of usCand) {
    const down = places.find((p) => p.name === `down_${us.name}`)!;
    for (const ds of dsPool.get(id) ?? []) {
      const onDs = us.at.find((a) => a.place.owner === ds);
      const dsOnUs = ds.at.find((a) => a.place === down);
      if (onDs && dsOnUs) s.assert(`(not (and ${onDs.v} ${dsOnUs.v}))`);
    }
  }

  // Units.
  const unitVars: Built['unitVars'] = [];
  inst.units.forEach((u, i) => {
    const vars: { place: Place; v: string }[] = [];
    for (const p of places) {
      if (!unitLocs[i]!.has(p.loc)) continue;
      let ok: boolean;
      switch (p.kind) {
        case 'root':
          ok = u.integrated || (q35 ? u.hotplug !== true && u.onRoot : u.kind === 'pci' && (u.hotplug === undefined || String(u.hotplug) === p.hot));
          break;
        case 'port':
          ok = onPortKind(u);
          break;
        case 'pci':
          ok = !u.integrated && u.kind === 'pci' && u.hotplug !== false;
          break;
        case 'dmi':
          ok = !u.integrated && u.kind === 'pci' && u.hotplug !== true;
          break;
        default:
          ok = false;
      }
      if (!ok) continue;
      const v = s.bool(`x${i}__${p.name}`);
      vars.push({ place: p, v });
      if (u.packable) p.packs.set(u.kind, [...(p.packs.get(u.kind) ?? []), v]);
      else p.single.push(v);
      if (u.hotplug === true) s.assert(implies(v, p.hot));
      // Not hot-pluggable: only a place the guest cannot eject (@rule hotplug-no).
      if (u.hotplug === false) s.assert(implies(v, not(p.hot)));
    }
    const vs = vars.map((x) => x.v);
    s.assert(vs.length === 0 ? 'false' : vs.length === 1 ? vs[0]! : `((_ pbeq 1 ${vs.map(() => '1').join(' ')}) ${vs.join(' ')})`);
    unitVars.push({ unit: u, vars });
  });
  // Units with the same requirements are interchangeable: each sits no earlier (in place order)
  // than the previous one of its kind. Symmetry breaking only.
  const classOf = (u: CountUnit) => `${u.kind}.${u.hotplug}.${u.numa}.${u.integrated}.${u.onRoot}.${u.packable}`;
  const last = new Map<string, { place: Place; v: string }[]>();
  unitVars.forEach(({ unit, vars }, i) => {
    const prev = last.get(classOf(unit));
    last.set(classOf(unit), vars);
    if (!prev || prev.length !== vars.length || prev.some((x, j) => x.place !== vars[j]!.place)) return;
    let pre = 'false';
    prev.forEach((x, j) => {
      const next = s.bool(`pre${i}_${j}`);
      s.assert(`(= ${next} ${or([pre, x.v].filter((t) => t !== 'false'))})`);
      pre = next;
      s.assert(implies(vars[j]!.v, pre));
    });
  });

  // Places: active, capacity, functions.
  const occupied = new Map<Place, string[]>();
  for (const p of places) {
    const occ = [...p.single, ...[...p.packs.values()].flat(), ...p.rps];
    occupied.set(p, occ);
    if (p.active !== 'true') for (const v of occ) s.assert(implies(v, p.active));
    const flags: string[] = [];
    for (const [kind, packs] of p.packs) {
      const f = s.bool(`pk_${kind}_${p.name}`);
      flags.push(f);
      for (const v of packs) s.assert(implies(v, f));
      s.assert(atMost(8, packs));
    }
    if (p.rps.length) {
      const f = s.bool(`rk_${p.name}`);
      flags.push(f);
      for (const v of p.rps) s.assert(implies(v, f));
      s.assert(atMost(8, p.rps));
    }
    s.assert(atMost(p.cap, [...p.single, ...flags]));
  }

  // Spares.
  const empty = (p: Place): string => and([p.active, p.hot, ...occupied.get(p)!.map(not)].filter((t) => t !== 'true'));
  const spareTerms = (kind: 'port' | 'slot'): string[] =>
    places
      .filter((p) => p.spare === kind && p.hot !== 'false')
      .map((p) => {
        const e = s.bool(`free_${p.name}`);
        s.assert(`(= ${e} ${empty(p)})`);
        return e;
      });
  if (SP > 0) s.assert(atLeast(SP, spareTerms('port')));
  if (SS > 0) s.assert(atLeast(SS, spareTerms('slot')));

  // Symmetry: interchangeable places occupied first; pools used first, hot-pluggable first.
  const groups = new Map<string, Place[]>();
  for (const p of places) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);
  for (const g of groups.values()) {
    for (let i = 0; i + 1 < g.length; i++) s.assert(implies(or(occupied.get(g[i + 1]!)!), or(occupied.get(g[i]!)!)));
  }
  const pools = new Map<string, Cand[]>();
  for (const c of cands) pools.set(c.pool, [...(pools.get(c.pool) ?? []), c]);
  for (const pool of pools.values()) {
    for (let i = 0; i + 1 < pool.length; i++) {
      const [a, b] = [pool[i]!, pool[i + 1]!];
      s.assert(implies(b.used, a.used));
      if (a.hp && b.hp) s.assert(implies(b.hp, a.hp));
    }
  }

  // Bus numbers. Without an expander whose busNr is fixed, every region can be given its numbers
  // in turn, so only the total counts (and small instances are far from 256).
  const allUsed = cands.map((c) => c.used);
  s.assert(atMost(256 - inst.buses.used, allUsed));
  const fixed = xLocs.filter((l) => l.expander?.existing && l.expander.busNr !== undefined);
  if (fixed.length) {
    const region = (id: string): string => {
      const base = id === 'R' ? inst.buses.rootRegion : (usable.find((l) => l.id === id)!.expander?.subtree ?? 0);
      const here = cands.filter((c) => c.loc === id).map((c) => c.used);
      return here.length ? `(+ ${base} ${count(here)})` : String(base);
    };
    const busNr = new Map<string, string>();
    for (const l of xLocs) {
      const given = l.expander?.existing ? l.expander.busNr : undefined;
      busNr.set(l.id, given !== undefined ? String(given) : s.int(`busnr_${l.id}`, 1, 254));
    }
    for (const l of xLocs) {
      const pX = present.get(l.id)!;
      const bX = busNr.get(l.id)!;
      s.assert(implies(pX, `(<= ${region('R')} ${bX})`));
      s.assert(implies(pX, `(<= (+ ${region(l.id)} ${bX}) 256)`));
      for (const m of xLocs) {
        if (m === l) continue;
        const both = and([pX, present.get(m.id)!].filter((t) => t !== 'true'));
        const bY = busNr.get(m.id)!;
        s.assert(implies(both, `(not (= ${bX} ${bY}))`));
        s.assert(implies(both, `(=> (< ${bX} ${bY}) (<= (+ ${region(l.id)} ${bX}) ${bY}))`));
      }
    }
  }
  return { script: s, cands, places, unitVars };
}

export async function solveExactDetailed(inst: CountInstance, opts: ExactOptions = {}): Promise<ExactDetail> {
  const built = buildExact(inst, opts);
  // A session per solve: a native z3 serves one session at a time.
  const z3 = await openSession(opts.solver);
  try {
    return await searchExact(z3, built, opts);
  } finally {
    z3.close();
  }
}

async function searchExact(z3: Session, built: ReturnType<typeof buildExact>, opts: ExactOptions): Promise<ExactDetail> {
  const { script, cands, unitVars } = built;
  const timeout = opts.timeoutMs ?? 60_000;
  let checks = 0;
  // Every answer is read strictly (session.ts): an error, a missing value or an answer to another
  // command is a SolverFailure, never a default (a value read as false would be a wrong "sat 0").
  const check = async (): Promise<'sat' | 'unsat'> => {
    checks++;
    const { answer } = await z3.query('(check-sat)', (out) => parseCheck(out));
    if (answer === 'unknown') throw new Error(`exact model: z3 answered 'unknown'`);
    return answer;
  };
  const usedVars = cands.map((c) => c.used);
  const readBest = async (): Promise<{ added: number; layout: string[] }> => {
    const names = [...usedVars, ...cands.flatMap((c) => (c.hp ? [c.hp] : [])), ...unitVars.flatMap((u) => u.vars.map((x) => x.v)), ...cands.flatMap((c) => c.at.map((a) => a.v))];
    const val = names.length ? await z3.query(`(get-value (${names.join(' ')}))`, (out) => parseBoolList(out, names)) : new Map<string, boolean>();
    const layout: string[] = [];
    for (const c of cands) {
      const a = c.at.find((x) => val.get(x.v));
      if (val.get(c.used) && a) layout.push(`${c.name}${c.hp ? (val.get(c.hp) ? ' (hotplug on)' : " (hotplug='off')") : ''} on ${a.place.name}`);
    }
    for (const u of unitVars) {
      const a = u.vars.find((x) => val.get(x.v));
      if (a) layout.push(`${unitName(u.unit)} on ${a.place.name}`);
    }
    return { added: usedVars.filter((v) => val.get(v)).length, layout };
  };

  const optimize = (opts.search ?? 'optimize') === 'optimize';
  await z3.query(`(set-option :timeout ${timeout})\n${script.text()}${optimize ? `(minimize ${count(usedVars)})\n` : ''}`, parseSilent);
  if ((await check()) === 'unsat') return { outcome: { status: 'unsat' }, layout: [], checks, size: { bools: script.bools.length, asserts: script.asserts.length } };
  let best = await readBest();
  while (!optimize && best.added > 0) {
    await z3.query(`(push 1)\n(assert ${atMost(best.added - 1, usedVars)})`, parseSilent);
    const r = await check();
    if (r === 'sat') best = await readBest();
    await z3.query('(pop 1)', parseSilent);
    if (r === 'unsat') break;
  }
  return { outcome: { status: 'sat', added: best.added }, layout: best.layout, checks, size: { bools: script.bools.length, asserts: script.asserts.length } };
}

export async function solveExact(inst: CountInstance, opts: ExactOptions = {}): Promise<ExactOutcome> {
  return (await solveExactDetailed(inst, opts)).outcome;
}
