// `import 'pciplan'` loads neither Z3 (z3-solver, ~30 MB of WebAssembly) nor Graphviz
// (@viz-js/viz): a program that only validates never pays for them. Checked at run time with a
// module resolve hook that reports every package the process resolves; the control shows the
// hook sees z3-solver once assign needs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';

const hook = `export async function resolve(s, c, next) { if (!s.startsWith('.') && !s.startsWith('node:') && !s.startsWith('file:')) process.stderr.write('resolved ' + s + '\\n'); return next(s, c); }`;
const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;

const dir = mkdtempSync(join(tmpdir(), 'pciplan-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Packages resolved while a script runs; the script is a file inside the repository, so 'pciplan' is this package (its exports). */
function packagesResolved(script: string): string[] {
  // Not -e: z3-solver's worker threads inherit the flags, and --input-type breaks them.
  const file = join(REPO, 'dist', `lazy-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, file], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  rmSync(file);
  expect(r.status, r.stderr).toBe(0);
  return [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('resolved ')).map((l) => l.slice('resolved '.length)))];
}

const workstation = join(REPO, 'fixtures', 'q35-workstation.xml');

describe('lazy loading', () => {
  it('import and validate load neither z3-solver nor @viz-js/viz', () => {
    const seen = packagesResolved(`import { readFileSync } from 'node:fs'; const { validate } = await import('pciplan'); if (!validate(readFileSync(${JSON.stringify(workstation)}, 'utf8')).valid) process.exit(3);`);
    expect(seen).toContain('pciplan');
    expect(seen.filter((s) => s.startsWith('z3-solver') || s.startsWith('@viz-js'))).toEqual([]);
  });

  it("assign with solver 'wasm' loads z3-solver when it runs (the hook sees it), still no Graphviz", () => {
    const seen = packagesResolved(`import { readFileSync } from 'node:fs'; const { assign } = await import('pciplan'); await assign(readFileSync(${JSON.stringify(workstation)}, 'utf8'), { solver: 'wasm' });`);
    // Only its Emscripten module (src/solver/wasm.ts): z3-solver/build/z3-built.js.
    expect(seen.filter((s) => s === 'z3-solver' || s.startsWith('z3-solver/')), seen.join(' ')).not.toEqual([]);
    expect(seen.filter((s) => s.startsWith('@viz-js'))).toEqual([]);
  });
});
