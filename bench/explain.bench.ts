/**
 * explain before and after, in one run: the CLI of a base revision (default `main`, or
 * $PCIPLAN_BENCH_BASE) is exported with `git archive` into a temporary directory and built there
 * (node_modules linked), then both CLIs explain the same infeasible domains, alternately, and the
 * median wall times and their ratio (this tree / base) are printed. The 260-device domain
 * (fixtures/infeasible/bus-exhaustion.xml) is the one the budget is set on: within 3x.
 *
 *   npm run bench:explain        (npx tsx bench/explain.bench.ts [REPS])
 *
 * Build this tree first (npx tsc -p tsconfig.json): the new CLI is dist/src/cli/main.js. Whole
 * process times (start-up, Z3's WebAssembly load) on a 2-core machine shared with others:
 * compare the ratio, not the seconds.
 */
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const BASE = process.env.PCIPLAN_BENCH_BASE ?? 'main';
const REPS = Number(process.argv[2] ?? 3);
const DOMAINS = ['fixtures/infeasible/bus-exhaustion.xml', 'fixtures/infeasible/numa-missing.xml', 'fixtures/infeasible/hotplug-no-full.xml'];
const EXTRA: Record<string, string[]> = { 'fixtures/infeasible/hotplug-no-full.xml': ['--policy', 'fixtures/infeasible/hotplug-no-full.policy.json'] };

function buildBase(): { dir: string; cli: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pciplan-bench-base-'));
  execSync(`git -C ${JSON.stringify(REPO)} archive ${BASE} | tar -x -C ${JSON.stringify(dir)}`);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  return { dir, cli: join(dir, 'dist', 'src', 'cli', 'main.js') };
}

function run(cli: string, domain: string): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, [cli, 'explain', join(REPO, domain), ...(EXTRA[domain] ?? []).map((a) => (a.startsWith('fixtures/') ? join(REPO, a) : a)), '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  // Both must answer "no layout" (exit 1) with JSON: a crash is not a time.
  if (r.status !== 1 || !JSON.parse(r.stdout).conflicts?.length) throw new Error(`${cli} on ${domain}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const now = join(REPO, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(now)) throw new Error('build this tree first: npx tsc -p tsconfig.json');
const base = buildBase();
try {
  const rev = execSync(`git -C ${JSON.stringify(REPO)} rev-parse --short ${BASE}`, { encoding: 'utf8' }).trim();
  console.log(`explain, median of ${REPS} runs each, alternating; base ${BASE} (${rev}) vs this tree`);
  console.log('DOMAIN                                    BASE MS   THIS MS   RATIO');
  for (const d of DOMAINS) {
    const old: number[] = [];
    const cur: number[] = [];
    for (let i = 0; i < REPS; i++) {
      old.push(run(base.cli, d));
      cur.push(run(now, d));
    }
    const [o, c] = [median(old), median(cur)];
    console.log(`${d.padEnd(40)}  ${o.toFixed(0).padStart(7)}   ${c.toFixed(0).padStart(7)}   ${(c / o).toFixed(2)}x`);
  }
} finally {
  rmSync(base.dir, { recursive: true, force: true });
}
