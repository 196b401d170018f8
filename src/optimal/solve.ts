// Build the count model from the encodings and search for the fewest added controllers: the
// analytic lower bound first, then a few steps above it, then any layout and a binary search between
// the best bound proven and the best layout found (checkFeasible, below, serves explain).
// Every unsat answer is a proof that no layout needs fewer; a timeout ends the search
// with the best layout found, marked as not proven. Then the canonical layout among those with the
// optimum: a lexicographic descent over the decode's counts (encodings/canonical.ts), so that the
// layout does not depend on Z3's search.
import { blocks, canonicalObjectives, fixKeys, leastSlots, lexSmaller, seedOptions, SLOTS_BLOCK } from '../../encodings/canonical.js';
import type { CountInstance } from '../../encodings/instance.js';
import { encodeCountModel, type ModelRequirements, type ModelVars } from '../../encodings/model.js';
import { openSession } from '../solver/backend.js';
import { parseCheck, parseCore, type SolverChoice } from '../solver/session.js';
import { Smt, type Tracked } from '../solver/smt.js';

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
  /** Z3's random seeds (--solver-seed): a check that layouts do not depend on the search. */
  seed?: number;
  /** Which Z3 answers (default auto: a native z3 when one is installed, else the WASM build). */
  solver?: SolverChoice;
  /** The count model of this instance when the caller built it already (buildModel). */
  model?: ReturnType<typeof buildModel>;
}

export type SolveOutcome =
  | {
      status: 'sat';
      values: Map<string, number>;
      vars: ModelVars;
      added: number;
      lowerBound: number;
      bound: number;
      proven: boolean;
      /** The values are the canonical tie-break among the layouts with `added` (encodings/canonical.ts). */
      canonical: boolean;
      checks: number;
      /** Of the checks and the time, what the tie-break took (bench/optimal.bench.ts reports it). */
      tieBreak: { checks: number; ms: number };
    }
  /** No layout at all; `explainConflict` (with checkFeasible) says why. */
  | { status: 'unsat'; lowerBound: number }
  | { status: 'unknown'; lowerBound: number; bound: number };

export function buildModel(inst: CountInstance): { smt: Smt; vars: ModelVars; requirements: ModelRequirements; lowerBound: number; trusted: number } {
  const smt = new Smt();
  return { smt, ...encodeCountModel(inst, smt) };
}

/**
 * How Z3 is asked, chosen by measurement on these models (hard mixed 16/64/2,000 devices, the bus
 * limit; scratch runs of each option): the older arithmetic solver (smt.arith.solver 2) was 5-20x
 * faster than the default on the at-the-bound checks, and simplifying and propagating before the
 * SMT core a further 1.2-2x on small and medium models.
 */
export const Z3_OPTIONS = '(set-option :smt.arith.solver 2)\n';
export const CHECK = '(check-sat-using (then simplify propagate-values solve-eqs smt))';

