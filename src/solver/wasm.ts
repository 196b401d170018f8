// Z3 as the z3-solver WASM build, through its SMT-LIB2 front door. pciplan never creates Z3
// objects from JavaScript: every model is a script, sent with Z3_eval_smtlib2_string. That avoids
// the z3-solver 5.2 binding's garbage-collected objects, whose finalisers free Z3 terms from the
// main thread while a check runs on the worker thread (memory corruption after ~100 solves).
// The script is copied into WASM memory we own before the asynchronous call, because the binding
// passes strings on the WASM stack, which the next call from the main thread overwrites.
// Calls are queued: the module runs one asynchronous call at a time; contexts are made and freed
// in the same queue, and sessions hold the module in turn (lease, below). The module is loaded on the
// first session only (importing z3-solver costs tens of ms, its init() hundreds), once per process.
import { checkNoCores, sessionPrologue, type EvalOptions, type SessionOptions, type SmtSession } from './session.js';

type Z3Module = Awaited<ReturnType<typeof import('z3-solver').init>>;

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
  modulePromise ??= import('z3-solver').then((m) => m.init());
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
      const cfg = mod.Z3.mk_config();
      mod.Z3.set_param_value(cfg, 'model', 'true');
      const ctx = mod.Z3.mk_context(cfg);
      mod.Z3.del_config(cfg);
      return ctx as unknown as number;
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
      const em = this.mod.em as unknown as {
        _malloc(n: number): number;
        _free(p: number): void;
        HEAPU8: Uint8Array;
        async_call(f: unknown, ...args: number[]): Promise<string>;
        _async_Z3_eval_smtlib2_string: unknown;
      };
      const bytes = new TextEncoder().encode(text);
      const ptr = em._malloc(bytes.length + 1);
      em.HEAPU8.set(bytes, ptr);
      em.HEAPU8[ptr + bytes.length] = 0;
      try {
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
    const free = () => this.mod.Z3.del_context(this.ctx as never);
    queue = queue.then(free, free);
    this.release();
  }
}
