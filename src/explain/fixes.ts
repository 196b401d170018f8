// The smallest fix: the cheapest set of requirements whose lifting gives the domain a layout (a
// minimum correction set; costs in cost.ts), found by implicit hitting sets over the conflicts:
// take the cheapest set H that holds a requirement of every conflict known, and try the domain
// with H lifted. A layout: H is a minimum correction set (every correction must hit every
// conflict, and none hits these for less). No layout: the relaxed domain has another conflict,
// disjoint from H; add it and start again. The independent conflicts `explain` found seed the
// sets, so the first H is often the answer. Build-time conflicts (a group of nine, a missing NUMA
// cell) are independent of the rest and lifted by their cheapest hint, as the search lifted them.
//
// Every fix is checked by planning it: the optimal allocator runs on the relaxed domain and its
// count of added controllers (and whether it is proven) is what the fix reports.
//
// Fixes the user may not know (each reported when it lets the domain keep requirements the
// smallest fix lifts): devices that work in either kind of slot (virtio, vfio host devices,
// nec-xhci: the catalog's pcie and virtio connect classes) placed as conventional PCI behind
// bridges, 31 hot-pluggable slots per bus number, with a bus='pci' hint; and on i440fx, pci.0's
// ACPI hotplug turned off (`<target hotplug='off'/>` on pci-root, libvirt 7.9 and later), so that
// hotplug='no' devices have a place on pci.0, checked by assigning the edited domain (which
// validates the layout it writes).
import { assignDomain, optimalInputOf } from '../assign.js';
import { ConflictError, PciplanError } from '../errors.js';
import type { ParsedDomain } from '../model/parseDomain.js';
import type { Policy } from '../model/schemas.js';
import type { Device } from '../model/types.js';
import { decodeLayout } from '../optimal/decode.js';
import { buildInstance } from '../optimal/instance.js';
import { solveInstance } from '../optimal/solve.js';
import { rootHotplugOffFor, withRootHotplugOff } from '../model/rootHotplug.js';
import { nameList, type Requirement } from '../conflict.js';
import { liftCost } from './cost.js';
import {
  candidateCost,
  candidateKey,
  describe,
  explainConflicts,
  findConflict,
  placedUnits,
  relax,
  trial,
  type Candidate,
  type ConflictReport,
  type Search,
} from './explainConflict.js';

export interface Fix {
  /** What to change: requirements lifted and relaxations applied, in the order of cost.ts. */
  lift: Requirement[];
  /** Controllers the layout of the fixed domain adds. */
  addedControllers: number;
  proven: boolean;
}

interface Correction {
  /** Candidates lifted; a "place" among them keeps `count` of its units in `kept`. */
  lifted: Candidate[];
  kept: Candidate[];
}

/**
 * The cheapest set of keys holding one of every set (branch and bound; the sets are few and small).
 * Ties go to the cheapest-first, earliest candidate, so the answer is deterministic.
 */
export function minimumHittingSet(sets: readonly (readonly string[])[], cost: (key: string) => number): Set<string> {
  let best: string[] = [];
  let bestCost = Infinity;
  const go = (chosen: string[], spent: number) => {
    if (spent >= bestCost) return;
    const open = sets.find((s) => !s.some((k) => chosen.includes(k)));
    if (!open) {
      best = chosen;
      bestCost = spent;
      return;
    }
    const order = [...open].sort((a, b) => cost(a) - cost(b));
    for (const k of order) go([...chosen, k], spent + cost(k));
  };
  go([], 0);
  return new Set(best);
}

const feasible = async (s: Search, kept: readonly Candidate[]) => {
  const t = await trial(s.input, s.inst, kept, s.deadline, s.solver);
  return !t.infeasible && !t.unknown;
};

