// Runs the built CLI (dist/, built by `npm test`'s pretest step) as a user would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REPO } from './corpus.js';
import { checkJsonOutput } from './jsonOutput.js';

/** The command users run: package.json's bin, the bundle scripts/bundle.mjs builds. */
export const CLI = join(REPO, 'dist', 'cli', 'pciplan.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI. assign's progress line depends on how long the search takes, so it is off unless a
 * test asks for it through `env` (no assertion on stderr may depend on the machine's speed).
 */
export function pciplan(args: string[], input?: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PCIPLAN_PROGRESS_AFTER_MS: 'off', ...env },
  });
  // Every JSON output of the suite is held to its shipped schema.
  checkJsonOutput(args, r.stdout);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit `code`, nothing on stdout, exactly one stderr line matching `message`, no stack trace. */
export function expectRefusal(r: CliResult, code: 1 | 2, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pciplan: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}
