/**
 * A command loads only what it uses: validate, greedy assign, generate, show --format tree, and
 * explain/assign on inputs that fail validation never load Z3 (z3-solver) or Graphviz (@viz-js/viz);
 * optimal assign loads z3-solver only when it solves with WASM. Checked by logging every module the
 * CLI process resolves (an ESM resolve hook), not by timing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'pciplan-loads-'));
const HOOK = join(REPO, 'test', 'helpers', 'loadLog.mjs');
const WORKSTATION = join(REPO, 'fixtures', 'q35-workstation.xml');
const BROKEN = join(REPO, 'fixtures', 'infeasible', 'address-refused.xml');
let n = 0;

/** The command users run (one bundled file) and tsc's modules it is built from. */
const CLIS = [
  { name: 'the bundled command', cli: CLI },
  { name: "tsc's modules", cli: join(REPO, 'dist', 'src', 'cli', 'main.js') },
];

/** The packages (node_modules/NAME) a CLI run resolved, its exit code, and whether the log saw the CLI file itself. */
function packagesLoaded(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; packages: Set<string>; sawCli: boolean } {
  const log = join(tmp, `${n++}.log`);
  const r = spawnSync(process.execPath, ['--import', HOOK, cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env, PCIPLAN_LOAD_LOG: log }, timeout: 60_000 });
  const urls = readFileSync(log, 'utf8').split('\n');
  rmSync(log);
  const packages = new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  return { code: r.status, packages, sawCli: urls.some((u) => u.endsWith(cli)) };
}

const HEAVY = ['z3-solver', '@viz-js/viz'];

describe.each(CLIS)('$name: commands load neither Z3 nor Graphviz unless they use them', ({ cli }) => {
  const cases: [string, string[], number][] = [
    ['validate', ['validate', WORKSTATION], 0],
    ['greedy assign', ['assign', WORKSTATION, '--strategy', 'greedy'], 0],
    ['generate', ['generate', '--machine', 'q35', '--devices', '64', '--family', 'mixed'], 0],
    ['show --format tree', ['show', WORKSTATION], 0],
    ['show --format dot --strategy greedy', ['show', WORKSTATION, '--format', 'dot', '--strategy', 'greedy'], 0],
    ['assign on an input that fails validation', ['assign', BROKEN], 1],
    ['explain on an input that fails validation', ['explain', BROKEN], 1],
  ];
  for (const [what, args, code] of cases) {
    it(what, () => {
      // WASM is the solver that would show in the log: had the command solved, z3-solver would be there.
      const r = packagesLoaded(cli, args, { PCIPLAN_SOLVER: 'wasm' });
      expect(r.code).toBe(code);
      // The hook saw the CLI itself, and tsc's modules their dependencies (so an empty log cannot pass).
      expect(r.sawCli).toBe(true);
      if (cli !== CLI) expect(r.packages.has('fast-xml-parser')).toBe(true);
      for (const p of HEAVY) expect(r.packages.has(p), p).toBe(false);
    });
  }

  it('optimal assign with the WASM solver loads z3-solver, and no Graphviz', () => {
    const r = packagesLoaded(cli, ['assign', WORKSTATION, '--solver', 'wasm']);
    expect(r.code).toBe(0);
    expect(r.packages.has('z3-solver')).toBe(true);
    expect(r.packages.has('@viz-js/viz')).toBe(false);
  });

  it('show --format svg loads Graphviz', () => {
    const r = packagesLoaded(cli, ['show', WORKSTATION, '--format', 'svg']);
    expect(r.code).toBe(0);
    expect(r.packages.has('@viz-js/viz')).toBe(true);
    expect(r.packages.has('z3-solver')).toBe(false);
  });
});
