// The minimal conflicts of a domain that has no layout, each found by relaxing the domain rather than
// the SMT model: a requirement is dropped by changing the input (a hint removed, a default left
// open, devices left out, a policy setting lifted), the count model is built again and Z3 asked
// whether a layout exists now. Facts (the machine's slots, the 256 bus numbers, the layout as given)
// are never dropped; the unsat core of the final check names the ones the requirements run into.
//
// Requirements are grouped by the model's unit classes (devices that are interchangeable for
// placement), so a domain of 2,000 devices has tens of candidates, not thousands: Z3's core on
// the full model first keeps the classes that take part, deletion (ddmin) then makes the set
// minimal, and for each "these devices need a place" the count is cut to the fewest that still
// conflict ("any 31 of these 40 disks").
//
// Every independent conflict: conflicts found while building the model (a group of nine, a NUMA
// cell that does not exist) come first, each lifted (its cheapest hint dropped) to look further;
// then, MARCO-style, each conflict found is blocked by lifting all of its requirements and the
// search runs again on what is left, until a layout exists, the budget runs out or
// `maxConflicts` are found. The conflicts share no requirement, so each needs a fix of its own.
import { ConflictError } from '../errors.js';
import { buildInstance, type Instance, type Unit, type UnitClass } from '../optimal/instance.js';
import type { OptimalInput } from '../optimal/input.js';
import { checkFeasible } from '../optimal/solve.js';
import type { SolverChoice } from '../solver/session.js';
import type { Policy } from '../model/schemas.js';
import type { Device, Hints } from '../model/types.js';
import { nameList, type Conflict, type Requirement } from '../conflict.js';
import { liftCost } from './cost.js';
import type { RequirementRule } from '../rules.js';

/**
 * Hints a conflict may drop. Dropping one must only ever make placement easier, or the search
 * would call "a conflict" what is a harder domain: a dropped hotplug hint leaves hotplug open and a
 * dropped NUMA hint lets the device go anywhere. A bus kind has no "either" in the model, and
 * splitting a group makes its functions need a slot each, so `bus` and `group` stay as given (a
 * group that cannot be a slot is caught before the search, with its own conflict).
 */
type HintName = 'hotplug' | 'numa';

export type Candidate =
  | { kind: 'place'; cls: number; count: number }
  | { kind: 'hint'; cls: number; hint: HintName }
  | { kind: 'default-hotplug'; cls: number }
  | { kind: 'policy-spares' }
  | { kind: 'policy-add-controllers' };

export interface Trial {
  infeasible: boolean;
  /** Z3 could not answer within the budget (the trial then counts as having a layout). */
  unknown?: boolean;
  facts: string[];
  /** Classes whose demand is in the unsat core (undefined when no core was computed). */
  coreClasses?: Set<number>;
}

export interface ExplainOptions {
  /** Budget for the whole search; each check gets what is left. */
  timeoutMs: number;
  /** Stop after this many conflicts (default 10). */
  maxConflicts?: number;
  /** Which Z3 answers each check. */
  solver?: SolverChoice;
}

const HINTS: HintName[] = ['hotplug', 'numa'];

const devicesOf = (c: UnitClass) => c.units.flatMap((u) => u.devices);

function candidatesOf(inst: Instance, policy: Policy): Candidate[] {
  const out: Candidate[] = [];
  inst.classes.forEach((c, cls) => {
    out.push({ kind: 'place', cls, count: c.units.length });
    const devs = devicesOf(c);
    for (const hint of HINTS) if (devs.some((d) => d.hints[hint] !== undefined)) out.push({ kind: 'hint', cls, hint });
    if (c.units.some((u) => u.hotplug !== undefined && u.why.hotplug !== 'hint')) out.push({ kind: 'default-hotplug', cls });
  });
  if (inst.spares.ports > 0 || inst.spares.slots > 0) out.push({ kind: 'policy-spares' });
  if (policy.addControllers) out.push({ kind: 'policy-add-controllers' });
  return out;
}

/** Whether a unit still carries a hint or default that `kept` holds (else dropping it is free). */
function constrained(u: Unit, cls: number, kept: readonly Candidate[]): boolean {
  return kept.some(
    (k) =>
      ('cls' in k && k.cls === cls && k.kind === 'hint' && u.devices.some((d) => d.hints[k.hint] !== undefined)) ||
      ('cls' in k && k.cls === cls && k.kind === 'default-hotplug' && u.why.hotplug !== 'hint'),
  );
}

