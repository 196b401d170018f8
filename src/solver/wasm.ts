// Z3 as the z3-solver WASM build, through its SMT-LIB2 front door. pciplan never creates Z3
// objects from JavaScript: every model is a script, sent with Z3_eval_smtlib2_string. That avoids
// the z3-solver 5.2 binding's garbage-collected objects, whose finalisers free Z3 terms from the
// main thread while a check runs on the worker thread (memory corruption after ~100 solves).
// The script is copied into WASM memory we own before the asynchronous call, because the binding
// passes strings on the WASM stack, which the next call from the main thread overwrites.
// Calls are queued: the module runs one asynchronous call at a time; contexts are made and freed
// in the same queue, and sessions hold the module in turn (lease, below). The module is loaded on the
// first session only, once per process.
//
// Only the Emscripten module itself is loaded (z3-solver/build/z3-built.js), not the package's
// entry: that also builds the high-level API and the generated low-level wrapper of every Z3
// function, none of which a script needs, and loading them was about 80 ms of each WASM run
// (bench/README.md). The five calls below are the wrapper's own, written out.
//
// Where a check runs (WasmStart, below): by default on z3-solver's worker thread, so the event loop
// stays free during a long check, as a library in a server needs. A one-shot process (the CLI) has
// nothing else for its event loop to do, and runs checks on its own thread instead: that saves
// starting the worker for the first check, most of a first check's cost on a small domain
// (bench/README.md). Answers are the same: the same build, context and script. Z3's :timeout still
// ends each check, from a timer thread of its own, and progress is reported between checks.
import { setFlagsFromString } from 'node:v8';
import { checkNoCores, sessionPrologue, type EvalOptions, type SessionOptions, type SmtSession } from './session.js';

/** The parts of z3-solver 5.2's Emscripten module pciplan calls (z3-built.js, `initZ3()`). */
interface Z3Module {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  /** z3-solver's async wrapper: runs an `_async_*` export on a worker thread, resolves with its string. */
  async_call(f: unknown, ...args: number[]): Promise<string>;
  _async_Z3_eval_smtlib2_string: unknown;
  _Z3_mk_config(): number;
  _Z3_del_config(cfg: number): void;
  _Z3_mk_context(cfg: number): number;
  _Z3_del_context(ctx: number): void;
  _set_noop_error_handler(ctx: number): void;
  ccall(name: string, ret: null, types: string[], args: (number | string)[]): void;
  ccall(name: string, ret: 'string', types: string[], args: (number | string)[]): string;
}

/** How the WASM build starts and runs checks (see the top of this file). */
export interface WasmStart {
  /** 'worker' (default): each check on z3-solver's worker thread; 'main': on the calling thread. */
  thread: 'worker' | 'main';
  /**
   * Validate the 35 MB module's functions when first called, not all at load (V8's
   * --wasm-lazy-validation; compilation is lazy already): about half of the load. The flag is
   * process-wide, which is why only the CLI, which owns its process, asks for it.
   */
  lazyValidation: boolean;
}

const start: WasmStart = { thread: 'worker', lazyValidation: false };

/** Sets how the WASM build runs; lazyValidation counts only before the module is first loaded. */
export function configureWasm(opts: Partial<WasmStart>): void {
  Object.assign(start, opts);
}

let modulePromise: Promise<Z3Module> | undefined;
let queue: Promise<unknown> = Promise.resolve();
/**
 * Sessions take the module in turn, as they take a native process: `:smt.*` and the seeds are
 * global parameters in this build too (read when a check builds its solver; get-option even reads
 * another context's :timeout), so a session whose evals interleaved with another's would check
 * under the other's options. This resolves when the current session closes.
 */
let lease: Promise<void> = Promise.resolve();

function z3(): Promise<Z3Module> {
  if (!modulePromise && start.lazyValidation) setFlagsFromString('--wasm-lazy-validation');
  modulePromise ??= import('z3-solver/build/z3-built.js').then((m) => m.default({}) as Promise<Z3Module>);
  return modulePromise;
}

export class WasmSession implements SmtSession {
  readonly backend = 'wasm';
  private prologue: string;
  private closed = false;

  private constructor(
    private readonly mod: Z3Module,
    private readonly ctx: number,
    private readonly opts: SessionOptions,
    private readonly release: () => void,
  ) {
    this.prologue = sessionPrologue(opts);
  }

  /** A fresh context: nothing of an earlier session is visible in it. */
  static async open(opts: SessionOptions = {}): Promise<WasmSession> {
    const mod = await z3();
    const before = lease;
    let release!: () => void;
    lease = new Promise((r) => (release = r));
    await before;
    // Made in turn with the queued calls, as close frees it: not while the worker runs one.
    const make = () => {
      const cfg = mod._Z3_mk_config();
      mod.ccall('Z3_set_param_value', null, ['number', 'string', 'string'], [cfg, 'model', 'true']);
      const ctx = mod._Z3_mk_context(cfg);
      // Errors come back as `(error ...)` in the script's output, where session.ts reads them.
      mod._set_noop_error_handler(ctx);
      mod._Z3_del_config(cfg);
      return ctx;
    };
    const made = queue.then(make, make);
    queue = made.catch(() => undefined);
    try {
      return new WasmSession(mod, await made, opts, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Evaluate SMT-LIB2 commands in this session; returns what Z3 printed. */
  eval(script: string, _opts?: EvalOptions): Promise<string> {
    // The WASM build cannot be stopped from outside: Z3's own :timeout is the only limit.
    // After close the context is freed: a late eval would run on freed memory.
    if (this.closed) return Promise.reject(new Error('eval on a closed solver session'));
    checkNoCores(script, this.opts);
    const text = this.prologue + script;
    this.prologue = '';
    const run = async () => {
      const em = this.mod;
      const bytes = new TextEncoder().encode(text);
      const ptr = em._malloc(bytes.length + 1);
      em.HEAPU8.set(bytes, ptr);
      em.HEAPU8[ptr + bytes.length] = 0;
      try {
        if (start.thread === 'main') return em.ccall('Z3_eval_smtlib2_string', 'string', ['number', 'number'], [this.ctx, ptr]);
        return await em.async_call(em._async_Z3_eval_smtlib2_string, this.ctx, ptr);
      } finally {
        em._free(ptr);
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Frees the context once the calls queued before are done: a context is freed from the main
   * thread, never while the worker thread may still run a call (of this session or another).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const free = () => this.mod._Z3_del_context(this.ctx);
    queue = queue.then(free, free);
    this.release();
  }
}
