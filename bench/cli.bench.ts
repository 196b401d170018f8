/**
 * pciplan as a command in a VM-definition path: whole processes, against real libvirt's define +
 * dumpxml of the same domain.
 *
 *   npm run bench:cli        (= npx tsc -p tsconfig.json && npx tsx bench/cli.bench.ts)
 *
 * For each domain (fixtures/q35-workstation.xml; generated multifunction domains of 64 and 256
 * devices, which libvirt defines), one round runs, one after the other: libvirt (`virsh define;
 * dumpxml --inactive; undefine` in one virsh process on the embedded QEMU driver, pinned to CPU 0
 * as the oracle runs it, on its own embed root warmed once), `pciplan validate`, `pciplan assign
 * --strategy greedy`, and `pciplan assign` (optimal) with `--solver native` and `--solver wasm` (and
 * WASM once more with PCIPLAN_WASM_THREAD=worker, the library's way, to show what the CLI's
 * main-thread checks save),
 * each the built command (`node dist/cli/pciplan.js`, the bin, scripts/bundle.mjs; output to /dev/null). Rounds alternate the
 * commands so that a busy moment of the shared machine hits all of them alike; the figure is the
 * median wall time over rounds, and its ratio to libvirt's median. Peak memory: the maximum
 * resident set of the process (GNU time's %M); for --solver native, node's plus the z3 process's
 * (z3 run under GNU time through PCIPLAN_Z3).
 *
 * Then the solve time (model + Z3 search, assignDomain's solveMs) of the 2,000-device hard mixed
 * domain of bench/optimal.bench.ts, in process, with each backend: median of 5 after a warm-up.
 *
 * Writes bench/results/cli.json and the tables between the markers in bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assignDomain } from '../src/assign.js';
import { generateDomain } from '../src/generate/index.js';
import { parseDomain } from '../src/model/parseDomain.js';
import { QEMU_CONF, VIRSH_ENV, virshArgv } from '../src/oracle/libvirt.js';
import { nativeAvailable } from '../src/solver/backend.js';
import type { SolverChoice } from '../src/solver/session.js';
import { hardMixed } from '../testkit/hardMixed.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const CLI = join(REPO, 'dist', 'cli', 'pciplan.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const ROOT = process.env.BENCH_LIBVIRT_ROOT ?? '/var/tmp/pciplan-bench-libvirt';
const TIME = '/usr/bin/time';
const tmp = mkdtempSync(join(tmpdir(), 'pciplan-bench-cli-'));

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 1) => Number(x.toFixed(d));

interface Domain {
  name: string;
  file: string;
  domainName: string;
}

function domains(): Domain[] {
  const out: Domain[] = [{ name: 'q35-workstation (fixture, 19 functions)', file: join(REPO, 'fixtures', 'q35-workstation.xml'), domainName: '' }];
  for (const n of [64, 256]) {
    const g = generateDomain({ family: 'multifunction', machine: 'q35', devices: n, seed: 1 });
    const file = join(tmp, `${g.name}.xml`);
    writeFileSync(file, g.xml);
    out.push({ name: `generated multifunction, ${n} devices`, file, domainName: '' });
  }
  for (const d of out) d.domainName = /<name>([^<]+)<\/name>/.exec(readFileSync(d.file, 'utf8'))![1]!;
  return out;
}

interface Run {
  ms: number;
  rssKiB: number;
  code: number | null;
}

/** One whole process under GNU time: wall time from here, peak RSS from time. */
function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const rssFile = join(tmp, 'rss');
  rmSync(rssFile, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M', '-o', rssFile, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, rssKiB: Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()), code: r.status };
}

function libvirtCommand(d: Domain): string[] {
  const [cmd, args] = virshArgv(ROOT, `define ${d.file}; dumpxml --inactive ${d.domainName}; undefine ${d.domainName}`);
  return [cmd, ...args];
}

/**
 * pciplan's processes run without NODE_EXTRA_CA_CERTS: with it, Node reads and parses that CA
 * bundle when it starts, before any of pciplan's code (about 70 ms on this machine kind, which
 * sets it for its npm access); pciplan makes no TLS connection. The table says when it was set.
 */
const NODE_ENV: NodeJS.ProcessEnv = { ...process.env };
delete NODE_ENV.NODE_EXTRA_CA_CERTS;
const caCertsSet = process.env.NODE_EXTRA_CA_CERTS !== undefined;

