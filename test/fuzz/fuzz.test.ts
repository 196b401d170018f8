// The seeded mutation fuzzer (issue "Reliability", Acceptance). Every mutant is a seed document
// (seeds.ts) changed 1-3 times (mutate.ts), drawn from the project's one PRNG with (seed, index), so
// a failure names both and replays exactly:
//   PCIPLAN_FUZZ_SEED=S PCIPLAN_FUZZ_ONLY=I[,J...] npx vitest run test/fuzz/fuzz.test.ts
// Each mutant goes through validate, assign (optimal and greedy), explain and show in a child
// process that keeps the built CLI loaded (cliPool.ts: the CLI's own run(), no process per run);
// every 50th mutant also runs validate, greedy and show as real processes, which must behave the
// same. What each run must do is in check.ts. Settings: PCIPLAN_FUZZ_COUNT (default 300),
// PCIPLAN_FUZZ_SEED (default 1), PCIPLAN_FUZZ_KILL_S (the deadline of one run, default 120 s: far
// above any real run; only a hang reaches it), PCIPLAN_FUZZ_LOG (a JSON line per mutant),
// PCIPLAN_FUZZ_SAVE (a directory for the failing mutants), PCIPLAN_FUZZ_RECYCLE (runs per CLI child,
// default 40). Build first (npx tsc -p tsconfig.json).
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mix, Rng } from '../../src/generate/prng.js';
import { pciplan } from '../helpers/cli.js';
import { HAVE_CORPUS, IN_CI } from '../helpers/corpus.js';
import { argvFor, checkInput, contractFailures, errorLines, type Failure, type Outcome } from './check.js';
import { CliPool } from './cliPool.js';
import { mutate } from './mutate.js';
import { fuzzSeeds } from './seeds.js';

const env = process.env;
const SEED = Number(env.PCIPLAN_FUZZ_SEED ?? 1);
const COUNT = Number(env.PCIPLAN_FUZZ_COUNT ?? 300);
const ONLY = env.PCIPLAN_FUZZ_ONLY ? env.PCIPLAN_FUZZ_ONLY.split(',').map(Number) : undefined;
const KILL_MS = Number(env.PCIPLAN_FUZZ_KILL_S ?? 120) * 1000;
/** --timeout of assign and explain: a bounded search; any outcome of it is checked the same way. */
const TIMEOUT_S = 5;
const BLOCK = 20;
const SPAWN_EVERY = 50;
/** Runs per mutant at most: five commands, validate on two outputs, three spawned. */
const RUNS_PER_MUTANT = 10;

/** Policy flags a mutant is planned with (most often none); validate of the output gets the same. */
const POLICIES: string[][] = [['--hotplug', 'no'], ['--hotplug', 'yes'], ['--spare-pcie-ports', '0'], ['--spare-pcie-ports', '2'], ['--pack-functions'], ['--spare-pci-slots', '1']];

const seeds = fuzzSeeds();
const pool = new CliPool(KILL_MS);
const dir = mkdtempSync(join(tmpdir(), 'pciplan-fuzz-'));
afterAll(() => {
  pool.stop();
  rmSync(dir, { recursive: true, force: true });
});

export function mutantOf(seed: number, index: number) {
  const rng = new Rng(mix(seed, index));
  const source = rng.pick(seeds);
  const policy = rng.chance(0.2) ? rng.pick(POLICIES) : [];
  return { source: source.name, policy, ...mutate(source.text, rng) };
}

