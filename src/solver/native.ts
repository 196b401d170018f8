// Z3 as a native `z3 -in -smt2` process: the same SMT-LIB2 text as the WASM build, 10-25x faster
// to start and to answer. One process serves a whole pciplan run; each session begins with
// `(reset)` and the option defaults (session.ts), so a check sees nothing of the checks before it.
// Each request ends with an `(echo SENTINEL)`: what z3 prints up to the sentinel is the answer.
// z3 is trusted for nothing else: a process that exits, prints no sentinel, prints outside a
// request, or overruns its own :timeout by the margin below is killed, and every later request
// fails (SolverFailure); backend.ts gives the next session a new process.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { checkNoCores, sessionPrologue, SolverFailure, type EvalOptions, type SessionOptions, type SmtSession } from './session.js';

/** The oldest z3 pciplan runs: Debian 12's and Ubuntu 22.04's, the oldest tested (CI installs it). */
export const MIN_Z3_VERSION: readonly [number, number, number] = [4, 8, 12];

/** A request without its own :timeout gets this long before z3 is called hung. */
const DEFAULT_LIMIT_MS = 120_000;
/** z3 reaches its own :timeout late on a loaded machine: kill only well past it. */
const killAfter = (timeoutMs: number) => timeoutMs + 2_000 + timeoutMs / 4;

/** Where a native z3 is: $PCIPLAN_Z3 (explicit), else `z3` on $PATH; undefined when none. */
export function findZ3(env: NodeJS.ProcessEnv = process.env): { path: string; explicit: boolean } | undefined {
  if (env.PCIPLAN_Z3) return { path: env.PCIPLAN_Z3, explicit: true };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, 'z3');
    try {
      accessSync(path, constants.X_OK);
      return { path, explicit: false };
    } catch {
      // not here
    }
  }
  return undefined;
}

