/**
 * The two Z3 backends behind one interface: a clean state per session on both (whatever ran
 * before), the strict reading of answers, and what a broken native z3 does (fake z3 scripts given
 * through PCIPLAN_Z3): --solver native is one clear stderr line and exit 2, auto falls back to the
 * WASM build with the same output; never a wrong answer, never a hang.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSession } from '../../src/solver/backend.js';
import { MIN_Z3_VERSION, parseVersion, Z3Process } from '../../src/solver/native.js';
import { parseCheck, parseCore, parseValueList, SESSION_DEFAULTS, SolverFailure } from '../../src/solver/session.js';
import { BACKENDS, skipNative } from '../helpers/backends.js';
import { fakeZ3, withZ3 } from '../helpers/fakeZ3.js';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const WORKSTATION = join(REPO, 'fixtures', 'q35-workstation.xml');
const getOptions = [...Object.keys(SESSION_DEFAULTS), ':produce-unsat-cores'].map((o) => `(get-option ${o})`).join('\n');
/** What a session reads back: the defaults (the 32-bit WASM build holds the largest timeout as 2^31-1), no unsat cores. */
const asRead = (backend: string) => [...Object.values(SESSION_DEFAULTS).map((v) => (backend === 'wasm' && v === '4294967295' ? '2147483647' : v)), 'false'];

describe.each(BACKENDS)('%s backend: a clean state per session', (backend) => {
  it("starts from Z3's own option defaults (the values sessions restore)", async () => {
    const s = await openSession(backend);
    try {
      expect(s.backend).toBe(backend);
      expect((await s.eval(getOptions)).trim().split('\n')).toEqual(asRead(backend));
    } finally {
      s.close();
    }
  });

  it('sees nothing of an earlier session: declarations, assertions, options', async () => {
    const a = await openSession(backend, { unsatCores: true });
    try {
      await a.eval('(set-option :timeout 1)\n(set-option :smt.arith.solver 2)\n(set-option :smt.random_seed 7)\n(set-option :sat.random_seed 7)\n(set-option :random-seed 7)\n(declare-const x Int)\n(assert (> x 5))\n(check-sat)\n');
    } finally {
      // Closed whatever happens: sessions take the solver in turn, an open one would hold up the rest.
      a.close();
    }
    const b = await openSession(backend);
    try {
      expect((await b.eval(getOptions)).trim().split('\n')).toEqual(asRead(backend));
      // x is not declared any more: declaring it again is no error, and it is unconstrained.
      expect(parseCheck(await b.eval('(declare-const x Int)\n(assert (< x 1))\n(check-sat)\n(get-value (x))'), ['x']).answer).toBe('sat');
    } finally {
      b.close();
    }
  });

  it('refuses an eval on a closed session (it would run in the next session\'s state, or on a freed context)', async () => {
    const s = await openSession(backend);
    expect(parseCheck(await s.eval('(declare-const x Int)\n(check-sat)')).answer).toBe('sat');
    s.close();
    await expect(s.eval('(assert false)\n(check-sat)')).rejects.toThrow(/closed solver session/);
    // The next session is clean and usable: nothing of the refused eval reached it.
    const t = await openSession(backend);
    try {
      expect(parseCheck(await t.eval('(check-sat)')).answer).toBe('sat');
    } finally {
      t.close();
    }
  });

  it('keeps its options while another session waits: sessions take the solver in turn', async () => {
    // :smt.random_seed is global in both builds: a second session's prologue, run between two
    // evals of the first, would reset it under the first session's next check.
    const a = await openSession(backend);
    let b: Awaited<ReturnType<typeof openSession>> | undefined;
    const opening = openSession(backend).then(async (s) => {
      b = s;
      await s.eval('(check-sat)');
    });
    try {
      await a.eval('(set-option :smt.random_seed 7)');
      await new Promise((r) => setTimeout(r, 100)); // room for b to start, if it could
      expect(b).toBeUndefined();
      expect((await a.eval('(get-option :smt.random_seed)')).trim()).toBe('7');
    } finally {
      a.close();
    }
    await opening;
    b!.close();
  });

  it('gives unsat cores that name the tracked assertions', async () => {
    const s = await openSession(backend, { unsatCores: true });
    try {
      const out = await s.eval('(declare-const x Int)\n(assert (! (> x 5) :named big))\n(assert (! (< x 3) :named small))\n(assert (>= x 0))\n(check-sat)');
      expect(parseCheck(out).answer).toBe('unsat');
      expect(parseCore(await s.eval('(get-unsat-core)'), (n) => n === 'big' || n === 'small').sort()).toEqual(['big', 'small']);
    } finally {
      s.close();
    }
  });
});

