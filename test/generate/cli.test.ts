// `pciplan generate` as a user runs it: the library's XML on stdout or in -o, byte-identical run to
// run, bad input one line and exit 2.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDomain } from '../../src/generate/index.js';
import { pciplan } from '../helpers/cli.js';

function expectInputError(args: string[], message: RegExp) {
  const r = pciplan(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pciplan: /);
  expect(lines[0]).toMatch(message);
}

describe('pciplan generate', () => {
  it('writes the library\'s domain, the same bytes every run, another domain for another seed', () => {
    const args = ['generate', '--machine', 'virt', '--family', 'numa', '--devices', '30', '--seed', '9', '--numa', '3'];
    const a = pciplan(args);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    expect(pciplan(args).stdout).toBe(a.stdout);
    expect(a.stdout).toBe(generateDomain({ machine: 'virt', family: 'numa', devices: 30, seed: 9, numa: 3 }).xml);
    expect(pciplan([...args.slice(0, -4), '--seed', '10', '--numa', '3']).stdout).not.toBe(a.stdout);
    // Defaults: q35, mixed, seed 1.
    expect(pciplan(['generate', '--devices', '12']).stdout).toBe(generateDomain({ machine: 'q35', family: 'mixed', devices: 12, seed: 1 }).xml);
  });

  it('writes to -o, and notes on stderr a domain no layout can hold', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pciplan-gen-')), 'big.xml');
    const r = pciplan(['generate', '--family', 'hotplug-heavy', '--devices', '300', '--seed', '4', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pciplan: note: gen-hotplug-heavy-q35-300-s4 needs at least 301 guest bus numbers .*: no layout exists\n$/);
    expect(readFileSync(out, 'utf8')).toBe(generateDomain({ machine: 'q35', family: 'hotplug-heavy', devices: 300, seed: 4 }).xml);
    // pciplan's own verdict on it: no layout (exit 1), not bad input.
    const assign = pciplan(['assign', out]);
    expect(assign.code).toBe(1);
    expect(assign.stderr).toMatch(/no layout exists: /);
  });

  it('has --help', () => {
    const r = pciplan(['generate', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--machine', '--devices', '--family', '--seed', '--numa', '--output']) expect(r.stdout).toContain(opt);
    expect(r.stdout).toContain('hotplug-heavy');
  });

  it('refuses bad input with one line and exit 2', () => {
    expectInputError(['generate'], /--devices N is required/);
    expectInputError(['generate', '--devices', '0'], /devices: must be at least 1/);
    expectInputError(['generate', '--devices', 'ten'], /--devices must be a whole number, got 'ten'/);
    expectInputError(['generate', '--devices', '1e3'], /--devices must be a whole number/);
    expectInputError(['generate', '--devices', '99999'], /devices: must be at most 10000/);
    expectInputError(['generate', '--devices', '8', '--seed', 'x'], /--seed must be a whole number/);
    expectInputError(['generate', '--devices', '8', '--seed', '4294967296'], /seed: must fit in 32 bits/);
    expectInputError(['generate', '--devices', '8', '--family', 'gpu'], /family/);
    expectInputError(['generate', '--devices', '8', '--machine', 'pseries'], /machine/);
    expectInputError(['generate', '--devices', '8', '--machine', 'pc', '--family', 'mixed'], /'mixed' needs places where the guest cannot eject a device .* on machine 'pc'/);
    expectInputError(['generate', '--devices', '8', '--family', 'cloud', '--numa', '2'], /numa: applies to --family numa only/);
    expectInputError(['generate', '--devices', '8', '--family', 'numa', '--numa', '12'], /numa: must be at most 8 nodes/);
    expectInputError(['generate', '--devices', '1', '--family', 'multifunction'], /at least 2 for family 'multifunction'/);
    expectInputError(['generate', '--devices', '8', '--colour'], /unknown option '--colour'/);
  });
});
