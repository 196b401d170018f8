/**
 * What a short time budget ends with, on every generated family (src/generate) x machine x size:
 * how often the constructive pass alone finds a valid layout, and how often `pciplan assign
 * --timeout 1` ends with a layout (proven or not), says none exists, or runs out of time without one.
 *
 *   npm run bench:budget        (= npx tsx bench/budget.ts)
 *
 * PCIPLAN_BENCH_CLI=path/to/main.js runs another build's CLI (to measure before a change; the
 * constructive column, computed from this source, is then left out unless PCIPLAN_BENCH_PASS=1), PCIPLAN_BENCH_SEEDS=1,2,3 and PCIPLAN_BENCH_SIZES=64,256,1000
 * choose the domains, PCIPLAN_BENCH_BUDGET=1 the --timeout. Writes bench/results/budget.json (or
 * budget-<label>.json with PCIPLAN_BENCH_LABEL). Wall times depend on the machine: the counts are the
 * figure, the times only say how far past its budget a run ended.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constructiveLayout } from '../src/assign.js';
import { PciplanError } from '../src/errors.js';
import { FAMILIES, generateDomain, MACHINES, type GeneratedDomain } from '../src/generate/index.js';
import { parseDomain } from '../src/model/parseDomain.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = process.env.PCIPLAN_BENCH_CLI ?? join(HERE, '..', 'dist', 'src', 'cli', 'main.js');
const OWN = process.env.PCIPLAN_BENCH_CLI === undefined || process.env.PCIPLAN_BENCH_PASS === '1';
const SEEDS = (process.env.PCIPLAN_BENCH_SEEDS ?? '1,2,3').split(',').map(Number);
const SIZES = (process.env.PCIPLAN_BENCH_SIZES ?? '64,256,1000').split(',').map(Number);
const BUDGET = process.env.PCIPLAN_BENCH_BUDGET ?? '1';
const LABEL = process.env.PCIPLAN_BENCH_LABEL;
const tmp = mkdtempSync(join(tmpdir(), 'pciplan-budget-'));

type Assign = 'proven' | 'not proven' | 'no layout in budget' | 'no layout exists' | 'other error';
type Pass = 'valid' | 'none' | 'invalid' | 'refused';

function pass(g: GeneratedDomain): Pass {
  try {
    const r = constructiveLayout(parseDomain(g.xml, `${g.name}.xml`), g.policy);
    return !r.found ? 'none' : r.errors.length ? 'invalid' : 'valid';
  } catch (e) {
    if (e instanceof PciplanError) return 'refused';
    throw e;
  }
}

function assign(g: GeneratedDomain): { outcome: Assign; wallMs: number } {
  const file = join(tmp, `${g.name}.xml`);
  const policy = join(tmp, `${g.name}.policy.json`);
  writeFileSync(file, g.xml);
  writeFileSync(policy, JSON.stringify(g.policy));
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'assign', file, '--policy', policy, '--timeout', BUDGET, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, PCIPLAN_PROGRESS_AFTER_MS: 'off' } });
  const wallMs = performance.now() - start;
  if (r.status === 0) return { outcome: JSON.parse(r.stdout).proven ? 'proven' : 'not proven', wallMs };
  if (/no layout found within the time budget/.test(r.stderr)) return { outcome: 'no layout in budget', wallMs };
  if (/no layout exists/.test(r.stderr)) return { outcome: 'no layout exists', wallMs };
  return { outcome: 'other error', wallMs };
}

const rows: { family: string; machine: string; devices: number; seed: number; pass?: Pass; assign: Assign; wallMs: number }[] = [];
for (const family of FAMILIES) {
  for (const machine of MACHINES) {
    for (const devices of SIZES) {
      for (const seed of SEEDS) {
        let g: GeneratedDomain;
        try {
          g = generateDomain({ family, machine, devices, seed });
        } catch {
          continue; // a combination generate refuses (mixed on pc)
        }
        if (g.expect) continue; // past the PCI limits: no layout exists, counting proves it
        const a = assign(g);
        rows.push({ family, machine, devices, seed, ...(OWN ? { pass: pass(g) } : {}), assign: a.outcome, wallMs: Math.round(a.wallMs) });
        process.stderr.write(`${family} ${machine} ${devices} s${seed}: ${OWN ? `${rows.at(-1)!.pass}, ` : ''}${a.outcome} (${Math.round(a.wallMs)} ms)\n`);
      }
    }
  }
}

const count = <K extends string>(xs: K[]) => Object.fromEntries([...new Set(xs)].sort().map((k) => [k, xs.filter((x) => x === k).length]));
const bySize = Object.fromEntries(SIZES.map((n) => [n, count(rows.filter((r) => r.devices === n).map((r) => r.assign))]));
const walls = rows.map((r) => r.wallMs).sort((x, y) => x - y);
const summary = {
  cli: process.env.PCIPLAN_BENCH_CLI ?? 'this build',
  budgetS: Number(BUDGET),
  domains: rows.length,
  ...(OWN ? { constructivePass: count(rows.map((r) => r.pass!)) } : {}),
  assign: count(rows.map((r) => r.assign)),
  assignBySize: bySize,
  wallMs: { median: walls[Math.floor(walls.length / 2)], p90: walls[Math.floor(walls.length * 0.9)], max: walls.at(-1) },
};
mkdirSync(join(HERE, 'results'), { recursive: true });
writeFileSync(join(HERE, 'results', `budget${LABEL ? `-${LABEL}` : ''}.json`), `${JSON.stringify({ summary, rows }, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