describe('strict answers', () => {
  it('reads sat/unsat/unknown and every requested value, nothing else', () => {
    expect(parseCheck('sat\n((a 1)\n (b (- 2)))\n', ['a', 'b'])).toEqual({ answer: 'sat', values: new Map([['a', 1], ['b', -2]]) });
    expect(parseCheck('unsat\n(error "line 9 column 10: model is not available")\n', ['a'])).toEqual({ answer: 'unsat' });
    expect(parseCheck('unknown\n')).toEqual({ answer: 'unknown' });
    for (const bad of ['', 'banana', '(error "line 1 column 1: unknown option")\nsat', 'sat?']) expect(() => parseCheck(bad, ['a']), bad).toThrow(SolverFailure);
    expect(() => parseCheck('sat\n((a 1))', ['a', 'b'])).toThrow(/1 of 2/);
    expect(() => parseValueList('((a 1) (a 1))', ['a'])).toThrow(/twice/);
    expect(() => parseValueList('((a 1) (c 2))', ['a'])).toThrow(SolverFailure);
    expect(() => parseValueList('((a 1.5))', ['a'])).toThrow(SolverFailure);
    expect(() => parseCore('(big other)', (n) => n === 'big')).toThrow(/did not make/);
  });

  it('reads z3 version lines', () => {
    expect(parseVersion('(:version "4.8.12")\n')).toEqual([4, 8, 12]);
    expect(parseVersion('(:version "4.15.4 - build hashcode abc")')).toEqual([4, 15, 4]);
    expect(parseVersion('Z3 version 4.8.12')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Fake z3 binaries (test/helpers/fakeZ3.ts) that misbehave at the first check-sat.

const FAKES = {
  crashes: fakeZ3('crashes', 'kill -SEGV $$'),
  hangs: fakeZ3('hangs', 'exec sleep 600'),
  garbage: fakeZ3('garbage', 'echo banana'),
  'misses values': fakeZ3('misses-values', "echo sat; echo '((added 0))'"),
  'is too old': fakeZ3('too-old', 'echo sat', '4.8.5'),
  'is not z3': fakeZ3('not-z3', 'echo sat', 'x'),
};

describe('a broken native z3 (fakes through PCIPLAN_Z3)', () => {
  const wasm = pciplan(['assign', WORKSTATION, '--format', 'xml', '--solver', 'wasm']);

  it('the WASM answer the fallbacks must give', () => {
    expect(wasm.code).toBe(0);
  });

  for (const [what, path] of Object.entries(FAKES)) {
    // A z3 that hangs is, until it overruns its own timeout by the kill margin, a slow z3: the
    // command's budget ends first (below); the kill itself is tested on the process.
    if (path === FAKES.hangs) continue;
    it(`that ${what}: --solver native is one clear line and exit 2; auto falls back to WASM, same output`, () => {
      const env = { PCIPLAN_Z3: path };
      const native = pciplan(['assign', WORKSTATION, '--solver', 'native', '--timeout', '1'], undefined, env);
      expect(native.code, native.stderr).toBe(2);
      expect(native.stdout).toBe('');
      const lines = native.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^pciplan: --solver native: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[: ]`));
      expect(native.stderr).not.toMatch(/internal error|\n\s+at /);

      // A hung z3 spends the budget before it is killed: WASM then gets what is left (a layout, or
      // none found in time); the others fail at once and WASM gives its own answer.
      const hangs = path === FAKES.hangs;
      const auto = pciplan(['assign', WORKSTATION, '--format', 'xml', ...(hangs ? ['--timeout', '1'] : [])], undefined, { ...env, PCIPLAN_SOLVER: 'auto' });
      expect(auto.stderr).not.toMatch(/internal error|\n\s+at /);
      if (hangs) expect([0, 1]).toContain(auto.code);
      else {
        expect(auto.code, auto.stderr).toBe(0);
        expect(auto.stdout).toBe(wasm.stdout);
      }
      expect(auto.stderr).toMatch(/^pciplan: (native z3 failed|PCIPLAN_Z3: ).*solving with the built-in z3-solver \(WASM\)/m);
    });
  }

  it('names the version it needs', () => {
    const r = pciplan(['assign', WORKSTATION, '--solver', 'native'], undefined, { PCIPLAN_Z3: FAKES['is too old'] });
    expect(r.stderr).toContain(`is z3 4.8.5; pciplan needs ${MIN_Z3_VERSION.join('.')} or newer`);
  });

  it('a hung z3 is killed once its request overruns the limit, and fails every later request', async () => {
    const p = await Z3Process.start(FAKES.hangs);
    await expect(p.request('(check-sat)\n', 200)).rejects.toThrow(/did not answer within [\d.]+ s: killed/);
    await expect(p.request('(get-info :version)\n', 10_000)).rejects.toThrow(SolverFailure);
  });

  it('a hung z3 cannot hold the command past its budget: the best valid layout, marked not proven', () => {
    for (const solver of ['native', 'auto']) {
      const r = pciplan(['assign', WORKSTATION, '--solver', solver, '--timeout', '1', '--format', 'json'], undefined, { PCIPLAN_Z3: FAKES.hangs });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      const out = JSON.parse(r.stdout) as { proven: boolean; objective: { addedControllers: number }; lowerBound: number };
      expect(out.proven).toBe(false);
      expect(out.objective.addedControllers).toBeGreaterThanOrEqual(out.lowerBound);
      expect(r.stderr).toMatch(/not proven optimal within 1 s/);
    }
  });

  it('no z3 at all: --solver native says how to get one; auto uses WASM without a word', () => {
    const env = { PATH: '/nonexistent', PCIPLAN_Z3: '' };
    const native = pciplan(['assign', WORKSTATION, '--solver', 'native'], undefined, env);
    expect(native.code).toBe(2);
    expect(native.stderr).toBe('pciplan: --solver native: no z3 found (install the z3 package, or set PCIPLAN_Z3 to a z3 binary)\n');
    const auto = pciplan(['assign', WORKSTATION, '--format', 'xml'], undefined, env);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toBe(wasm.stdout);
    expect(auto.stderr).not.toMatch(/z3/i);
  });

  it('a bad --solver or PCIPLAN_SOLVER is bad usage (exit 2)', () => {
    expect(pciplan(['assign', WORKSTATION, '--solver', 'fast']).code).toBe(2);
    const r = pciplan(['assign', WORKSTATION], undefined, { PCIPLAN_SOLVER: 'fast' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("pciplan: PCIPLAN_SOLVER must be one of auto, native, wasm, got 'fast'\n");
  });

  it('PCIPLAN_WASM_THREAD takes main or worker, the same bytes from each; anything else is bad usage', () => {
    const on = (thread: string) => pciplan(['assign', WORKSTATION, '--solver', 'wasm'], undefined, { PCIPLAN_WASM_THREAD: thread });
    const main = on('main');
    const worker = on('worker');
    expect(main.code).toBe(0);
    expect(worker.stdout).toBe(main.stdout);
    const bad = on('both');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("pciplan: PCIPLAN_WASM_THREAD must be main or worker, got 'both'\n");
  });
});

describe.skipIf(skipNative)('one native process per run', () => {
  it('serves sessions one at a time: a second session waits for the first to close', async () => {
    const order: string[] = [];
    const a = await openSession('native');
    const pb = openSession('native').then((b) => {
      order.push('b open');
      return b;
    });
    await new Promise((r) => setTimeout(r, 50));
    order.push('a close');
    a.close();
    (await pb).close();
    expect(order).toEqual(['a close', 'b open']);
  });

  it('a process that exits fails every later request with the reason', async () => {
    const p = await Z3Process.start(FAKES.crashes);
    await expect(p.request('(check-sat)', 10_000)).rejects.toThrow(/exited \(signal SIGSEGV\)/);
    await expect(p.request('(get-info :version)', 10_000)).rejects.toThrow(SolverFailure);
  });
});

describe('never an answer out of step (fakes through PCIPLAN_Z3)', () => {
  it('an answer printed after its sentinel is not read as the next request\'s answer', async () => {
    // This z3 prints its check-sat answer late: when it reads the next line, i.e. the first line
    // of the next request. The first request reads nothing (a failure); the next session must not
    // get the late "unsat" as its own answer (a false proof): the process that failed is stopped
    // and the next session runs on a new one.
    const late = fakeZ3('answers-late', {
      eachLine: 'if [ -n "$late" ]; then echo "$late"; late=; fi',
      onCheck: 'answer=unsat',
      onEcho: 'echo "$s"; late=$answer; answer=',
    });
    await withZ3(late, async () => {
      const a = await openSession('native');
      try {
        await expect(a.query('(declare-const x Int)\n(check-sat)', (out) => parseCheck(out))).rejects.toThrow(/gave no answer to check-sat/);
      } finally {
        a.close();
      }
      const b = await openSession('native');
      try {
        await expect(b.query('(declare-const y Int)\n(check-sat)', (out) => parseCheck(out))).rejects.toThrow(/gave no answer to check-sat/);
      } finally {
        b.close();
      }
    });
  });

  it('output after a sentinel stops the process: it is never prepended to the next answer', async () => {
    // One write: the sentinel, then a stray "sat" (as a late answer would be).
    const stray = fakeZ3('prints-after-sentinel', { onCheck: ':', onEcho: `printf '%s\\nsat\\n' "$s"` });
    const p = await Z3Process.start(stray);
    await expect(p.request('(check-sat)', 10_000)).rejects.toThrow(/printed outside any request/);
    expect(p.alive).toBe(false);
  });

  it('a process that died is replaced for the next session, not reused', async () => {
    await withZ3(FAKES.crashes, async () => {
      const a = await openSession('native');
      try {
        await expect(a.eval('(check-sat)')).rejects.toThrow(/exited \(signal SIGSEGV\)/);
      } finally {
        a.close();
      }
      const b = await openSession('native');
      try {
        expect(await b.eval('(get-info :version)')).toBe('(:version "4.8.12")\n');
      } finally {
        b.close();
      }
    });
  });
});
