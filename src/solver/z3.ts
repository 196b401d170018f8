// Z3 through its SMT-LIB2 front door. pciplan never creates Z3 objects from JavaScript: every
// model is a script, sent with Z3_eval_smtlib2_string. That avoids the z3-solver 5.2 binding's
// garbage-collected objects, whose finalisers free Z3 terms from the main thread while a check
// runs on the worker thread (memory corruption after ~100 solves, reference encoding-notes.md).
// The script is copied into WASM memory we own before the asynchronous call, because the binding
// passes strings on the WASM stack, which the next call from the main thread overwrites.
// Calls are queued: the module runs one asynchronous call at a time.
import { init } from 'z3-solver';

type Z3Module = Awaited<ReturnType<typeof init>>;

let modulePromise: Promise<Z3Module> | undefined;
let queue: Promise<unknown> = Promise.resolve();

function z3(): Promise<Z3Module> {
  modulePromise ??= init();
  return modulePromise;
}

export class SmtSession {
  private constructor(
    private readonly mod: Z3Module,
    private readonly ctx: number,
  ) {}

  static async open(): Promise<SmtSession> {
    const mod = await z3();
    const cfg = mod.Z3.mk_config();
    mod.Z3.set_param_value(cfg, 'model', 'true');
    const ctx = mod.Z3.mk_context(cfg);
    mod.Z3.del_config(cfg);
    return new SmtSession(mod, ctx as unknown as number);
  }

  /** Evaluate SMT-LIB2 commands in this session; returns what Z3 printed. */
  eval(script: string): Promise<string> {
    const run = async () => {
      const em = this.mod.em as unknown as {
        _malloc(n: number): number;
        _free(p: number): void;
        HEAPU8: Uint8Array;
        async_call(f: unknown, ...args: number[]): Promise<string>;
        _async_Z3_eval_smtlib2_string: unknown;
      };
      const bytes = new TextEncoder().encode(script);
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

  close(): void {
    this.mod.Z3.del_context(this.ctx as never);
  }
}