/**
 * The units of a class kept by a "place k of them": those still constrained first, since a unit
 * whose hints were all dropped is the easiest to place and would make k look larger than it is.
 */
export function placedUnits(c: UnitClass, cls: number, kept: readonly Candidate[], count: number): Unit[] {
  const order = [...c.units.filter((u) => constrained(u, cls, kept)), ...c.units.filter((u) => !constrained(u, cls, kept))];
  return order.slice(0, count);
}

/** The input with every candidate not in `kept` dropped. */
export function relax(input: OptimalInput, inst: Instance, kept: readonly Candidate[]): { devices: Device[]; policy: Policy; anyHotplug: Set<number> } {
  const drop = new Set<number>();
  const strip = new Map<number, Set<HintName>>();
  const anyHotplug = new Set<number>();
  const keptPlace = new Map<number, number>();
  const keptHints = new Set<string>();
  const keptDefault = new Set<number>();
  for (const k of kept) {
    if (k.kind === 'place') keptPlace.set(k.cls, k.count);
    else if (k.kind === 'hint') keptHints.add(`${k.cls}:${k.hint}`);
    else if (k.kind === 'default-hotplug') keptDefault.add(k.cls);
  }
  inst.classes.forEach((c, cls) => {
    const placed = new Set(placedUnits(c, cls, kept, keptPlace.get(cls) ?? 0));
    c.units.forEach((u) => {
      for (const d of u.devices) {
        if (!placed.has(u)) drop.add(d.index);
        for (const hint of HINTS) if (!keptHints.has(`${cls}:${hint}`) && d.hints[hint] !== undefined) strip.set(d.index, (strip.get(d.index) ?? new Set()).add(hint));
        const hinted = d.hints.hotplug !== undefined;
        if (hinted ? !keptHints.has(`${cls}:hotplug`) : !keptDefault.has(cls)) anyHotplug.add(d.index);
      }
    });
  });
  const devices = input.devices
    .filter((d) => !drop.has(d.index))
    .map((d) => {
      const s = strip.get(d.index);
      if (!s) return d;
      const hints: Hints = { ...d.hints };
      for (const h of s) delete hints[h];
      return { ...d, hints };
    });
  const policy: Policy = { ...input.policy };
  if (!kept.some((k) => k.kind === 'policy-spares')) Object.assign(policy, { sparePciePorts: 0, sparePciSlots: 0 });
  else if (input.policy.sparePciePorts === undefined && inst.spares.ports > 0 && !libvirtAdds(input, inst, drop)) policy.sparePciePorts = 0;
  if (!kept.some((k) => k.kind === 'policy-add-controllers')) delete policy.addControllers;
  return { devices, policy, anyHotplug };
}

/**
 * Whether libvirt would still add a controller with the devices in `drop` left out: its spare root
 * port comes only with the controllers it adds (q35: with none written, any device libvirt puts
 * off bus 0 sits on a port it added). Without libvirt's layout (it failed), any device left to
 * place counts as needing one.
 */
function libvirtAdds(input: OptimalInput, inst: Instance, drop: ReadonlySet<number>): boolean {
  if (input.forced.length) return true;
  const left = inst.classes.flatMap(devicesOf).filter((d) => !drop.has(d.index));
  const g = input.greedy;
  return g ? left.some((d) => (g.addresses.get(d.index)?.bus ?? 0) !== 0) : left.length > 0;
}

