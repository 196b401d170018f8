/**
 * Greedy, optimal and real libvirt on every generated family (src/generate) from 16 to 4,000
 * devices on q35: the figures behind "optimal costs this much time and saves this many controllers,
 * and here libvirt gives up where pciplan finds a layout or proves there is none".
 *
 *   npm run bench:families      (= npx tsx bench/families.bench.ts; npm run bench runs every suite)
 *
 * Per family and size, SEEDS domains are generated, and each is placed by each strategy (outcome:
 * controllers added, hints broken, proven or infeasible, libvirt's verdict) and timed: greedy and
 * optimal in process with benny (median of its samples; the optimal time is the whole assign:
 * parse, greedy for libvirt's defaults, model, Z3, decode, validate, and the minimised conflict
 * when there is no layout), libvirt as `defineBatch([xml])` (one virsh process: define + dumpxml
 * + undefine, including virsh's start-up), median of LIBVIRT_REPS. A cell's time is the median
 * over its seeds of those medians (greedy's over the seeds it places).
 *
 * Writes bench/results/families.json and the table between the families markers in
 * bench/README.md; bench/plot.ts draws the SVG figures from the JSON.
 * This machine has 2 cores and noisy neighbours: compare ratios, not absolute times.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import b from 'benny';
import { assignDomain, type AssignResult } from '../src/assign.js';
import { ConflictError, PciplanError } from '../src/errors.js';
import { FAMILIES, generateDomain, type Family } from '../src/generate/index.js';
import { parseDomain } from '../src/model/parseDomain.js';
import type { Policy } from '../src/model/schemas.js';
import { defineBatch, libvirtAvailable, libvirtUnavailableReason } from '../src/oracle/libvirt.js';
import { libvirtPlan } from '../src/oracle/libvirtPlan.js';
import { brokenRequirements } from '../src/validate/validateDomain.js';
import { progressBar } from './progress.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.PCIPLAN_BENCH_SIZES ?? '16,64,256,1000,4000').split(',').map(Number);
const SEEDS = [1, 2, 3];
const LIBVIRT_REPS = 3;
const TIMEOUT_MS = 120_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 1) => Number(x.toFixed(d));
/** A failure message without the file name in front, shortened for a table. */
const reason = (message: string) => message.replace(/^[^:]*\.xml: /, '');

type Outcome =
  | { ok: true; addedControllers: number; busNumbers: number; hintsBroken: number; proven: boolean }
  | { ok: false; error: string; infeasibleProven?: boolean };

async function place(xml: string, name: string, strategy: 'greedy' | 'optimal', policy: Policy): Promise<{ outcome: Outcome; result?: AssignResult }> {
  try {
    const r = await assignDomain(parseDomain(xml, `${name}.xml`), { strategy, policy, timeoutMs: TIMEOUT_MS });
    const hintsBroken = brokenRequirements(r.domain, policy).length;
    return { outcome: { ok: true, addedControllers: r.objective.addedControllers, busNumbers: r.objective.busNumbers, hintsBroken, proven: r.proven }, result: r };
  } catch (e) {
    if (!(e instanceof PciplanError)) throw e;
    // An optimal "no layout" is a proof (Z3's unsat, minimised), unless the budget ran out first.
    const infeasibleProven = strategy === 'optimal' && e instanceof ConflictError;
    return { outcome: { ok: false, error: reason(e.message), ...(strategy === 'optimal' ? { infeasibleProven } : {}) } };
  }
}

/** The domain without pciplan's hints: what libvirt is asked, and so what greedy's count answers. */
const withoutHints = (xml: string) => xml.replace(/\s*<metadata>\s*<pciplan:placement[^]*?<\/pciplan:placement>\s*<\/metadata>/, '');

/** benny's median for one case, in ms; its "Running…" chatter is kept off the progress bar. */
async function bennyMedian(name: string, fn: () => Promise<unknown>, slow: boolean): Promise<{ medianMs: number; samples: number }> {
  const log = console.log;
  console.log = () => {};
  try {
    const summary = await b.suite(name, b.configure({ cases: { minSamples: slow ? 3 : 5, maxTime: slow ? 0.5 : 1 } }), b.add(name, fn));
    const r = summary.results[0]!;
    return { medianMs: round(r.details.median * 1000, 2), samples: r.samples };
  } finally {
    console.log = log;
  }
}

