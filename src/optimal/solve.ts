// Build the count model from the encodings and search for the fewest added controllers: a
// feasibility check first (its unsat core, if any, names the requirements in conflict), then the
// analytic lower bound, then a binary search between the best bound proven and the best layout
// found. Every unsat answer is a proof that no layout needs fewer; a timeout ends the search
// with the best layout found, marked as not proven.
import { encodeBusNumbers } from '../../encodings/busNumbers.js';
import { encodeDemand } from '../../encodings/demand.js';
import { encodeExpanders } from '../../encodings/expanders.js';
import { encodeObjective } from '../../encodings/objective.js';
import { encodePciSlots } from '../../encodings/pciSlots.js';
import { encodePorts } from '../../encodings/ports.js';
import { encodeRootBus } from '../../encodings/rootBus.js';
import { encodeSpares } from '../../encodings/spares.js';
import { declareVars, type Vars } from '../../encodings/variables.js';
import { parseValues, Smt, type Tracked } from '../solver/smt.js';
import { SmtSession } from '../solver/z3.js';
import type { Instance } from './instance.js';

export interface Progress {
  /** Added controllers of the best layout found so far, if any. */
  best: number | undefined;
  /** No layout needs fewer than this (proven). */
  bound: number;
  elapsedMs: number;
}

export interface SolveOptions {
  /** Total budget for the search. */
  timeoutMs: number;
  onProgress?: (p: Progress) => void;
}

export type SolveOutcome =
  | { status: 'sat'; values: Map<string, number>; vars: Vars; added: number; lowerBound: number; bound: number; proven: boolean; checks: number }
  | { status: 'unsat'; core: Tracked[]; lowerBound: number }
  | { status: 'unknown'; lowerBound: number; bound: number };

export function buildModel(inst: Instance): { smt: Smt; vars: Vars; lowerBound: number } {
  const smt = new Smt();
  const vars = declareVars(inst, smt);
  encodeDemand(inst, vars, smt);
  encodePorts(inst, vars, smt);
  const pci = encodePciSlots(inst, vars, smt);
  encodeRootBus(inst, vars, smt, pci);
  encodeExpanders(inst, vars, smt);
  encodeBusNumbers(inst, vars, smt);
  encodeSpares(inst, vars, smt);
  const lowerBound = encodeObjective(inst, vars, smt);
  return { smt, vars, lowerBound };
}

/** Solver options (measured on these models; overridable for experiments). */
const Z3_OPTIONS = process.env.PCIPLAN_Z3_OPTIONS ?? '(set-option :smt.arith.solver 2)\n';

export async function solveInstance(inst: Instance, opts: SolveOptions): Promise<SolveOutcome> {
  const start = performance.now();
  const { smt, vars, lowerBound } = buildModel(inst);
  const script = smt.script();
  const remaining = () => Math.max(50, Math.round(opts.timeoutMs - (performance.now() - start)));
  let checks = 0;

  /**
   * One check in a fresh context: Z3 keeps state across calls in a context (and switches to a
   * slower incremental core after push), and the same input must give the same layout whatever
   * was solved before.
   */
  const check = async (bound: number | undefined): Promise<{ answer: 'sat' | 'unsat' | 'unknown'; values?: Map<string, number> }> => {
    checks++;
    const z3 = await SmtSession.open();
    try {
      const assertBound = bound === undefined ? '' : `(assert (<= ${vars.added} ${bound}))\n`;
      // A plain check on a fresh context (Z3's non-incremental path, with its preprocessing) was
      // 20-40x faster here than the lia tactic or push/pop on one context.
      const out = (await z3.eval(`(set-option :timeout ${remaining()})\n${Z3_OPTIONS}${script}${assertBound}(check-sat)`)).trim();
      const answer = out === 'sat' || out === 'unsat' ? out : 'unknown';
      if (answer !== 'sat') return { answer };
      return { answer, values: parseValues(await z3.eval(`(get-value (${smt.vars.join(' ')}))`)) };
    } finally {
      z3.close();
    }
  };

  // The lower bound first: usually tight, and then one check proves the optimum.
  const first = await check(lowerBound);
  let best = first.values;
  let lo = lowerBound;
  if (first.answer === 'unsat') {
    lo = lowerBound + 1;
    const feasible = await check(undefined);
    if (feasible.answer === 'unsat') return { status: 'unsat', core: await unsatCore(smt, remaining()), lowerBound };
    best = feasible.values;
  }
  if (!best) return { status: 'unknown', lowerBound, bound: lo };
  const report = () => opts.onProgress?.({ best: best!.get(vars.added), bound: lo, elapsedMs: performance.now() - start });
  report();
  // Bisect between the proven bound and the best layout found.
  while (lo < best.get(vars.added)! && performance.now() - start < opts.timeoutMs) {
    const probe = Math.floor((lo + best.get(vars.added)! - 1) / 2);
    const r = await check(probe);
    if (r.answer === 'unknown') break;
    if (r.answer === 'sat') best = r.values!;
    else lo = probe + 1;
    report();
  }
  const added = best.get(vars.added)!;
  return { status: 'sat', values: best, vars, added, lowerBound, bound: lo, proven: lo >= added, checks };
}

/** The tracked requirements that conflict: Z3's unsat core over the named assertions. */
async function unsatCore(smt: Smt, timeoutMs: number): Promise<Tracked[]> {
  const z3 = await SmtSession.open();
  try {
    const out = (await z3.eval(`(set-option :produce-unsat-cores true)\n(set-option :timeout ${timeoutMs})\n${smt.script()}(check-sat)`)).trim();
    if (out !== 'unsat') return [];
    const names = (await z3.eval('(get-unsat-core)')).replace(/[()]/g, ' ').trim().split(/\s+/).filter(Boolean);
    return names.map((n) => smt.tracked.get(n)!).filter(Boolean);
  } finally {
    z3.close();
  }
}