export async function trial(input: OptimalInput, inst: Instance, kept: readonly Candidate[], deadline: number, solver?: SolverChoice): Promise<Trial> {
  const r = relax(input, inst, kept);
  let relaxed: Instance;
  try {
    relaxed = buildInstance(input.domain, r.devices, r.policy, input.greedy, { anyHotplug: r.anyHotplug });
  } catch (e) {
    if (e instanceof ConflictError) return { infeasible: true, facts: e.conflict.facts };
    throw e;
  }
  const res = await checkFeasible(relaxed, Math.max(200, deadline - performance.now()), solver);
  if (res.answer !== 'unsat') return { infeasible: false, facts: [], ...(res.answer === 'unknown' ? { unknown: true } : {}) };
  // Map the relaxed model's classes back to the full instance's by their devices.
  const classOf = new Map<number, number>();
  inst.classes.forEach((c, cls) => devicesOf(c).forEach((d) => classOf.set(d.index, cls)));
  const demandOf = new Map(res.requirements.demand.map((name, cls) => [name, cls] as const));
  const coreClasses = new Set<number>();
  for (const t of res.core) {
    const cls = demandOf.get(t.name);
    if (cls === undefined) continue;
    for (const d of devicesOf(relaxed.classes[cls]!)) coreClasses.add(classOf.get(d.index)!);
  }
  // Requirements are the search's candidates; the core's other assertions are its facts.
  const requirements = new Set([...res.requirements.demand, ...res.requirements.spares]);
  return { infeasible: true, facts: res.core.filter((t) => !requirements.has(t.name)).map((t) => t.meaning), coreClasses };
}

/** ddmin: the smallest subset (1-minimal) of `items` for which `bad` still holds. */
async function minimise<T>(items: readonly T[], bad: (subset: readonly T[]) => Promise<boolean>): Promise<T[]> {
  let set = [...items];
  let n = 2;
  while (set.length > 0) {
    const chunk = Math.ceil(set.length / n);
    let reduced = false;
    for (let i = 0; i < set.length; i += chunk) {
      const rest = [...set.slice(0, i), ...set.slice(i + chunk)];
      if (await bad(rest)) {
        set = rest;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk === 1) break;
      n = Math.min(set.length, n * 2);
    }
  }
  return set;
}

export function describe(c: Candidate, inst: Instance, policy: Policy, kept: readonly Candidate[]): Requirement {
  if (c.kind === 'policy-spares') {
    const { ports, slots } = inst.spares;
    const what = [ports ? `${ports} free hot-pluggable PCIe port${ports === 1 ? '' : 's'}` : '', slots ? `${slots} free hot-pluggable PCI slot${slots === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
    const source = policy.sparePciePorts !== undefined || policy.sparePciSlots !== undefined ? 'the policy' : "libvirt's default spare, which pciplan keeps unless the policy says otherwise";
    return { rule: 'policy-spares', devices: [], text: `keep ${what} (${source})` };
  }
  if (c.kind === 'policy-add-controllers') {
    const list = policy.addControllers!;
    return { rule: 'policy-add-controllers', devices: [], text: list.length ? `only ${list.join(', ')} may be added (policy addControllers)` : 'no controller may be added (policy addControllers is empty)' };
  }
  const cls = inst.classes[c.cls]!;
  const devs = devicesOf(cls);
  if (c.kind === 'place') {
    const placed = placedUnits(cls, c.cls, kept, c.count).flatMap((u) => u.devices.map((d) => d.id));
    const byHint = devs.some((d) => d.hints.bus !== undefined) ? ` (bus='${cls.kind}' hint)` : '';
    const what = `${cls.kind === 'pcie' ? 'PCI Express' : 'conventional PCI'}${cls.integrated ? ' integrated' : ''}`;
    // The pool "any k of these" speaks of: the units the other requirements still constrain.
    const constrainedUnits = cls.units.filter((u) => constrained(u, c.cls, kept));
    const pool = constrainedUnits.length >= c.count ? constrainedUnits : cls.units;
    const n = pool.length;
    const groups = pool.filter((u) => u.devices.length > 1).length;
    // A unit is a device or a whole group (one slot): say which, counted.
    const units = groups === 0 ? 'devices' : groups === n ? 'multifunction groups' : `devices and groups (${groups} of them groups)`;
    const unitName = (u: (typeof cls.units)[number]) => (u.devices.length > 1 ? `group '${u.devices[0]!.hints.group}' (${u.devices.length} functions)` : u.devices[0]!.id);
    const head = c.count === n ? (n === 1 ? `${unitName(pool[0]!)} needs a place${byHint}` : `${n} ${what} ${units} need a place${byHint}`) : `any ${c.count} of these ${n} ${what} ${units} need a place${byHint}`;
    return { rule: 'place', devices: placed, text: n === 1 ? head : `${head}: ${nameList(pool.map(unitName), 6)}` };
  }
  if (c.kind === 'default-hotplug') {
    const who = cls.units.filter((u) => u.why.hotplug !== 'hint').flatMap((u) => u.devices.map((d) => d.id));
    const value = cls.hotplug ? 'hot-pluggable' : 'not hot-pluggable';
    const source = policy.hotplug ? `the policy's hotplug='${policy.hotplug}'` : "as libvirt makes them; a hotplug hint or --hotplug changes it";
    return { rule: 'default-hotplug', devices: who, text: `${value} by default (${source}): ${nameList(who)}` };
  }
  const who = devs.filter((d) => d.hints[c.hint] !== undefined);
  const values = [...new Set(who.map((d) => d.hints[c.hint]))];
  const show = (v: unknown) => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));
  return { rule: `hint-${c.hint}`, devices: who.map((d) => d.id), text: `${values.map((v) => `${c.hint}='${show(v)}'`).join(', ')} on ${nameList(who.map((d) => d.id))}` };
}


