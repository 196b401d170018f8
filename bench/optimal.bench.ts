/**
 * The optimal allocator on hard mixed domains (testkit/hardMixed.ts) of 16, 64 and 2,000 devices and
 * on the domain at the 256-bus limit (fixtures/hard/bus-limit.xml), against greedy on the same
 * inputs.
 *
 *   npm run bench:optimal        (= npx tsx bench/optimal.bench.ts)
 *
 * Solve time is what the targets speak of: building the count model and the Z3 search, measured
 * inside assignDomain (solveMs), median over repetitions after one warm-up solve (Z3's WASM module
 * and its worker thread start once per process: 0.2-1 s that a CLI call pays once and a service
 * never again). The whole assign (parse, greedy for libvirt's defaults, solve, decode, validate,
 * write) is timed with benny. Peak memory is the process's maximum resident set.
 *
 * Writes bench/results/optimal.json and the table between the markers in bench/README.md.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import b from 'benny';
import { assignDomain, type AssignResult } from '../src/assign.js';
import { PciplanError } from '../src/errors.js';
import { parseDomain } from '../src/model/parseDomain.js';
import type { Policy } from '../src/model/schemas.js';
import { hardMixed } from '../testkit/hardMixed.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPS = 9;

interface Input {
  name: string;
  devices: number;
  xml: string;
  policy: Policy;
  /** The target for the solve time, in ms. */
  targetMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 1) => Number(x.toFixed(d));

function inputs(): Input[] {
  const busLimit = readFileSync(join(HERE, '..', 'fixtures', 'hard', 'bus-limit.xml'), 'utf8');
  return [
    { name: 'hard mixed, 16 devices', ...hardMixed(16, 7), targetMs: 150 },
    { name: 'hard mixed, 64 devices', ...hardMixed(64, 7), targetMs: 150 },
    { name: '256-bus limit (253 hot-pluggable disks)', devices: 253, xml: busLimit, policy: {}, targetMs: 2000 },
    { name: 'hard mixed, 2,000 devices', ...hardMixed(2000, 7), targetMs: 5000 },
  ];
}

async function assign(input: Input, strategy: 'optimal' | 'greedy'): Promise<AssignResult | PciplanError> {
  try {
    return await assignDomain(parseDomain(input.xml, `${input.name}.xml`), { strategy, policy: input.policy, timeoutMs: 60_000 });
  } catch (e) {
    if (e instanceof PciplanError) return e;
    throw e;
  }
}

async function main(): Promise<void> {
  const all = inputs();
  await assign(all[0]!, 'optimal'); // warm-up: Z3 module and worker thread
  const rows = [];
  for (const input of all) {
    const solve: number[] = [];
    const total: number[] = [];
    let last: AssignResult | undefined;
    for (let i = 0; i < REPS; i++) {
      const r = await assign(input, 'optimal');
      if (r instanceof PciplanError) throw r;
      solve.push(r.solveMs);
      total.push(r.ms);
      last = r;
    }
    const g = await assign(input, 'greedy');
    const greedyTimes: number[] = [];
    for (let i = 0; i < REPS && !(g instanceof PciplanError); i++) {
      const r = await assign(input, 'greedy');
      if (!(r instanceof PciplanError)) greedyTimes.push(r.ms);
    }
    const o = last!;
    rows.push({
      input: input.name,
      devices: input.devices,
      optimal: {
        addedControllers: o.objective.addedControllers,
        busNumbers: o.objective.busNumbers,
        lowerBound: o.lowerBound,
        proven: o.proven,
        /** The canonical layout among the optima (encodings/canonical.ts), its tie-break finished. */
        canonical: o.canonical,
        solveMedianMs: round(median(solve)),
        solveSamplesMs: solve.map((x) => round(x)),
        assignMedianMs: round(median(total)),
      },
      greedy:
        g instanceof PciplanError
          ? { fails: g.message.replace(/^.*?: /, '') }
          : { addedControllers: g.objective.addedControllers, assignMedianMs: round(median(greedyTimes), 2) },
      targetSolveMs: input.targetMs,
      meetsTarget: median(solve) < input.targetMs && o.proven,
    });
    process.stderr.write(`${input.name}: solve ${round(median(solve))} ms (target < ${input.targetMs}), ${o.objective.addedControllers} controllers, proven ${o.proven}\n`);
  }

  // benny for the whole assign, as the greedy benchmark measures greedy.
  const summary = await b.suite(
    'pciplan optimal (parse + greedy + solve + decode + write)',
    b.configure({ cases: { minSamples: 5, maxTime: 4 } }),
    ...all.map((input) => b.add(input.name, async () => void (await assign(input, 'optimal')))),
    b.cycle(),
  );
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const result = {
    benchmark: 'pciplan optimal vs greedy',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    note: 'noisy 2-core machine; solve times are medians after one warm-up solve',
    peakMemoryMiB: round(peakMiB),
    sizes: rows.map((r, i) => ({ ...r, benny: { medianMs: round(summary.results[i]!.details.median * 1000, 1), samples: summary.results[i]!.samples } })),
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'optimal.json'), `${JSON.stringify(result, null, 2)}\n`);

  const table = [
    '| domain | devices | optimal: controllers (bus numbers) | proven | canonical | solve (search + tie-break), median ms | target | assign, median ms (benny) | greedy: controllers | greedy assign, ms | optimal ÷ greedy time |',
    '|---|---:|---:|:---:|:---:|---:|---:|---:|---:|---:|---:|',
    ...result.sizes.map((r) => {
      const greedy = 'fails' in r.greedy ? `fails (${r.greedy.fails!.slice(0, 60)}…)` : String(r.greedy.addedControllers);
      const gms = 'fails' in r.greedy ? '–' : r.greedy.assignMedianMs.toFixed(2);
      const ratio = 'fails' in r.greedy ? '–' : (r.benny.medianMs / r.greedy.assignMedianMs).toFixed(1);
      return `| ${r.input} | ${r.devices.toLocaleString('en')} | ${r.optimal.addedControllers} (${r.optimal.busNumbers}) | ${r.optimal.proven ? 'yes' : 'no'} | ${r.optimal.canonical ? 'yes' : 'no'} | ${r.optimal.solveMedianMs} | < ${r.targetSolveMs} | ${r.benny.medianMs} | ${greedy} | ${gms} | ${ratio} |`;
    }),
    '',
    `Peak memory (resident set, whole benchmark process): ${round(peakMiB)} MiB (target < 1 GiB).`,
  ].join('\n');
  const readmePath = join(HERE, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const block = `<!-- optimal:begin -->\n${table}\n<!-- optimal:end -->`;
  writeFileSync(readmePath, readme.includes('<!-- optimal:begin -->') ? readme.replace(/<!-- optimal:begin -->[\s\S]*<!-- optimal:end -->/, block) : `${readme.trimEnd()}\n\n## Optimal vs greedy (\`bench/optimal.bench.ts\`)\n\n${block}\n`);
  console.log(table);
}

await main();