type Kind = 'libvirt' | 'validate' | 'greedy' | 'native' | 'wasm' | 'wasm-worker';
const KINDS: Kind[] = ['libvirt', 'validate', 'greedy', 'native', 'wasm', 'wasm-worker'];
const LABEL: Record<Kind, string> = {
  libvirt: 'libvirt define + dumpxml',
  validate: 'pciplan validate',
  greedy: 'pciplan assign --strategy greedy',
  native: 'pciplan assign (optimal), native z3',
  wasm: 'pciplan assign (optimal), WASM z3',
  'wasm-worker': 'the same, checks on the worker thread (PCIPLAN_WASM_THREAD=worker)',
};
/** The issue's targets: pciplan ÷ libvirt. */
const TARGET: Partial<Record<Kind, number>> = { validate: 1.5, greedy: 1.5, native: 2, wasm: 5 };

function argvOf(kind: Kind, d: Domain): string[] {
  switch (kind) {
    case 'libvirt':
      return libvirtCommand(d);
    case 'validate':
      return [process.execPath, CLI, 'validate', d.file];
    case 'greedy':
      return [process.execPath, CLI, 'assign', d.file, '--strategy', 'greedy'];
    case 'native':
    case 'wasm':
      return [process.execPath, CLI, 'assign', d.file, '--solver', kind];
    case 'wasm-worker':
      return [process.execPath, CLI, 'assign', d.file, '--solver', 'wasm'];
  }
}

/** The environment of a kind's processes. */
function envOf(kind: Kind): NodeJS.ProcessEnv {
  if (kind === 'libvirt') return VIRSH_ENV;
  return kind === 'wasm-worker' ? { ...NODE_ENV, PCIPLAN_WASM_THREAD: 'worker' } : NODE_ENV;
}

/** z3's own peak RSS in one native run: z3 started under GNU time through PCIPLAN_Z3. */
function z3PeakKiB(d: Domain, z3: string): number {
  const out = join(tmp, 'z3-rss');
  const wrapper = join(tmp, 'z3-timed');
  // Not exec: pciplan kills this shell at exit, time and z3 end when z3 reads the end of its input.
  writeFileSync(wrapper, `#!/bin/sh\n${TIME} -f %M -o ${out} ${z3} "$@"\n`);
  chmodSync(wrapper, 0o755);
  rmSync(out, { force: true });
  run(argvOf('native', d), { ...NODE_ENV, PCIPLAN_Z3: wrapper });
  // GNU time creates its -o file when it starts and writes the figure when z3 has ended.
  const figure = () => (existsSync(out) ? readFileSync(out, 'utf8').trim() : '');
  for (let i = 0; i < 100 && !figure(); i++) spawnSync('sleep', ['0.05']);
  // Two native processes when explain runs; one here. The last line is the figure.
  return figure() ? Number(figure().split('\n').pop()) : NaN;
}

async function solveTimes(): Promise<Record<'native' | 'wasm', { medianMs: number; samplesMs: number[]; added: number; proven: boolean }>> {
  const input = hardMixed(2000, 7);
  const out = {} as Record<'native' | 'wasm', { medianMs: number; samplesMs: number[]; added: number; proven: boolean }>;
  for (const solver of ['native', 'wasm'] as const satisfies SolverChoice[]) {
    const once = () => assignDomain(parseDomain(input.xml, 'hard-mixed-2000.xml'), { strategy: 'optimal', policy: input.policy, timeoutMs: 60_000, solver });
    await once(); // warm-up: the process or the WASM module and its worker
    const samples: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await once();
      samples.push(last.solveMs);
    }
    out[solver] = { medianMs: round(median(samples)), samplesMs: samples.map((x) => round(x)), added: last!.objective.addedControllers, proven: last!.proven };
    process.stderr.write(`2,000 devices, ${solver}: solve ${round(median(samples))} ms\n`);
  }
  return out;
}

