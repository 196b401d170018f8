// Runs CLI commands in a child process that keeps the built CLI loaded (cli-child.mjs): the same
// code path as `node dist/src/cli/main.js ARGS`, about a hundred times cheaper per run. Each run has
// a deadline; past it the child is killed and the run reported as a hang (nothing here measures how
// long a run took against a limit other than that kill). The child is replaced every `recycle` runs:
// the z3-solver WASM binding is known to go wrong after many solves in one process.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../helpers/corpus.js';

export const CLI_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');
const CHILD = join(REPO, 'test', 'fuzz', 'cli-child.mjs');

export interface RunResult {
  /** The exit code run() returned; null when the child was killed (hang) or died (crash). */
  code: number | null;
  stdout: string;
  stderr: string;
  hang?: boolean;
  /** The child died during the run (a signal or an exit of its own): what it said on stderr. */
  crash?: string;
}

interface Pending {
  resolve: (r: RunResult) => void;
  timer: NodeJS.Timeout;
}

export class CliPool {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private runs = 0;
  private nextId = 0;
  private pending = new Map<number, Pending>();
  private childStderr = '';

  constructor(
    private readonly killAfterMs: number,
    private readonly recycle = Number(process.env.PCIPLAN_FUZZ_RECYCLE ?? 40),
  ) {}

  private start(): Promise<void> {
    // No execArgv of the parent (vitest's loader flags and export conditions): the child runs as `node main.js` does.
    const child = fork(CHILD, [CLI_JS], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.child = child;
    this.childStderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      this.childStderr = (this.childStderr + d.toString('utf8')).slice(-4000);
    });
    this.ready = new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code, signal) => reject(new Error(`the CLI child exited before it was ready (${code ?? signal}): ${this.childStderr}`)));
    });
    child.on('message', (m: { id?: number; code: number; stdout: string; stderr: string }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(m.id);
      p.resolve({ code: m.code, stdout: m.stdout, stderr: m.stderr });
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.resolve({ code: null, stdout: '', stderr: '', crash: `the process ended (${signal ?? `exit ${code}`}): ${this.childStderr.trim().slice(-600)}` });
      }
    });
    return this.ready;
  }

  async run(argv: string[]): Promise<RunResult> {
    if (this.child && this.runs >= this.recycle) this.stop();
    if (!this.child) {
      this.runs = 0;
      await this.start();
    } else await this.ready;
    this.runs++;
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<RunResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ code: null, stdout: '', stderr: '', hang: true });
        this.kill(child);
      }, this.killAfterMs);
      this.pending.set(id, { resolve, timer });
      child.send({ id, argv });
    });
  }

  private kill(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    child.kill('SIGKILL');
  }

  stop(): void {
    if (this.child) this.kill(this.child);
  }
}