/** A candidate's identity: a conflict that holds it blocks every count of the same "place". */
export const candidateKey = (c: Candidate): string => (c.kind === 'policy-spares' || c.kind === 'policy-add-controllers' ? c.kind : c.kind === 'hint' ? `hint:${c.cls}:${c.hint}` : `${c.kind}:${c.cls}`);

/** The rule a candidate's requirement carries (what lifting it costs, see cost.ts). */
export const candidateRule = (c: Candidate): RequirementRule => (c.kind === 'hint' ? `hint-${c.hint}` : c.kind);

export const candidateCost = (c: Candidate): number => liftCost(candidateRule(c));

/** A hint dropped from the input before the model could be built: how a build-time conflict is lifted. */
export interface HintLift {
  requirement: Requirement;
  hint: 'numa' | 'group' | 'hotplug';
}

const LIFTABLE_HINTS: Partial<Record<RequirementRule, HintLift['hint']>> = { 'hint-numa': 'numa', 'hint-group': 'group', 'hint-hotplug': 'hotplug' };

/** The cheapest hint of a build-time conflict (lifting any one removes it: it is minimal). */
function cheapestHintLift(c: Conflict): HintLift | undefined {
  const liftable = c.requirements.filter((r) => LIFTABLE_HINTS[r.rule] && r.devices.length);
  const best = liftable.sort((a, b) => liftCost(a.rule) - liftCost(b.rule))[0];
  return best && { requirement: best, hint: LIFTABLE_HINTS[best.rule]! };
}

export function applyHintLifts(devices: readonly Device[], lifts: readonly HintLift[]): Device[] {
  return devices.map((d) => {
    const drop = lifts.filter((l) => l.requirement.devices.includes(d.id) && d.hints[l.hint] !== undefined);
    if (!drop.length) return d;
    const hints: Hints = { ...d.hints };
    for (const l of drop) delete hints[l.hint];
    return { ...d, hints };
  });
}

/** Why the enumeration stopped before every independent conflict was found. */
export type Stopped = 'time' | 'max-conflicts' | 'blocked';

/** A search over one input: what fixes.ts continues from. */
export interface Search {
  /** The input with the hint lifts applied. */
  input: OptimalInput;
  inst: Instance;
  /** Every requirement of the model a person could lift. */
  all: Candidate[];
  /** Build-time conflicts, each lifted by one hint (in the order found). */
  hintLifts: HintLift[];
  /** The candidates of each conflict found by the solver (blocked for the next search). */
  found: Candidate[][];
  deadline: number;
  solver?: SolverChoice;
}

export interface ConflictReport {
  conflicts: Conflict[];
  /** Undefined when every independent conflict was found. */
  stopped?: Stopped;
  /** Undefined when no search over the model was possible (a conflict no hint lift removes). */
  search?: Search;
}

/**
 * A minimal conflict among `available` (a set that has no layout, `t` its trial): Z3's core
 * first, then deletion, then the fewest devices of each "place".
 */
