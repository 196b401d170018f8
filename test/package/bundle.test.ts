// The `pciplan` command users run is one bundled file (dist/cli/pciplan-bundle.cjs, run by the
// launcher dist/cli/pciplan.js with V8's code cache; scripts/bundle.mjs); the library and the
// in-process tests use tsc's modules (dist/src). Both must be the same program: every command on
// real inputs gives the same exit code, stdout and stderr from each, with the cache or without.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';

const LAUNCHER = join(REPO, 'dist', 'cli', 'pciplan.js');
const BUNDLE = join(REPO, 'dist', 'cli', 'pciplan-bundle.cjs');
const MODULES = join(REPO, 'dist', 'src', 'cli', 'main.js');

/**
 * Times differ from run to run (JSON's ms and solveMs, compare's time column): they are masked.
 * The table's columns are as wide as their widest cell, so a longer time shifts the padding of
 * its column: the table is compared cell by cell, without its rule of dashes.
 */
function untimed(stdout: string, args: string[]): string {
  if (args.includes('json')) return JSON.stringify(JSON.parse(stdout, (k, v) => (k === 'ms' || k === 'solveMs' ? 'time' : v)));
  if (args[0] !== 'compare') return stdout;
  const [header = '', , ...rows] = stdout.split('\n');
  const cells = (line: string) => line.trimEnd().split(/ {2,}/);
  const ms = cells(header).indexOf('MS');
  return [cells(header), ...rows.map((r) => cells(r).map((c, i) => (i === ms ? 'time' : c)))].map((r) => r.join(' | ')).join('\n');
}

function run(cli: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PCIPLAN_PROGRESS_AFTER_MS: 'off', ...env } });
  return { code: r.status, stdout: r.status === 0 ? untimed(r.stdout, args) : r.stdout, stderr: r.stderr };
}

const ws = 'fixtures/q35-workstation.xml';
const cases: string[][] = [
  ['--version'],
  ['--help'],
  ['assign', '--help'],
  ['validate', ws],
  ['validate', ws, '--format', 'json'],
  ['validate', 'fixtures/q35-workstation.libvirt.xml'],
  ['assign', ws],
  ['assign', ws, '--format', 'json'],
  ['assign', ws, '--strategy', 'greedy', '--format', 'table'],
  ['assign', 'fixtures/hard/numa-4.xml', '--spare-pcie-ports', '3'],
  ['assign', ws, '--solver', 'wasm', '--format', 'json'],
  ['show', ws, '--format', 'tree'],
  ['show', ws, '--format', 'svg'],
  ['compare', ws],
  ['explain', 'fixtures/infeasible/two-conflicts.xml'],
  ['explain', 'fixtures/infeasible/numa-missing.xml', '--format', 'json'],
  ['generate', '--family', 'mixed', '--machine', 'q35', '--devices', '12', '--seed', '3'],
  ['generate', '--family', 'mixed', '--machine', 'pc', '--devices', '12'],
  ['assign', 'no-such-file.xml'],
  ['assign', ws, '--bogus'],
  ['assign', ws, '--policy', '{"sparePciePorts": -1}'],
];

describe('the bundled command is the same program as the modules', () => {
  it('the bundle leaves the solver and Graphviz outside (loaded only when a command needs them)', () => {
    expect(readFileSync(LAUNCHER, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const text = readFileSync(BUNDLE, 'utf8');
    // Through the launcher's import() (a script compiled with a code cache has none of its own).
    expect(text).toMatch(/__pciplanImport\(["']z3-solver\/build\/z3-built.js["']\)/);
    expect(text).toMatch(/__pciplanImport\(["']@viz-js\/viz["']\)/);
    expect(text).not.toMatch(/\bimport\s*\(/);
    // Small enough to be worth it: zod's classic API (half a megabyte) is not in it.
    expect(text.length).toBeLessThan(500_000);
  });

  for (const args of cases) {
    it(args.join(' '), () => {
      const a = run(LAUNCHER, args);
      const b = run(MODULES, args);
      expect(a).toEqual(b);
    });
  }
});

describe("the launcher and V8's code cache", () => {
  // A copy of the command beside the real one (dist/, so that z3-solver resolves the same way).
  const copy = join(REPO, 'dist', `cli-copy-${process.pid}`);
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  const some: string[][] = [['validate', ws, '--format', 'json'], ['assign', ws, '--strategy', 'greedy'], ['assign', ws, '--solver', 'wasm'], ['show', ws, '--format', 'svg'], ['explain', 'fixtures/infeasible/two-conflicts.xml']];

  it('takes the cache the build wrote', () => {
    const r = run(LAUNCHER, ['validate', ws], { PCIPLAN_CODE_CACHE: 'check' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('pciplan: code cache accepted\n');
  });

  it('gives the same output without it, and with a cache that is not its own (rejected)', () => {
    mkdirSync(copy, { recursive: true });
    for (const f of ['pciplan.js', 'pciplan-bundle.cjs', 'package.json']) copyFileSync(join(REPO, 'dist', 'cli', f), join(copy, f));
    writeFileSync(join(copy, 'pciplan-bundle.cache'), readFileSync(join(REPO, 'dist', 'cli', 'pciplan-bundle.cache')).subarray(0, 4096));
    expect(run(join(copy, 'pciplan.js'), ['validate', ws], { PCIPLAN_CODE_CACHE: 'check' }).stderr).toBe('pciplan: code cache rejected\n');
    for (const args of some) {
      const cached = run(LAUNCHER, args);
      expect(run(LAUNCHER, args, { PCIPLAN_CODE_CACHE: 'off' }), args.join(' ')).toEqual(cached);
      expect(run(join(copy, 'pciplan.js'), args), args.join(' ')).toEqual(cached);
    }
  });
});
