/**
 * The WASM build on the calling thread (configureWasm({ thread: 'main' }), what the CLI uses):
 * the same bytes as on z3-solver's worker thread, and Z3's own :timeout still ends a check that
 * blocks the thread, since the event loop cannot. (Module state: this file configures the build
 * for itself; vitest gives each test file its own modules.)
 */
import { describe, expect, it } from 'vitest';
import { configureWasm } from '../../src/solver/wasm.js';
import { openSession } from '../../src/solver/backend.js';
import { parseCheck } from '../../src/solver/session.js';
import { fixtureInputs, planText } from '../helpers/planText.js';

/** Pigeonhole, 14 pigeons in 13 holes: unsat, and far beyond any CDCL solver's reach in a test. */
function pigeonhole(holes: number): string {
  const p = (i: number, j: number) => `p${i}_${j}`;
  const lines: string[] = [];
  for (let i = 0; i <= holes; i++) for (let j = 0; j < holes; j++) lines.push(`(declare-const ${p(i, j)} Bool)`);
  for (let i = 0; i <= holes; i++) lines.push(`(assert (or ${Array.from({ length: holes }, (_, j) => p(i, j)).join(' ')}))`);
  for (let j = 0; j < holes; j++) for (let i = 0; i <= holes; i++) for (let k = i + 1; k <= holes; k++) lines.push(`(assert (not (and ${p(i, j)} ${p(k, j)})))`);
  return lines.join('\n');
}

// The infeasible fixtures (unsat cores, explain's conflicts), two hard ones (searches of many
// checks) and the workstation. It is the same Z3 either way: a sample, not every fixture.
const all = fixtureInputs();
const inputs = [
  ...all.filter((i) => i.name.startsWith('infeasible/')),
  ...all.filter((i) => i.name.startsWith('hard/')).slice(0, 2),
  ...all.filter((i) => i.name === 'q35-workstation.xml'),
];

describe('WASM checks on the calling thread', () => {
  it('give the bytes the worker thread gives, on the hard, infeasible and workstation fixtures', { timeout: 600_000 }, async () => {
    expect(inputs.length).toBeGreaterThan(4);
    configureWasm({ thread: 'worker' });
    const onWorker: string[] = [];
    for (const input of inputs) onWorker.push(await planText(input, 'wasm'));
    configureWasm({ thread: 'main' });
    for (const [i, input] of inputs.entries()) expect(await planText(input, 'wasm'), input.name).toBe(onWorker[i]);
  });

  it("end at Z3's :timeout: a check that cannot finish answers unknown, and the session goes on", { timeout: 120_000 }, async () => {
    configureWasm({ thread: 'main' });
    const s = await openSession('wasm');
    try {
      expect(s.backend).toBe('wasm');
      const hard = await s.query(`(set-option :timeout 300)\n(push)\n${pigeonhole(13)}\n(check-sat)`, (out) => parseCheck(out));
      expect(hard.answer).toBe('unknown');
      const easy = await s.query('(pop)\n(set-option :timeout 10000)\n(declare-const y Int)\n(assert (> y 2))\n(check-sat)\n(get-value (y))', (out) => parseCheck(out, ['y']));
      expect(easy).toEqual({ answer: 'sat', values: new Map([['y', 3]]) });
    } finally {
      s.close();
    }
  });
});