export function parseVersion(out: string): [number, number, number] | undefined {
  const m = /^\(:version "(\d+)\.(\d+)\.(\d+)[^"]*"\)$/.exec(out.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

const atLeast = (v: readonly number[], min: readonly number[]) => {
  for (let i = 0; i < min.length; i++) if (v[i]! !== min[i]!) return v[i]! > min[i]!;
  return true;
};

const running = new Set<ChildProcessWithoutNullStreams>();
const killRunning = () => {
  for (const c of running) c.kill('SIGKILL');
};

interface Pending {
  sentinel: string;
  resolve: (out: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One z3 process and the requests it answers, one at a time. */
export class Z3Process {
  private buffer = '';
  private pending: Pending | undefined;
  private failure: SolverFailure | undefined;
  private stderr = '';
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Sessions take the process in turn; this resolves when the current one closes. */
  private lease: Promise<void> = Promise.resolve();
  version = '';

  private constructor(
    readonly path: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => this.onData(s));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-500);
    });
    child.on('error', (e) => this.fail(`${path} cannot run: ${e.message}`));
    child.on('exit', (code, signal) => {
      const why = this.stderr.trim().split('\n').pop();
      this.fail(`${path} exited (${signal ? `signal ${signal}` : `code ${code}`})${why ? `: ${why}` : ''}`);
    });
    child.stdin.on('error', () => undefined); // EPIPE after an exit; 'exit' reports it
    this.idle();
    running.add(child);
    child.on('exit', () => running.delete(child));
    // z3 exits on the end of its input; a pciplan that exits mid-check must not leave it running.
    if (running.size === 1 && !process.listeners('exit').includes(killRunning)) process.on('exit', killRunning);
  }

  /** Starts z3 and checks that it is a z3 pciplan supports. */
  static async start(path: string): Promise<Z3Process> {
    const child = spawn(path, ['-in', '-smt2'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new Z3Process(path, child);
    const out = await p.request('(get-info :version)\n', 10_000);
    const v = parseVersion(out);
    if (!v) {
      p.kill();
      throw new SolverFailure(`${path} does not answer as z3 does (get-info :version gave ${JSON.stringify(out.trim().slice(0, 80))})`);
    }
    p.version = v.join('.');
    if (!atLeast(v, MIN_Z3_VERSION)) {
      p.kill();
      throw new SolverFailure(`${path} is z3 ${p.version}; pciplan needs ${MIN_Z3_VERSION.join('.')} or newer`);
    }
    return p;
  }

  get alive(): boolean {
    return !this.failure;
  }

  /** Sends `text` and resolves with what z3 printed for it; SolverFailure if z3 fails. */
  request(text: string, limitMs: number): Promise<string> {
    const run = () =>
      new Promise<string>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        const sentinel = `@@pciplan-${++this.seq}@@`;
        const timer = setTimeout(() => {
          this.fail(`${this.path} did not answer within ${(limitMs / 1000).toFixed(1)} s: killed`);
          this.child.kill('SIGKILL');
        }, limitMs);
        this.pending = { sentinel, resolve, reject, timer };
        this.busy();
        this.child.stdin.write(`${text}\n(echo "${sentinel}")\n`);
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Exclusive use of the process until the returned release is called. */
  async acquire(): Promise<() => void> {
    const before = this.lease;
    let release!: () => void;
    this.lease = new Promise((r) => (release = r));
    await before;
    return release;
  }

  kill(): void {
    this.fail(`${this.path} was stopped`);
    this.child.kill('SIGKILL');
  }

  private onData(s: string): void {
    this.buffer += s;
    const p = this.pending;
    // z3 prints only in answer to a request, and nothing after its sentinel: output outside a
    // request is an answer out of step (it would be read as the next request's), so z3 is stopped.
    if (!p) return this.stray();
    const at = this.buffer.indexOf(`${p.sentinel}\n`);
    if (at < 0 || (at > 0 && this.buffer[at - 1] !== '\n')) return;
    const out = this.buffer.slice(0, at);
    this.buffer = this.buffer.slice(at + p.sentinel.length + 1);
    this.settle().resolve(out);
    if (this.buffer !== '') this.stray();
  }

  private stray(): void {
    this.fail(`${this.path} printed outside any request (${JSON.stringify(this.buffer.slice(0, 80))}): stopped`);
    this.child.kill('SIGKILL');
  }

  private settle(): Pending {
    const p = this.pending!;
    clearTimeout(p.timer);
    this.pending = undefined;
    this.idle();
    return p;
  }

  private fail(message: string): void {
    this.failure ??= new SolverFailure(message);
    if (this.pending) this.settle().reject(this.failure);
  }

  /** While a request runs, the pipes keep Node alive; idle, z3 must not keep pciplan from exiting. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stderr as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }
}

export class NativeSession implements SmtSession {
  readonly backend = 'native';
  private prologue: string;
  private closed = false;

  private constructor(
    private readonly proc: Z3Process,
    private readonly release: () => void,
    private readonly opts: SessionOptions,
  ) {
    this.prologue = `(reset)\n${sessionPrologue(opts)}`;
  }

  /** `proc` must be the process for `opts.unsatCores` (backend.ts keeps one per state). */
  static async open(proc: Z3Process, opts: SessionOptions = {}): Promise<NativeSession> {
    const release = await proc.acquire();
    return new NativeSession(proc, release, opts);
  }

  eval(script: string, opts?: EvalOptions): Promise<string> {
    // After close another session owns the process: a late eval would run in its state.
    if (this.closed) return Promise.reject(new Error('eval on a closed solver session'));
    checkNoCores(script, this.opts);
    const text = this.prologue + script;
    this.prologue = '';
    return this.proc.request(text, opts?.timeoutMs !== undefined ? killAfter(opts.timeoutMs) : DEFAULT_LIMIT_MS);
  }

  get path(): string {
    return this.proc.path;
  }

  /** Ends the process: after a failure, nothing it prints can be trusted. */
  stop(): void {
    this.proc.kill();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}