export async function findConflict(s: Search, available: readonly Candidate[], t: Trial): Promise<{ set: Candidate[]; conflict: Conflict }> {
  const { input, inst, deadline } = s;
  let start = [...available];
  if (t.coreClasses) {
    const core = available.filter((c) => !('cls' in c) || t.coreClasses!.has(c.cls));
    if (core.length < available.length && (await trial(input, inst, core, deadline, s.solver)).infeasible) start = core;
  }
  // Out of budget, a removal is not tried (the requirement stays): the set is still a conflict,
  // only perhaps not a minimal one, and it says so.
  let complete = true;
  const bad = async (sub: readonly Candidate[]) => {
    if (performance.now() >= deadline) {
      complete = false;
      return false;
    }
    const r = await trial(input, inst, sub, deadline, s.solver);
    if (r.unknown) complete = false;
    return r.infeasible;
  };
  let set = await minimise(start, bad);

  // Fewest devices of each class that still conflict (more devices only make it harder).
  for (const [i, c] of set.entries()) {
    if (c.kind !== 'place' || c.count <= 1) continue;
    let lo = 1;
    let hi = c.count;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const probe = set.map((x, j) => (j === i ? { ...c, count: mid } : x));
      if (await bad(probe)) hi = mid;
      else lo = mid + 1;
    }
    set = set.map((x, j) => (j === i ? { ...c, count: hi } : x));
  }
  const final = await trial(input, inst, set, deadline + 5_000, s.solver);
  return { set, conflict: { requirements: set.map((c) => describe(c, inst, input.policy, set)), facts: final.facts, ...(complete ? {} : { minimal: false }) } };
}

/**
 * Every independent conflict of `input` (up to `maxConflicts`): minimal conflicts that share no
 * requirement. Empty when a layout exists. Call it when the full model is unsat or buildInstance
 * threw a ConflictError (whose conflict is already minimal).
 */
export async function explainConflicts(input: OptimalInput, opts: ExplainOptions): Promise<ConflictReport> {
  const deadline = performance.now() + opts.timeoutMs;
  const max = Math.max(1, opts.maxConflicts ?? 10);
  const conflicts: Conflict[] = [];

  // Build-time conflicts: each lifted by its cheapest hint, then the model is built again.
  const hintLifts: HintLift[] = [];
  let devices = input.devices;
  let inst: Instance | undefined;
  while (!inst) {
    try {
      inst = buildInstance(input.domain, devices, input.policy, input.greedy);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      conflicts.push(e.conflict);
      const lift = cheapestHintLift(e.conflict);
      if (!lift) return { conflicts, stopped: 'blocked' };
      if (conflicts.length >= max) return { conflicts, stopped: 'max-conflicts' };
      hintLifts.push(lift);
      devices = applyHintLifts(devices, [lift]);
    }
  }
  const s: Search = { input: { ...input, devices }, inst, all: candidatesOf(inst, input.policy), hintLifts, found: [], deadline, ...(opts.solver ? { solver: opts.solver } : {}) };
  const describeAll = (set: readonly Candidate[]) => set.map((c) => describe(c, inst, input.policy, set));

  // The solver's conflicts: block each one found (lift all of its requirements), search again.
  const blocked = new Set<string>();
  let stopped: Stopped | undefined;
  for (;;) {
    const available = s.all.filter((c) => !blocked.has(candidateKey(c)));
    const t = await trial(s.input, inst, available, deadline, s.solver);
    if (t.unknown) {
      // Out of budget before this search was answered: the first one is every requirement, unminimised.
      if (s.found.length === 0) conflicts.push({ requirements: describeAll(available), facts: [], minimal: false });
      stopped = 'time';
      break;
    }
    if (!t.infeasible) break;
    if (conflicts.length >= max) {
      stopped = 'max-conflicts';
      break;
    }
    if (s.found.length === 0) {
      // The layout as given may be impossible by itself: then the facts are the whole story.
      const none = await trial(s.input, inst, [], deadline, s.solver);
      if (none.infeasible) {
        conflicts.push({ requirements: [], facts: none.facts });
        return { conflicts, stopped: 'blocked' };
      }
    }
    if (performance.now() >= deadline) {
      conflicts.push({ requirements: describeAll(available), facts: t.facts, minimal: false });
      stopped = 'time';
      break;
    }
    const { set, conflict } = await findConflict(s, available, t);
    conflicts.push(conflict);
    s.found.push(set);
    for (const c of set) blocked.add(candidateKey(c));
    if (conflict.minimal === false) {
      stopped = 'time';
      break;
    }
  }
  return { conflicts, ...(stopped ? { stopped } : {}), search: s };
}