export async function solveInstance(inst: CountInstance, opts: SolveOptions): Promise<SolveOutcome> {
  const start = performance.now();
  const { smt, vars, lowerBound: analytic, trusted } = opts.model ?? buildModel(inst);
  // The analytic bound speeds every check up; proofs that lean on it are re-checked at the end
  // with only the trusted part of it.
  let assumed = analytic;
  const lowerBound = analytic;
  const script = seedOptions(opts.seed) + smt.script();
  const remaining = () => Math.max(50, Math.round(opts.timeoutMs - (performance.now() - start)));
  let checks = 0;

  /**
   * One check in a fresh context: Z3 keeps state across calls in a context (and switches to a
   * slower incremental core after push), and the same input must give the same layout whatever
   * was solved before.
   */
  const check = async (bound: number | undefined, extra = ''): Promise<{ answer: 'sat' | 'unsat' | 'unknown'; values?: Map<string, number> }> => {
    checks++;
    const z3 = await openSession(opts.solver);
    try {
      const assertBound = `(assert (>= ${vars.added} ${assumed}))\n${bound === undefined ? '' : `(assert (<= ${vars.added} ${bound}))\n`}`;
      // A fresh context per check: push/pop on one context switches Z3 to its incremental core,
      // many times slower on these models.
      // The values come back in the same call when the answer is sat (one round trip less).
      const timeoutMs = remaining();
      const text = `(set-option :timeout ${timeoutMs})\n${Z3_OPTIONS}${script}${assertBound}${extra}${CHECK}\n(get-value (${smt.vars.join(' ')}))`;
      return await z3.query(text, (out) => parseCheck(out, smt.vars), { timeoutMs });
    } finally {
      z3.close();
    }
  };

  // The lower bound first, then a few steps above it: the optimum is usually there, and each
  // unsat answer near the bound is quick and proves one more. Past that, any layout, then bisect.
  let best: Map<string, number> | undefined;
  let lo = lowerBound;
  for (let step = 0; step < 6 && !best; step++) {
    const r = await check(lowerBound + step);
    if (r.answer === 'unknown') return { status: 'unknown', lowerBound, bound: lo };
    if (r.answer === 'sat') best = r.values;
    else lo = lowerBound + step + 1;
  }
  if (!best) {
    const feasible = await check(undefined);
    if (feasible.answer === 'unsat') return { status: 'unsat', lowerBound };
    best = feasible.values;
  }
  if (!best) return { status: 'unknown', lowerBound, bound: lo };
  const report = () => opts.onProgress?.({ best: best!.get(vars.added), bound: lo, elapsedMs: performance.now() - start });
  report();
  // Bisect between the proven bound and the best layout found.
  const bisect = async () => {
    while (lo < best!.get(vars.added)! && performance.now() - start < opts.timeoutMs) {
      const probe = Math.floor((lo + best!.get(vars.added)! - 1) / 2);
      const r = await check(probe);
      if (r.answer === 'unknown') break;
      if (r.answer === 'sat') best = r.values!;
      else lo = probe + 1;
      report();
    }
  };
  await bisect();
  let added = best.get(vars.added)!;
  let proven = lo >= added;
  if (proven && added > trusted) {
    // The proof used the analytic bound: confirm that nothing below `added` exists under the
    // trusted bound alone. A layout below it means the analytic bound was wrong: search again.
    assumed = trusted;
    const verify = await check(added - 1);
    if (verify.answer === 'unknown') proven = false;
    else if (verify.answer === 'sat') {
      best = verify.values!;
      lo = trusted;
      await bisect();
      added = best.get(vars.added)!;
      proven = lo >= added;
    }
  }
  // The canonical layout among those with `added` controllers (encodings/canonical.ts): descend
  // in lexicographic order until no layout with that count has a smaller key (an unsat answer).
  // No budget of its own (a wall-clock one would make the bytes depend on the machine's speed):
  // the descent is finite, and only the run's own time budget cuts it short, marked not canonical.
  const objectives = canonicalObjectives(vars, smt);
  let canonical = false;
  const tieStart = performance.now();
  const searchChecks = checks;
  const within = () => performance.now() - start < opts.timeoutMs;
  const fixAdded = `(assert (= ${vars.added} ${added}))\n`;
  const ask = (fixed: string, keys: typeof objectives) => check(added, `${fixAdded}${fixed}${lexSmaller(keys, best!)}`);
  // The packed slots at their closed-form least (canonical.ts) before the first question.
  best = leastSlots(vars, best);
  // All keys at once first (the usual answer: unsat, the search's model is least), then block by block.
  const first = within() ? await ask('', objectives) : { answer: 'unknown' as const };
  if (first.answer === 'unsat') canonical = true;
  else if (first.answer === 'sat') {
    best = leastSlots(vars, first.values!);
    const bs = blocks(objectives);
    let fixed = '';
    let proved = 0;
    descent: for (const block of bs) {
      // The slots block needs no question: its least value is closed-form given the units above.
      if (block[0]!.block === SLOTS_BLOCK) best = leastSlots(vars, best);
      else
        for (;;) {
          if (!within()) break descent;
          const r = await ask(fixed, block);
          if (r.answer === 'unknown') break descent;
          if (r.answer === 'unsat') break;
          best = r.values!;
        }
      proved++;
      fixed += fixKeys(block, best);
    }
    canonical = proved === bs.length;
  }
  const tieBreak = { checks: checks - searchChecks, ms: performance.now() - tieStart };
  return { status: 'sat', values: best, vars, added, lowerBound, bound: proven ? added : Math.min(lo, added), proven, canonical, checks, tieBreak };
}

/**
 * One feasibility check (no objective): whether any layout exists, and if none, the tracked
 * assertions of Z3's unsat core, with the names of those that are requirements (the rest are
 * facts). `explain` calls it for every relaxation it tries.
 */
export async function checkFeasible(inst: CountInstance, timeoutMs: number, solver?: SolverChoice): Promise<{ answer: 'sat' | 'unsat' | 'unknown'; core: Tracked[]; requirements: ModelRequirements }> {
  const { smt, requirements } = buildModel(inst);
  const z3 = await openSession(solver, { unsatCores: true });
  try {
    const limit = Math.max(50, Math.round(timeoutMs));
    const text = `(set-option :timeout ${limit})\n${Z3_OPTIONS}${smt.script()}(check-sat)`;
    const { answer } = await z3.query(text, (out) => parseCheck(out), { timeoutMs: limit });
    if (answer !== 'unsat') return { answer, core: [], requirements };
    const names = await z3.query('(get-unsat-core)', (out) => parseCore(out, (n) => smt.tracked.has(n)));
    return { answer, core: names.map((n) => smt.tracked.get(n)!), requirements };
  } finally {
    z3.close();
  }
}
