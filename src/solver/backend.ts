// Which Z3 answers a session: `--solver auto|native|wasm` (or $PCIPLAN_SOLVER).
//   native: a z3 binary ($PCIPLAN_Z3, else `z3` on $PATH), version MIN_Z3_VERSION or newer;
//   wasm:   the z3-solver build that `npm ci` installs (always there);
//   auto:   native when such a z3 is found, else wasm. When the native z3 fails mid-run (crashes,
//           hangs past its timeout, prints what is not an answer), the session goes on with WASM:
//           the commands the session had sent are replayed there, and one line on stderr says so.
// The process and the WASM module are cached for the whole run; each session is a clean state.
// A native session whose answer cannot be read stops its process (a later answer could be read
// as the next request's); a process that failed is replaced for the next session.
// (Two native processes at most: one for sessions with unsat cores, one without, since z3 keeps
// that option across `(reset)`; see session.ts.)
import { PciplanError } from '../errors.js';
import { findZ3, NativeSession, Z3Process } from './native.js';
import { SolverFailure, type EvalOptions, type SessionOptions, type SmtSession, type SolverChoice } from './session.js';
import { WasmSession } from './wasm.js';

const processes = new Map<string, Promise<Z3Process>>();
/** Native z3 paths that failed in this run: auto does not try them again. */
const broken = new Set<string>();
const warned = new Set<string>();

/** One line on stderr, once per message: the run goes on (a fallback, not an error). */
function warn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`pciplan: ${message}\n`);
}

/** The running process of each key, once started: a process that died is replaced, not reused. */
const started = new Map<string, Z3Process>();

function nativeProcess(path: string, opts: SessionOptions = {}): Promise<Z3Process> {
  const key = `${opts.unsatCores ? 'cores' : 'plain'}:${path}`;
  let p = processes.get(key);
  // A process that failed (killed past its timeout, exited, stopped after an answer out of step)
  // answers nothing any more: the next session gets a new one instead of that failure.
  if (!p || started.get(key)?.alive === false || (broken.has(path) && !started.has(key))) {
    started.delete(key);
    p = Z3Process.start(path);
    processes.set(key, p);
    p.then(
      (proc) => started.set(key, proc),
      () => broken.add(path),
    );
  }
  return p;
}

/** The z3 a choice of 'auto' would use for this run, if any (for messages and benchmarks). */
export async function nativeAvailable(): Promise<{ path: string; version: string } | undefined> {
  const found = findZ3();
  if (!found) return undefined;
  try {
    const p = await nativeProcess(found.path);
    return { path: p.path, version: p.version };
  } catch {
    return undefined;
  }
}

/** Opens a session on the backend `choice` names (default auto). */
export async function openSession(choice: SolverChoice = 'auto', opts: SessionOptions = {}): Promise<Session> {
  if (choice === 'wasm') return new Session(await WasmSession.open(opts), false, opts);
  const found = findZ3();
  if (choice === 'native') {
    if (!found) throw new PciplanError('input', '--solver native: no z3 found (install the z3 package, or set PCIPLAN_Z3 to a z3 binary)');
    try {
      return new Session(await NativeSession.open(await nativeProcess(found.path, opts), opts), false, opts);
    } catch (e) {
      throw asUserError(e, found.path);
    }
  }
  if (!found || broken.has(found.path)) return new Session(await WasmSession.open(opts), false, opts);
  let proc: Z3Process;
  try {
    proc = await nativeProcess(found.path, opts);
  } catch (e) {
    // A z3 the user named must work; one that happens to be on PATH may be too old, silently.
    if (found.explicit) warn(`PCIPLAN_Z3: ${(e as Error).message}; solving with the built-in z3-solver (WASM)`);
    return new Session(await WasmSession.open(opts), false, opts);
  }
  return new Session(await NativeSession.open(proc, opts), true, opts);
}

/** A native failure as the user reads it, naming the z3 that failed. */
const describe = (e: SolverFailure, path: string) => (e.message.startsWith(path) ? e.message : `${path}: ${e.message}`);

function asUserError(e: unknown, path: string): unknown {
  return e instanceof SolverFailure ? new PciplanError('input', `--solver native: ${describe(e, path)}`) : e;
}

/**
 * A session as pciplan uses it. `query` evaluates a script and parses the output with a strict
 * parser: a SolverFailure from the solver or from the parser means the answer cannot be trusted.
 * With fallback (auto), the session then moves to WASM; without, it is a one-line error.
 */
export class Session {
  private readonly sent: { script: string; opts?: EvalOptions }[] = [];

  constructor(
    private inner: SmtSession,
    private fallback: boolean,
    private readonly opts: SessionOptions,
  ) {}

  get backend(): 'native' | 'wasm' {
    return this.inner.backend;
  }

  eval(script: string, opts?: EvalOptions): Promise<string> {
    return this.query(script, (out) => out, opts);
  }

  async query<T>(script: string, parse: (out: string) => T, opts?: EvalOptions): Promise<T> {
    try {
      const result = parse(await this.inner.eval(script, opts));
      if (this.fallback) this.sent.push({ script, ...(opts ? { opts } : {}) });
      return result;
    } catch (e) {
      if (!(e instanceof SolverFailure)) throw e;
      if (!this.fallback && this.inner instanceof NativeSession) {
        // An answer pciplan cannot read may be another request's, and the next one's would be out
        // of step: nothing this process prints is trusted any more (the next session starts anew).
        this.inner.stop();
        throw asUserError(e, this.inner.path);
      }
      if (!this.fallback) throw e;
      await this.moveToWasm(e);
      return this.query(script, parse, opts);
    }
  }

  private async moveToWasm(e: SolverFailure): Promise<void> {
    const native = this.inner as NativeSession;
    broken.add(native.path);
    native.close();
    native.stop();
    warn(`native z3 failed (${describe(e, native.path)}); solving with the built-in z3-solver (WASM) instead`);
    this.inner = await WasmSession.open(this.opts);
    this.fallback = false;
    for (const s of this.sent) await this.inner.eval(s.script, s.opts);
  }

  close(): void {
    this.inner.close();
  }
}