/** The most units of the place candidate `c` that fit beside `kept` (binary search; 0 to count - 1). */
async function mostUnits(s: Search, kept: readonly Candidate[], c: Extract<Candidate, { kind: 'place' }>): Promise<number> {
  let lo = 0;
  let hi = c.count - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (await feasible(s, [...kept, { ...c, count: mid }])) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A minimum correction set of the search's model, or undefined when the budget ran out. */
async function correction(s: Search): Promise<Correction | undefined> {
  const sets = s.found.map((set) => set.map(candidateKey));
  const byKey = new Map(s.all.map((c) => [candidateKey(c), c]));
  for (let round = 0; round < 100; round++) {
    if (performance.now() >= s.deadline) return undefined;
    const hit = minimumHittingSet(sets, (k) => candidateCost(byKey.get(k)!));
    let kept = s.all.filter((c) => !hit.has(candidateKey(c)));
    const t = await trial(s.input, s.inst, kept, s.deadline, s.solver);
    if (t.unknown) return undefined;
    if (t.infeasible) {
      const { set } = await findConflict(s, kept, t);
      if (set.length === 0) return undefined;
      sets.push(set.map(candidateKey));
      continue;
    }
    // A device class lifted: keep as many of its units as still fit (leave out the fewest). A device
    // costs more than every other lift together, so lifting the rest too is worth it when more
    // devices then fit; of those extra lifts, the ones that do not help are put back.
    let lifted = s.all.filter((c) => hit.has(candidateKey(c)));
    for (const c of [...lifted]) {
      if (c.kind !== 'place') continue;
      const most = await mostUnits(s, kept, c);
      const extras = kept.filter((k) => k.kind !== 'place');
      let wider: Candidate[] = kept.filter((k) => k.kind === 'place');
      const more = extras.length ? await mostUnits(s, wider, c) : most;
      if (more <= most) {
        if (most > 0) kept = [...kept, { ...c, count: most }];
        continue;
      }
      for (const e of [...extras].sort((a, b) => candidateCost(b) - candidateCost(a))) {
        if (await feasible(s, [...wider, e, { ...c, count: more }])) wider = [...wider, e];
      }
      lifted = [...lifted, ...extras.filter((e) => !wider.includes(e))];
      kept = [...wider, { ...c, count: more }];
    }
    return { lifted, kept };
  }
  return undefined;
}

/** The requirements a correction lifts, as a person reads them. */
function liftedRequirements(s: Search, fix: Correction): Requirement[] {
  const { inst, input } = s;
  return fix.lifted.map((c) => {
    if (c.kind !== 'place') return describe(c, inst, input.policy, s.all);
    const cls = inst.classes[c.cls]!;
    const keptPlace = fix.kept.find((k): k is typeof c => k.kind === 'place' && k.cls === c.cls);
    const keptCount = keptPlace?.count ?? 0;
    const placed = new Set(placedUnits(cls, c.cls, fix.kept, keptCount));
    const out = cls.units.filter((u) => !placed.has(u)).flatMap((u) => u.devices.map((d) => d.id));
    const of = keptCount > 0 ? ` (${out.length} of ${cls.units.length} alike)` : '';
    return { rule: 'place', devices: out, text: `${nameList(out)} need${out.length === 1 ? 's' : ''} a place${of}` };
  });
}

/** Plan the relaxed domain with the optimal allocator: what the fix gives. */
async function plan(s: Search, kept: readonly Candidate[]): Promise<{ addedControllers: number; proven: boolean } | undefined> {
  const r = relax(s.input, s.inst, kept);
  let inst;
  try {
    inst = buildInstance(s.input.domain, r.devices, r.policy, s.input.greedy, { anyHotplug: r.anyHotplug });
  } catch (e) {
    if (e instanceof ConflictError) return undefined;
    throw e;
  }
  const out = await solveInstance(inst, { timeoutMs: Math.max(1_000, s.deadline - performance.now()), ...(s.solver ? { solver: s.solver } : {}) });
  if (out.status !== 'sat') return undefined;
  decodeLayout(inst, out.values, out.vars);
  return { addedControllers: out.added + s.input.forced.length, proven: out.proven };
}

/** What lifting these requirements costs (a device left out counts once per device). */
export function fixCost(lift: readonly Requirement[]): number {
  return lift.reduce((sum, r) => sum + liftCost(r.rule) * (r.rule === 'place' ? Math.max(1, r.devices.length) : 1), 0);
}

interface Found {
  fix: Fix;
  /** The cost of the lifts besides the relaxation tried. */
  cost: number;
  /** Nothing was lifted but the relaxation (the edited domain can be assigned as it is). */
  pure: boolean;
}

async function fixOf(s: Search, relaxations: readonly Requirement[]): Promise<Found | undefined> {
  const corr = await correction(s);
  if (!corr) return undefined;
  const planned = await plan(s, corr.kept);
  if (!planned) return undefined;
  const lifted = [...s.hintLifts.map((l) => l.requirement), ...liftedRequirements(s, corr)];
  const lift = [...relaxations, ...lifted].sort((a, b) => liftCost(a.rule) - liftCost(b.rule));
  return { fix: { lift, ...planned }, cost: fixCost(lifted), pure: lifted.length === 0 };
}

/** Devices that work in either kind of slot, in classes a conflict names: as conventional PCI. */
function busPciRelaxation(s: Search): { devices: Device[]; moved: string[] } | undefined {
  if (s.inst.rootKind !== 'express-root') return undefined;
  const classes = new Set(s.found.flat().flatMap((c) => ('cls' in c ? [c.cls] : [])));
  const moved = new Set<number>();
  for (const cls of classes) {
    for (const u of s.inst.classes[cls]!.units) {
      const either = u.kind === 'pcie' && !u.integrated && u.devices.every((d) => d.hints.bus === undefined && (d.cls.connect === 'pcie' || d.cls.connect === 'virtio'));
      if (either) for (const d of u.devices) moved.add(d.index);
    }
  }
  if (!moved.size) return undefined;
  const devices = s.input.devices.map((d) => (moved.has(d.index) ? { ...d, hints: { ...d.hints, bus: 'pci' as const } } : d));
  return { devices, moved: s.input.devices.filter((d) => moved.has(d.index)).map((d) => d.id) };
}

/**
 * The domain with `<target hotplug='off'/>` on i440fx's pci-root, when that may help: assign turns
 * it off by itself unless the user wrote a setting (src/model/rootHotplug.ts), so this is the fix
 * for a written hotplug='on'.
 */
function rootHotplugOff(parsed: ParsedDomain, policy: Policy): ParsedDomain | undefined {
  return rootHotplugOffFor(parsed.domain, policy, 'lift') && withRootHotplugOff(parsed);
}

export interface FixReport {
  fixes: Fix[];
  /** The budget ran out before the smallest fix was found and planned. */
  incomplete?: true;
}

/**
 * The smallest fix of a domain whose conflicts `report` holds, then the relaxations the user may
 * not know, each kept when it lifts less than the smallest fix. Empty when no search was possible.
 */
export async function smallestFixes(parsed: ParsedDomain, policy: Policy, report: ConflictReport, deadline: number): Promise<FixReport> {
  const s = report.search;
  const solver = s?.solver ? { solver: s.solver } : {};
  if (!s) return { fixes: [] };
  const main = await fixOf(s, []);
  const found: Found[] = main ? [main] : [];
  const remaining = () => deadline - performance.now();

  const bus = busPciRelaxation(s);
  if (bus && remaining() > 0) {
    const alt = await explainConflicts({ ...s.input, devices: bus.devices }, { timeoutMs: remaining(), ...solver });
    const relaxation: Requirement = {
      rule: 'bus-pci',
      devices: bus.moved,
      text: `bus='pci' on ${nameList(bus.moved)}: ${bus.moved.length === 1 ? 'it works' : 'they work'} in a conventional PCI slot too (behind a pci-bridge, 31 hot-pluggable slots per bus number)`,
    };
    const f = alt.search && (await fixOf({ ...alt.search, hintLifts: [...s.hintLifts, ...alt.search.hintLifts] }, [relaxation]));
    if (f) found.push(f);
  }

  const off = rootHotplugOff(parsed, policy);
  if (off && remaining() > 0) {
    const alt = await explainConflicts(optimalInputOf(off, policy), { timeoutMs: remaining(), ...solver });
    const relaxation: Requirement = {
      rule: 'root-hotplug-off',
      devices: ['controller[pci 0]'],
      text: "<target hotplug='off'/> on pci-root: pci.0's slots are no longer hot-pluggable (libvirt 7.9 or later), its pci-bridges still are",
    };
    const f = alt.search && (await fixOf(alt.search, [relaxation]));
    if (f?.pure) {
      // The edited domain as a whole: assign validates the layout it writes.
      try {
        const r = await assignDomain(off, { strategy: 'optimal', policy, timeoutMs: Math.max(1_000, remaining()), ...solver });
        found.push({ ...f, fix: { ...f.fix, addedControllers: r.objective.addedControllers, proven: r.proven } });
      } catch (e) {
        if (!(e instanceof PciplanError)) throw e;
      }
    } else if (f) found.push(f);
  }

  // The relaxations are shown when they spare something the smallest fix lifts.
  const fixes = found.filter((f) => f === main || !main || f.cost < main.cost).map((f) => f.fix);
  return { fixes, ...(main ? {} : { incomplete: true as const }) };
}