/** The real process must do what the in-process run did (and keep the contract itself). */
async function spawnedFailures(file: string, policy: string[]): Promise<Failure[]> {
  const out: Failure[] = [];
  for (const command of ['validate', 'assign-greedy', 'show'] as const) {
    const argv = argvFor(command, file, policy, TIMEOUT_S);
    const real = pciplan(argv);
    const r = { code: real.code, stdout: real.stdout, stderr: real.stderr, ...(real.code === null ? { hang: true } : {}) };
    out.push(...contractFailures(command, r).map((f) => ({ ...f, detail: `real process: ${f.detail}` })));
    const mine = await pool.run(argv);
    if (mine.code !== r.code || mine.stdout !== r.stdout || errorLines(mine.stderr).join('\n') !== errorLines(r.stderr).join('\n')) {
      out.push({ command, kind: 'spawn-differs', detail: `in-process exit ${mine.code}, real process exit ${r.code}${mine.stdout !== r.stdout ? ', stdout differs' : ''}` });
    }
  }
  return out;
}

async function runMutant(index: number): Promise<string[]> {
  const m = mutantOf(SEED, index);
  const file = join(dir, `mutant-${SEED}-${index}.xml`);
  writeFileSync(file, m.bytes);
  let failures: Failure[] = [];
  let outcomes: Outcome[] = [];
  try {
    ({ failures, outcomes } = await checkInput(m.bytes, { pool, file, outFile: join(dir, `mutant-${SEED}-${index}.out.xml`), policy: m.policy, timeoutS: TIMEOUT_S }));
    if (index % SPAWN_EVERY === 0 || ONLY) failures.push(...(await spawnedFailures(file, m.policy)));
  } catch (e) {
    // A fault of the fuzzer itself fails this mutant, not the rest of its block.
    failures.push({ command: 'validate', kind: 'checker-error', detail: (e as Error).stack ?? String(e) });
  }
  const about = `mutant ${index} (PCIPLAN_FUZZ_SEED=${SEED} PCIPLAN_FUZZ_ONLY=${index}; from ${m.source}; ${m.notes.join('; ')}${m.policy.length ? `; policy ${m.policy.join(' ')}` : ''})`;
  if (env.PCIPLAN_FUZZ_LOG) {
    appendFileSync(env.PCIPLAN_FUZZ_LOG, `${JSON.stringify({ index, seed: SEED, source: m.source, notes: m.notes, policy: m.policy, bytes: m.bytes.length, outcomes, failures })}\n`);
  }
  if (failures.length && env.PCIPLAN_FUZZ_SAVE) {
    mkdirSync(env.PCIPLAN_FUZZ_SAVE, { recursive: true });
    writeFileSync(join(env.PCIPLAN_FUZZ_SAVE, `${SEED}-${index}.xml`), m.bytes);
    writeFileSync(join(env.PCIPLAN_FUZZ_SAVE, `${SEED}-${index}.json`), JSON.stringify({ about, failures }, null, 2));
  }
  rmSync(file, { force: true });
  return failures.map((f) => `${about}: ${f.command} ${f.kind}: ${f.detail}`);
}

describe('mutation fuzzer', () => {
  it.runIf(IN_CI)("has libvirt's test domains among its seeds in CI", () => {
    expect(HAVE_CORPUS).toBe(true);
  });

  it('draws the same mutant from the same seed and index', () => {
    const a = mutantOf(SEED, 7);
    const b = mutantOf(SEED, 7);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.notes).toEqual(b.notes);
    expect(mutantOf(SEED, 8).bytes.equals(a.bytes)).toBe(false);
  });

  const indexes = ONLY ?? Array.from({ length: COUNT }, (_, i) => i);
  for (let b = 0; b < indexes.length; b += BLOCK) {
    const block = indexes.slice(b, b + BLOCK);
    // The limit follows from the per-run deadline (a hang fails its run first); it is not a timing assertion.
    it(`mutants ${block[0]}-${block[block.length - 1]}: exit 0/1/2, one error line, no hang, valid and lossless output`, async () => {
      const failures: string[] = [];
      for (const i of block) failures.push(...(await runMutant(i)));
      expect(failures, failures.join('\n')).toEqual([]);
    }, block.length * RUNS_PER_MUTANT * KILL_MS + 60_000);
  }
});
