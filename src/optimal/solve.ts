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

export async function solveInstance(inst: Instance, opts: SolveOptions): Promise<SolveOutcome> {
  const start = performance.now();
  const { smt, vars, lowerBound } = buildModel(inst);
  // A fresh context per solve: Z3 keeps internal state (random seeds, learnt lemmas) across
  // (reset), and the same input must give the same layout whatever was solved before.
  const z3 = await SmtSession.open();
  try {
    return await search(z3, smt, vars, lowerBound, opts, start);
  } finally {
    z3.close();
  }
}

async function search(z3: SmtSession, smt: Smt, vars: Vars, lowerBound: number, opts: SolveOptions, start: number): Promise<SolveOutcome> {
  const remaining = () => Math.max(50, Math.round(opts.timeoutMs - (performance.now() - start)));
  let checks = 0;
  const check = async (extra = ''): Promise<'sat' | 'unsat' | 'unknown'> => {
    checks++;
    const out = (await z3.eval(`(set-option :timeout ${remaining()})\n${extra}(check-sat)`)).trim();
    return out === 'sat' || out === 'unsat' ? out : 'unknown';
  };
  const values = async () => parseValues(await z3.eval(`(get-value (${smt.vars.join(' ')}))`));

  await z3.eval(`(set-option :produce-unsat-cores true)\n${smt.script()}`);
  const first = await check();
  if (first === 'unsat') {
    const core = (await z3.eval('(get-unsat-core)')).replace(/[()]/g, ' ').trim().split(/\s+/).filter(Boolean);
    return { status: 'unsat', core: core.map((n) => smt.tracked.get(n)!).filter(Boolean), lowerBound };
  }
  if (first === 'unknown') return { status: 'unknown', lowerBound, bound: lowerBound };
  let best = await values();
  let lo = lowerBound;
  const report = () => opts.onProgress?.({ best: best.get(vars.added), bound: lo, elapsedMs: performance.now() - start });
  report();

  // Ask for the lower bound first (usually tight), then bisect what is left.
  let probe = lo;
  while (lo < best.get(vars.added)!) {
    if (performance.now() - start > opts.timeoutMs) break;
    const answer = await check(`(push 1)\n(assert (<= ${vars.added} ${probe}))\n`);
    if (answer === 'sat') best = await values();
    await z3.eval('(pop 1)');
    if (answer === 'unknown') break;
    if (answer === 'unsat') lo = probe + 1;
    report();
    probe = Math.floor((lo + best.get(vars.added)! - 1) / 2);
  }
  const added = best.get(vars.added)!;
  return { status: 'sat', values: best, vars, added, lowerBound, bound: lo, proven: lo >= added, checks };
}