interface Cell {
  family: Family;
  devices: number;
  machine: 'q35';
  names: string[];
  greedy: { outcomes: Outcome[]; medianMs?: number; perSeedMs: (number | null)[] };
  optimal: { outcomes: Outcome[]; medianMs: number; perSeedMs: number[]; solveMs?: number };
  /** Optimal asked only what libvirt is asked (no hints, no policy), where greedy gives a layout. */
  optimalAsLibvirt: (Outcome | null)[];
  libvirt?: { outcomes: Outcome[]; medianMs: number; perSeedMs: number[] };
}

async function main(): Promise<void> {
  const withLibvirt = libvirtAvailable();
  if (!withLibvirt) process.stderr.write(`bench: libvirt column skipped: ${libvirtUnavailableReason()}\n`);
  const cells: Cell[] = [];
  const bar = progressBar(FAMILIES.length * SIZES.length, 'families');
  // Warm-up: Z3's WASM module and worker start once per process.
  await place(generateDomain({ family: 'mixed', machine: 'q35', devices: 16, seed: 1 }).xml, 'warm-up', 'optimal', {});
  for (const family of FAMILIES) {
    for (const devices of SIZES) {
      bar.step(`${family} ${devices}`);
      const domains = SEEDS.map((seed) => generateDomain({ family, machine: 'q35', devices, seed }));
      const names = domains.map((d, i) => `${family}-${devices}-s${SEEDS[i]}`);
      const greedy: Outcome[] = [];
      const optimal: Outcome[] = [];
      const optimalAsLibvirt: (Outcome | null)[] = [];
      let solveMs: number | undefined;
      for (const [i, d] of domains.entries()) {
        greedy.push((await place(d.xml, names[i]!, 'greedy', d.policy)).outcome);
        const o = await place(d.xml, names[i]!, 'optimal', d.policy);
        optimal.push(o.outcome);
        if (i === 0 && o.result) solveMs = round(o.result.solveMs);
        optimalAsLibvirt.push(greedy[i]!.ok ? (await place(withoutHints(d.xml), `${names[i]!}-as-libvirt`, 'optimal', {})).outcome : null);
      }
      const slow = devices >= 1000;
      const greedyMs: (number | null)[] = [];
      const optimalMs: number[] = [];
      for (const [i, d] of domains.entries()) {
        greedyMs.push(greedy[i]!.ok ? (await bennyMedian(`greedy ${names[i]}`, () => place(d.xml, names[i]!, 'greedy', d.policy), slow)).medianMs : null);
        optimalMs.push((await bennyMedian(`optimal ${names[i]}`, () => place(d.xml, names[i]!, 'optimal', d.policy), slow)).medianMs);
      }
      const placedMs = greedyMs.filter((x): x is number => x !== null);
      const cell: Cell = {
        family,
        devices,
        machine: 'q35',
        names,
        greedy: { outcomes: greedy, perSeedMs: greedyMs, ...(placedMs.length ? { medianMs: round(median(placedMs), 2) } : {}) },
        optimal: { outcomes: optimal, perSeedMs: optimalMs, medianMs: round(median(optimalMs), 2), ...(solveMs !== undefined ? { solveMs } : {}) },
        optimalAsLibvirt,
      };
      if (withLibvirt) {
        const parsed = domains.map((d, i) => parseDomain(d.xml, `${names[i]}.xml`));
        const plans = await libvirtPlan(parsed);
        const outcomes: Outcome[] = plans.map((p, i) => {
          if (!p.ok) return { ok: false, error: p.error };
          const hintsBroken = brokenRequirements(p.domain, domains[i]!.policy).length;
          return { ok: true, addedControllers: p.objective.addedControllers, busNumbers: p.objective.busNumbers, hintsBroken, proven: false };
        });
        const perSeedMs: number[] = [];
        for (const d of domains) {
          const times: number[] = [];
          for (let k = 0; k < LIBVIRT_REPS; k++) {
            const t = performance.now();
            await defineBatch([d.xml]);
            times.push(performance.now() - t);
          }
          perSeedMs.push(round(median(times), 2));
        }
        cell.libvirt = { outcomes, medianMs: round(median(perSeedMs), 2), perSeedMs };
      }
      cells.push(cell);
    }
  }
  bar.done();

  const versions = withLibvirt ? `${execFileSync('virsh', ['--version'], { encoding: 'utf8' }).trim()}` : 'not installed';
  const result = {
    benchmark: 'greedy vs optimal vs real libvirt over generated families (q35)',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, libvirt: versions },
    seeds: SEEDS,
    note: 'one run on a noisy 2-core machine: compare ratios; a time is the median over the seeds of per-seed medians',
    cells,
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'families.json'), `${JSON.stringify(result, null, 2)}\n`);
  const table = familiesTable(result.cells, result.machine);
  const readmePath = join(HERE, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const block = `<!-- families:begin -->\n${table}\n<!-- families:end -->`;
  writeFileSync(readmePath, readme.replace(/<!-- families:begin -->[\s\S]*<!-- families:end -->/, block));
  console.log(table);
}

