// `compare` must say what `assign` says: each side is the same plan, run separately.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const hard = join(REPO, 'fixtures', 'hard');
const fixtures = [
  join(REPO, 'fixtures', 'q35-workstation.xml'),
  ...readdirSync(hard)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => join(hard, f)),
];

describe('pciplan compare on every fixture', () => {
  const json = JSON.parse(pciplan(['compare', ...fixtures, '--format', 'json']).stdout);

  it.each(fixtures.map((f, i) => [f.slice(REPO.length + 1), i] as const))('%s: each side is what assign gives with that strategy', (_, i) => {
    const d = json.domains[i];
    expect(d.file).toBe(fixtures[i]);
    for (const strategy of ['greedy', 'optimal']) {
      const alone = pciplan(['assign', d.file, '--strategy', strategy, '--format', 'json']);
      const side = d[strategy];
      if (alone.code !== 0) {
        // Same failure, same words.
        expect(alone.code).toBe(1);
        expect(side.ok).toBe(false);
        expect(alone.stderr).toContain(side.error);
        continue;
      }
      const a = JSON.parse(alone.stdout);
      expect(side.ok).toBe(true);
      const { ms: _ms, ...rest } = side.result;
      // The nested result is assign's report without the fields of a top-level document.
      const { ms: _ams, schemaVersion: _v, ignoredHints: _h, canonical: _c, ...aloneRest } = a;
      expect(rest).toEqual(aloneRest);
      expect(side.addedControllers).toBe(a.objective.addedControllers);
      expect(side.busNumbers).toBe(a.objective.busNumbers);
      expect(side.proven).toBe(a.proven);
      expect(Object.values(side.byModel as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(a.addedControllers.filter((c: { address?: string }) => c.address).length);
    }
    // Optimal breaks no hint, and never needs more than a greedy layout that breaks none either.
    if (d.greedy.ok && d.greedy.hintsViolated === 0) expect(d.optimal.addedControllers).toBeLessThanOrEqual(d.greedy.addedControllers);
    expect(d.optimal.hintsViolated).toBe(0);
  });

  it('prints one table row per domain and strategy, and the failures under it', () => {
    const r = pciplan(['compare', ...fixtures.slice(0, 3)]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => / (greedy|optimal) /.test(l) && !l.includes(' fails: '));
    expect(rows).toHaveLength(6);
    expect(r.stdout).toMatch(/bus-limit\.xml: greedy fails: a PCI slot is needed/);
  });

  it('refuses a missing file with exit 2', () => {
    const r = pciplan(['compare', join(hard, 'nope.xml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
