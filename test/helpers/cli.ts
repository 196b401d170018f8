// Runs the built CLI (dist/, built by `npm test`'s pretest step) as a user would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './corpus.js';
import { checkJsonOutput } from './jsonOutput.js';

export const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` is added to the test's environment (PCIPLAN_SOLVER, PCIPLAN_Z3 ...). */
export function pciplan(args: string[], input?: string, env?: NodeJS.ProcessEnv): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, ...(env ? { env: { ...process.env, ...env } } : {}) });
  // Every JSON output of the suite is held to its shipped schema.
  checkJsonOutput(args, r.stdout);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