/** What a strategy did over the seeds of a cell, for a table cell: "12", "12-14", "fails (3/3)". */
function controllers(outcomes: Outcome[]): string {
  const ok = outcomes.filter((o): o is Extract<Outcome, { ok: true }> => o.ok).map((o) => o.addedControllers);
  if (ok.length === 0) return `fails`;
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  const range = lo === hi ? String(lo) : `${lo} to ${hi}`;
  return ok.length < outcomes.length ? `${range}; fails ${outcomes.length - ok.length}/${outcomes.length}` : range;
}

function familiesTable(cells: Cell[], machine: { cpus: number; cpu: string; node: string; libvirt: string }): string {
  const rows = cells.map((c) => {
    const n = c.optimal.outcomes.length;
    const okOpt = c.optimal.outcomes.filter((o) => o.ok);
    const proven = okOpt.filter((o) => o.ok && o.proven).length;
    const infeasible = c.optimal.outcomes.filter((o) => !o.ok && o.infeasibleProven).length;
    // A saving counts only against the same requirements: libvirt's (no hints, no policy).
    const saved = c.greedy.outcomes.flatMap((g, i) => {
      const o = c.optimalAsLibvirt[i];
      return g.ok && o?.ok ? [g.addedControllers - o.addedControllers] : [];
    });
    const hintsBroken = c.greedy.outcomes.reduce((s, g) => s + (g.ok ? g.hintsBroken : 0), 0);
    const notes: string[] = [];
    const greedyFails = c.greedy.outcomes.filter((g, i) => !g.ok && c.optimal.outcomes[i]!.ok).length;
    const libvirtFails = c.libvirt ? c.libvirt.outcomes.filter((g, i) => !g.ok && c.optimal.outcomes[i]!.ok).length : 0;
    if (greedyFails) notes.push(`greedy fails, optimal places: ${greedyFails}/${n}`);
    if (libvirtFails) notes.push(`libvirt fails, optimal places: ${libvirtFails}/${n}`);
    if (infeasible) notes.push(`no layout exists, proven: ${infeasible}/${n}`);
    if (hintsBroken) notes.push(`greedy breaks ${hintsBroken} hints or spares`);
    const gms = c.greedy.medianMs;
    const ratio = gms ? round(c.optimal.medianMs / gms, 1) : undefined;
    return [
      c.family,
      c.devices.toLocaleString('en'),
      gms === undefined ? '–' : String(gms),
      String(c.optimal.medianMs),
      ratio === undefined ? '–' : String(ratio),
      c.libvirt ? String(c.libvirt.medianMs) : '–',
      controllers(c.greedy.outcomes),
      c.libvirt ? controllers(c.libvirt.outcomes) : '–',
      controllers(c.optimal.outcomes),
      saved.length ? (Math.min(...saved) === Math.max(...saved) ? String(saved[0]) : `${Math.min(...saved)} to ${Math.max(...saved)}`) : '–',
      okOpt.length ? `${proven}/${okOpt.length}` : '–',
      notes.join('; ') || '',
    ];
  });
  return [
    '| family | devices | greedy ms | optimal ms | optimal ÷ greedy | libvirt ms | controllers: greedy | libvirt | optimal | saved at libvirt\'s requirements | proven optimal | where one fails and optimal does not, requirements broken |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `${machine.libvirt === 'not installed' ? 'libvirt not installed' : `libvirt ${machine.libvirt}`}, Node ${machine.node}, ${machine.cpus} × ${machine.cpu}, ${new Date().toISOString().slice(0, 10)}.`,
  ].join('\n');
}

await main();
