/*
 * Canonical optimal layouts: among the layouts with the optimal number of added controllers, the
 * one pciplan writes is defined by the instance alone, not by the order in which Z3 searches.
 *
 * Rule. Let C* be the optimum the bound search proved (solve.ts) and
 *   S = { v : v meets every constraint of the count model, added(v) = C* }
 * (finite and non-empty: every variable is a bounded integer, and the search found a member).
 * The decode (src/optimal/decode.ts) is a pure function of the instance and of the values of a
 * fixed list of variables K = (k_1, ..., k_m): the unit counts x and slots u per (class, placement,
 * location), the new controllers per model and location, the pci-bridges per depth and the
 * spares per location. Each k_i gets a direction d_i in {+1 (minimise), -1 (maximise)}, and
 *   key(v) = (d_1 k_1(v), ..., d_m k_m(v))
 * is compared lexicographically. The canonical assignment is the K-part of the lex-least key
 * over S.
 *
 * Claim: that K-part is unique, so the layout is the same bytes whatever Z3 build, backend or
 * random seed answers. Proof: lexicographic order is a total order on Z^m; S is finite and
 * non-empty, so key(S) has exactly one least element kappa; two assignments with the same key
 * have the same K-part (d_i is +-1), hence the same decode.
 *
 * Search (solve.ts): a descent. Start from the model v_0 the bound search found (a member of S).
 * Ask for a member of S whose key is lexicographically smaller than key(v_j):
 *   LT(v_j) = OR_i ( AND_{h<i} k_h = k_h(v_j)  and  d_i k_i < d_i k_i(v_j) )
 * (lexSmaller, below: linear in m through chained prefix definitions). sat gives v_{j+1} with
 * key(v_{j+1}) < key(v_j); unsat proves key(v_j) = kappa. The keys strictly decrease in a finite
 * set, so the descent ends, and it ends only on the unsat answer: the result is kappa, whichever
 * members Z3 returned on the way. A timeout answers `unknown`: solve.ts then keeps the search's
 * model (a valid optimal layout) and marks it not canonical.
 *
 * Blocks. When that first question is sat, the descent goes on block by block (a block: the keys
 * of one class's units, the packed slots, the controllers, the bridges, the spares): with the
 * blocks before B fixed at their proven values, descend over B's keys alone until unsat, then fix
 * B. This finds kappa too: the lex-least key over S is, block by block, the lex-least block over
 * the members of S that agree with kappa on the blocks before it (lexicographic order compares
 * blocks in turn); and the fixed equalities make each later check smaller (Z3 substitutes them).
 *
 * Packed slots in closed form. Every packed-slot count u occurs in the model only in
 *   8 u >= x,  u <= x                                       (demand.ts)
 * and as a summand on the used side of a capacity constraint (ports.ts, pciSlots.ts, rootBus.ts:
 * sum(...u...) <= capacity); `added` does not read it. So with the units x fixed, lowering any u
 * to ceil(x / 8) keeps every constraint and the count: the slots block's least value is
 *   u = ceil(x / 8)  for every packed assignment at once
 * (each key at its own lower bound, hence lexicographically least), and it is set without a check
 * (leastSlots). The same holds for the search's first model, before the first question.
 *
 * Determined keys. A class with a single possible place has x = its unit count (demand.ts), a
 * constant of S: it is left out of K (one unsat answer saved per such class).
 *
 * Cost: one check when the bound search's model is already least (the unsat proof), plus one per
 * improvement and one per block after a first improvement; no new variable or constraint in the
 * model itself. The descent has no budget of its own: it is finite, and it is bounded only by the
 * run's time budget (--timeout), so whether a layout is canonical never depends on how fast the
 * machine is, only on that explicit budget. Z3's own lexicographic
 * optimiser (one (minimize) per key) was measured first and ran for seconds to minutes on
 * 20-device domains (z3 4.8.12 and the WASM build): a per-key optimisation loop, where the
 * descent asks one question for all keys at once. The variables outside K (expander slot counts,
 * bus-number helpers) are not read by the decode, so they need no tie-break.
 *
 * Order (why): devices first, room for later last, as the decode places them.
 *  1. per class (in class-key order), per placement in the decode's preference order (integrated,
 *     root, port, port with hotplug off, bridge slot, dmi slot), per location (root first):
 *     maximise x. Units take the cheapest kind of place that the optimum allows, the same way
 *     whatever else the optimum needs.
 *  2. packed slots u: minimise (8 functions to a slot where the optimum allows).
 *  3. controllers, by model across locations: expanders, switches, downstream ports (on, off),
 *     pcie-to-pci, dmi-to-pci and pci-bridges, hotplug='off' root ports, re-homed root ports,
 *     then plain root ports at the expander locations (the root location gets what is left):
 *     minimise. Flat root ports before switches, bridges at the shallowest depth.
 *  4. pci-bridges by depth, deepest first: minimise.
 *  5. spares: maximise at the root location, then minimise elsewhere (spares where the plain root
 *     ports are).
 */
import type { Smt, Term } from '../src/solver/smt.js';
import type { ModelVars } from './model.js';
import type { Placement, Vars } from './variables.js';

