// What pciplan asks of Z3, whichever Z3 answers: a session is a clean solver state that takes
// SMT-LIB2 text and returns what Z3 printed. Two backends implement it: the z3-solver WASM build
// (wasm.ts, always there after `npm ci`) and a native `z3 -in -smt2` process (native.ts). Answers
// are parsed strictly here, so that a backend that prints something unexpected is an error, never
// a wrong layout.

export type SolverChoice = 'auto' | 'native' | 'wasm';
export const SOLVER_CHOICES: readonly SolverChoice[] = ['auto', 'native', 'wasm'];

export interface EvalOptions {
  /**
   * The budget the script gives Z3 (its own `:timeout`). A backend that can be stopped from outside
   * (the native process) is killed when Z3 overruns it by a margin.
   */
  timeoutMs?: number;
}

export interface SmtSession {
  /** Which Z3 answers: 'native' or 'wasm'. */
  readonly backend: 'native' | 'wasm';
  /** Evaluates SMT-LIB2 commands in this session's state; returns what Z3 printed. */
  eval(script: string, opts?: EvalOptions): Promise<string>;
  /** Ends the session (the state is dropped; the solver stays for the next session). */
  close(): void;
}

/** The solver failed (crashed, hung, printed what is not an answer): no answer can be trusted. */
export class SolverFailure extends Error {
  override readonly name = 'SolverFailure';
}

/**
 * Options some Z3 builds keep across contexts or across `(reset)`, measured on z3 4.8.12 and
 * z3-solver 5.2.0: `:timeout`, `:smt.arith.solver` and the random seeds are global parameters in
 * both. Every session starts by setting them to Z3's defaults (test/solver/backends.test.ts checks
 * these against both builds), so that a check gives the same answer whatever ran before it.
 * `:produce-unsat-cores` is per context in the WASM build, but the native `(reset)` keeps it and no
 * later set-option turns it off again: a session says up front whether it wants unsat cores
 * (SessionOptions), and the native backend keeps a process for each of the two states.
 */
export const SESSION_DEFAULTS: Readonly<Record<string, string>> = {
  ':timeout': '4294967295',
  ':smt.arith.solver': '6',
  // Random seeds, global too: a run that sets them must not pass them on to the next session.
  ':random-seed': '0',
  ':smt.random_seed': '0',
  ':sat.random_seed': '0',
};

export interface SessionOptions {
  /** The session asks for unsat cores (`(set-option :produce-unsat-cores true)` is sent for it). */
  unsatCores?: boolean;
}

export const sessionPrologue = (opts: SessionOptions = {}): string =>
  Object.entries(SESSION_DEFAULTS)
    .map(([k, v]) => `(set-option ${k} ${v})\n`)
    .join('') + (opts.unsatCores ? '(set-option :produce-unsat-cores true)\n' : '');

/** A script that turns unsat cores on in a session not opened for them would leak the setting. */
export function checkNoCores(script: string, opts: SessionOptions): void {
  if (!opts.unsatCores && /:produce-unsat-cores\s+true/.test(script)) throw new Error('a session that sets :produce-unsat-cores must be opened with { unsatCores: true }');
}

export type Answer = 'sat' | 'unsat' | 'unknown';

const excerpt = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}...` : s);

/**
 * The answer to a script that ends in a check-sat, optionally followed by `(get-value (vars))`:
 * the first line must be sat, unsat or unknown (an `(error ...)` before it means Z3 refused the
 * script); on sat, every requested variable must have an integer value.
 */
export function parseCheck(out: string, vars?: readonly string[]): { answer: Answer; values?: Map<string, number> } {
  const text = out.trim();
  const nl = text.indexOf('\n');
  const first = (nl < 0 ? text : text.slice(0, nl)).trim();
  if (first !== 'sat' && first !== 'unsat' && first !== 'unknown') throw new SolverFailure(`Z3 gave no answer to check-sat: ${excerpt(first)}`);
  if (first !== 'sat' || !vars) return { answer: first };
  return { answer: first, values: parseValueList(nl < 0 ? '' : text.slice(nl + 1), vars) };
}

/** `((x 1) (y (- 2)))`, exactly: every name in `vars` once, an integer each, nothing else. */
export function parseValueList(out: string, vars: readonly string[]): Map<string, number> {
  return parseValues(out, vars, '\\d+|\\(- \\d+\\)', (raw) => (raw.startsWith('(') ? -Number(raw.slice(3, -1)) : Number(raw)));
}

/** `((p true) (q false))`, exactly: every name in `vars` once, a Boolean each, nothing else. */
export function parseBoolList(out: string, vars: readonly string[]): Map<string, boolean> {
  return parseValues(out, vars, 'true|false', (raw) => raw === 'true');
}

/**
 * A get-value answer read strictly: an `(error ...)`, a missing or repeated name, or anything else
 * is a SolverFailure, never a default value (a missing value read as 0 or false is a wrong layout).
 */
function parseValues<T>(out: string, vars: readonly string[], value: string, read: (raw: string) => T): Map<string, T> {
  const text = out.trim();
  const body = text.startsWith('(error') ? undefined : /^\(([\s\S]*)\)$/.exec(text)?.[1];
  if (body === undefined) throw new SolverFailure(`Z3 gave no values: ${excerpt(text)}`);
  const values = new Map<string, T>();
  const pair = new RegExp(`\\s*\\(([A-Za-z_][\\w.$]*) (${value})\\)`, 'y');
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = pair.exec(body))) {
    if (values.has(m[1]!)) throw new SolverFailure(`Z3 gave ${m[1]} twice`);
    values.set(m[1]!, read(m[2]!));
    at = pair.lastIndex;
  }
  if (body.slice(at).trim() !== '') throw new SolverFailure(`Z3 gave values pciplan cannot read: ${excerpt(body.slice(at).trim())}`);
  const missing = vars.filter((v) => !values.has(v));
  if (missing.length || values.size !== vars.length) throw new SolverFailure(`Z3 gave values for ${values.size} of ${vars.length} variables (missing ${missing.slice(0, 3).join(', ') || 'none'})`);
  return values;
}

/** The answer to commands that print nothing when they succeed (declarations, assertions, push, pop). */
export function parseSilent(out: string): void {
  if (out.trim() !== '') throw new SolverFailure(`Z3 refused a command: ${excerpt(out.trim())}`);
}

/** The answer to `(get-unsat-core)`: a list of assertion names, each one pciplan named. */
export function parseCore(out: string, known: (name: string) => boolean): string[] {
  const text = out.trim();
  const body = /^\(([\s\S]*)\)$/.exec(text)?.[1];
  if (body === undefined) throw new SolverFailure(`Z3 gave no unsat core: ${excerpt(text)}`);
  const names = body.split(/\s+/).filter(Boolean);
  const unknown = names.find((n) => !known(n));
  if (unknown !== undefined) throw new SolverFailure(`Z3's unsat core names an assertion pciplan did not make: ${excerpt(unknown)}`);
  return names;
}