async function main(): Promise<void> {
  const native = await nativeAvailable();
  if (!native) throw new Error('bench:cli needs a native z3 (apt-get install z3)');
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  mkdirSync(join(ROOT, 'etc'), { recursive: true });
  writeFileSync(join(ROOT, 'etc', 'qemu.conf'), QEMU_CONF);
  const all = domains();
  const loadBefore = loadavg()[0]!;
  // Warm-up: libvirt's capability probe of the fresh root (seconds, once), Node's and the OS caches.
  for (const d of all) for (const k of KINDS) {
    const r = run(argvOf(k, d), envOf(k));
    if (r.code !== 0) throw new Error(`${LABEL[k]} on ${d.name} exits ${r.code}`);
  }
  const samples = new Map<string, Run[]>();
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    for (const d of all) {
      for (const k of KINDS) {
        const key = `${d.name}|${k}`;
        samples.set(key, [...(samples.get(key) ?? []), run(argvOf(k, d), envOf(k))]);
      }
    }
    process.stderr.write(`round ${round_ + 1}/${ROUNDS}\n`);
  }
  const rows = all.flatMap((d) => {
    const z3KiB = z3PeakKiB(d, native.path);
    const lib = samples.get(`${d.name}|libvirt`)!;
    const libMs = median(lib.map((r) => r.ms));
    const libRss = median(lib.map((r) => r.rssKiB));
    return KINDS.map((k) => {
      const runs = samples.get(`${d.name}|${k}`)!;
      const ms = median(runs.map((r) => r.ms));
      const rss = median(runs.map((r) => r.rssKiB)) + (k === 'native' ? z3KiB : 0);
      return {
        domain: d.name,
        command: LABEL[k],
        kind: k,
        medianMs: round(ms),
        samplesMs: runs.map((r) => round(r.ms)),
        timeRatio: round(ms / libMs, 2),
        target: TARGET[k],
        meetsTarget: TARGET[k] === undefined ? undefined : ms / libMs <= TARGET[k]!,
        peakMiB: round(rss / 1024),
        memoryRatio: round(rss / libRss, 2),
        ...(k === 'native' ? { z3PeakMiB: round(z3KiB / 1024) } : {}),
      };
    });
  });
  const loadAfter = loadavg()[0]!;
  const solve = await solveTimes();
  const result = {
    benchmark: 'pciplan CLI vs libvirt define + dumpxml, whole processes',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, z3: native.version, nodeExtraCaCertsUnset: caCertsSet },
    rounds: ROUNDS,
    loadAverage: { before: round(loadBefore, 1), after: round(loadAfter, 1) },
    rows,
    solve2000: solve,
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'cli.json'), `${JSON.stringify(result, null, 2)}\n`);

  const table = [
    `Medians of ${ROUNDS} alternating rounds, z3 ${native.version}, Node ${process.version}, ${cpus().length} shared vCPUs (1-minute load average ${round(loadBefore, 1)} before the rounds, ${round(loadAfter, 1)} after).${caCertsSet ? ' pciplan ran without the NODE_EXTRA_CA_CERTS this machine sets (with it, Node alone takes about 70 ms more to start: see bench/cli.bench.ts).' : ''}`,
    '',
    '| domain | command | wall, median ms | ÷ libvirt | target | peak memory, MiB | ÷ libvirt |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.domain} | ${r.command} | ${r.medianMs} | ${r.kind === 'libvirt' ? '1' : r.timeRatio.toFixed(2)} | ${r.target === undefined ? '' : `≤ ${r.target} ${r.meetsTarget ? '(met)' : '(missed)'}`} | ${r.peakMiB}${r.z3PeakMiB !== undefined ? ` (z3 ${r.z3PeakMiB})` : ''} | ${r.kind === 'libvirt' ? '1' : r.memoryRatio.toFixed(2)} |`,
    ),
    '',
    `Solve time of the 2,000-device hard mixed domain (bench/optimal.bench.ts's, in process, median of 5 after a warm-up): native z3 ${solve.native.medianMs} ms, WASM ${solve.wasm.medianMs} ms (${round(solve.wasm.medianMs / solve.native.medianMs, 1)}x); ${solve.native.added} controllers, proven ${solve.native.proven && solve.wasm.proven ? 'by both' : 'not by both'}.`,
  ].join('\n');
  const readmePath = join(HERE, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const block = `<!-- cli:begin -->\n${table}\n<!-- cli:end -->`;
  writeFileSync(readmePath, readme.includes('<!-- cli:begin -->') ? readme.replace(/<!-- cli:begin -->[\s\S]*<!-- cli:end -->/, block) : `${readme.trimEnd()}\n\n${block}\n`);
  console.log(table);
  rmSync(tmp, { recursive: true, force: true });
}

await main();