export interface Objective {
  term: Term;
  /** Consecutive keys of one block (a class's units, the packed slots, the controllers, ...). */
  block: string;
  /** The direction d_i: the least key has the smallest (minimize) or largest (maximize) value. */
  sense: 'minimize' | 'maximize';
}

const PLACEMENT_ORDER: readonly Placement[] = ['int', 'root', 'port', 'portOff', 'bridge', 'dmi'];

/** The tie-break objectives in priority order (constants dropped: they tie everything). */
export function canonicalObjectives(v: ModelVars, smt: Smt): Objective[] {
  const out: Objective[] = [];
  let block = '';
  const add = (term: Term | undefined, sense: Objective['sense']) => {
    if (term === undefined || /^\d+$/.test(term) || !smt.vars.includes(term)) return;
    if (out.some((o) => o.term === term)) return;
    out.push({ term, sense, block });
  };
  const locs = [...v.loc.values()];
  const classes = [...new Set(v.assignments.map((a) => a.cls))];
  // 1 and 2: units, their placements and packed slots.
  classes.forEach((c, ci) => {
    block = `units ${ci}`;
    const mine = v.assignments.filter((a) => a.cls === c);
    // One place only: x is the class's unit count in every layout (demand.ts), not a choice.
    if (mine.length === 1) return;
    for (const w of PLACEMENT_ORDER) for (const l of locs) add(mine.find((a) => a.w === w && a.loc === l.loc.id)?.x, 'maximize');
  });
  block = SLOTS_BLOCK;
  for (const a of v.assignments) if (a.u !== a.x) add(a.u, 'minimize');
  block = 'controllers';
  // 3: controllers by model.
  for (const k of ['e', 'sw', 'dp', 'df', 'br', 'dm', 'pb', 'ro', 'ov'] as const) for (const l of locs) add(l[k], 'minimize');
  for (const l of locs) if (l.loc.id !== 'R') add(l.rp, 'minimize');
  add(v.loc.get('R')?.rp, 'minimize');
  // 4: pci-bridges by depth (pciSlots.ts), deepest first.
  block = 'bridges';
  for (const depth of ['d', 'c', 'b', 'a'] as const) for (const l of locs) add(v.pciSlots.bridges.get(l.loc.id)?.[depth], 'minimize');
  add(v.pciSlots.pbRoot, 'minimize');
  // 5: spares.
  block = 'spares';
  locs.forEach((l, i) => {
    add(l.spP, i === 0 ? 'maximize' : 'minimize');
    add(l.spS, i === 0 ? 'maximize' : 'minimize');
  });
  add(v.pciSlots.spRoot, 'maximize');
  return out;
}

/** The block of the packed-slot keys, which leastSlots sets in closed form. */
export const SLOTS_BLOCK = 'slots';

/**
 * `values` with every packed-slot count at its least value for the units it holds, ceil(x / 8):
 * still a layout of the model with the same count (the closed form above).
 */
export function leastSlots(v: Vars, values: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(values);
  for (const a of v.assignments) if (a.u !== a.x && out.has(a.u)) out.set(a.u, Math.ceil((values.get(a.x) ?? 0) / 8));
  return out;
}

/** The objectives split into their blocks, in order. */
export function blocks(objs: readonly Objective[]): Objective[][] {
  const out: Objective[][] = [];
  for (const o of objs) {
    const last = out[out.length - 1];
    if (last && last[0]!.block === o.block) last.push(o);
    else out.push([o]);
  }
  return out;
}

/** The keys of `objs` fixed at their values in `values` (a block proven least). */
export function fixKeys(objs: readonly Objective[], values: ReadonlyMap<string, number>): string {
  return objs.map((o) => `(assert (= ${o.term} ${values.get(o.term) ?? 0}))\n`).join('');
}

/**
 * "Some layout's key is lexicographically smaller than the key of `values`", as assertions:
 *   p_0 = true,  p_i = p_{i-1} and k_i = v_i,   OR_i (p_{i-1} and d_i k_i < d_i v_i)
 * (linear in m: the prefix equalities are chained through Boolean definitions).
 */
export function lexSmaller(objs: readonly Objective[], values: ReadonlyMap<string, number>): string {
  const lines: string[] = [];
  const better: string[] = [];
  let prefix = 'true';
  objs.forEach((o, i) => {
    const v = values.get(o.term) ?? 0;
    const step = o.sense === 'minimize' ? `(< ${o.term} ${v})` : `(> ${o.term} ${v})`;
    better.push(prefix === 'true' ? step : `(and ${prefix} ${step})`);
    if (i === objs.length - 1) return;
    lines.push(`(define-fun lexEq${i} () Bool ${prefix === 'true' ? `(= ${o.term} ${v})` : `(and ${prefix} (= ${o.term} ${v}))`})`);
    prefix = `lexEq${i}`;
  });
  lines.push(`(assert (or false ${better.join(' ')}))`);
  return `${lines.join('\n')}\n`;
}

/** Z3's random seeds, as script text (any backend that reads SMT-LIB honours them). */
export function seedOptions(seed: number | undefined): string {
  if (seed === undefined) return '';
  return `(set-option :random-seed ${seed})\n(set-option :smt.random_seed ${seed})\n(set-option :sat.random_seed ${seed})\n`;
}
