// The distinct failures the fuzzer found, minimised (fixtures/fuzz, one per cause; README.md there
// says for each what happens and what should). Each must keep the fuzzer's whole contract
// (check.ts) on every command: these fail until their cause is fixed, and then guard the fix.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';
import { checkInput } from './check.js';
import { CliPool } from './cliPool.js';

const DIR = join(REPO, 'fixtures', 'fuzz');
const KILL_MS = Number(process.env.PCIPLAN_FUZZ_KILL_S ?? 60) * 1000;

/** README rows: | `file.xml` | commands | `flags` or - | what happens | what should happen |. */
function cases(): { file: string; flags: string[] }[] {
  const rows = readFileSync(join(DIR, 'README.md'), 'utf8')
    .split('\n')
    .filter((l) => /^\| `[^`]+\.xml` \|/.test(l));
  return rows.map((row) => {
    const cells = row.split('|').map((c) => c.trim());
    const flags = cells[3]!.replace(/`/g, '').trim();
    return { file: cells[1]!.replace(/`/g, ''), flags: flags === '-' ? [] : flags.split(/\s+/) };
  });
}

const pool = new CliPool(KILL_MS);
const tmp = mkdtempSync(join(tmpdir(), 'pciplan-fuzz-fixtures-'));
afterAll(() => {
  pool.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('fuzzer findings (fixtures/fuzz)', () => {
  it('lists every fixture in the README, and only existing ones', () => {
    const listed = cases().map((c) => c.file).sort();
    expect(listed).toEqual(readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort());
  });

  for (const c of cases()) {
    it(`${c.file}${c.flags.length ? ` (${c.flags.join(' ')})` : ''}: exit 0/1/2, one error line, no hang, valid and lossless output`, async () => {
      const file = join(DIR, c.file);
      const { failures } = await checkInput(readFileSync(file), { pool, file, outFile: join(tmp, 'out.xml'), policy: c.flags, timeoutS: 5 });
      expect(failures.map((f) => `${f.command} ${f.kind}: ${f.detail}`)).toEqual([]);
    }, 10 * KILL_MS + 60_000);
  }
});
