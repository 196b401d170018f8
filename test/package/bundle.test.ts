// The `pciplan` command users run is one bundled file (dist/cli/pciplan.js, scripts/bundle.mjs);
// the library and the in-process tests use tsc's modules (dist/src). Both must be the same
// program: every command on real inputs gives the same exit code, stdout and stderr from each.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';

const BUNDLE = join(REPO, 'dist', 'cli', 'pciplan.js');
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

function run(cli: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PCIPLAN_PROGRESS_AFTER_MS: 'off' } });
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
    const text = readFileSync(BUNDLE, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(text).toMatch(/import\(["']z3-solver["']\)/);
    expect(text).toMatch(/import\(["']@viz-js\/viz["']\)/);
    // Small enough to be worth it: zod's classic API (half a megabyte) is not in it.
    expect(text.length).toBeLessThan(500_000);
  });

  for (const args of cases) {
    it(args.join(' '), () => {
      const a = run(BUNDLE, args);
      const b = run(MODULES, args);
      expect(a).toEqual(b);
    });
  }
});
