/**
 * Properties of the optimal allocator on seeded random domains (q35, pc and aarch64 virt, with and
 * without hints and policies): it never adds more controllers than greedy wherever greedy's layout
 * meets the same requirements, and every layout it writes passes the validator with the hints and
 * the policy in force.
 */
import { describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { ConflictError, PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import type { Policy } from '../../src/model/schemas.js';
import { randomDomain } from '../helpers/random.js';
import { validateDomain } from '../../src/validate/validateDomain.js';

async function run(xml: string, strategy: 'optimal' | 'greedy', policy: Policy) {
  try {
    return await assignDomain(parseDomain(xml, 'random.xml'), { strategy, policy });
  } catch (e) {
    if (e instanceof PciplanError) return e;
    throw e;
  }
}

describe('optimal allocator properties on seeded random domains', () => {
  // Chunks of seeds, one `it` each: every test's work stays bounded on a busy CI machine.
  const plain = { compared: 0 };
  for (let from = 1; from <= 120; from += 10) {
    it(`without hints or policy: optimal <= greedy, both valid, optimal proven (seeds ${from}-${from + 9})`, async () => {
      for (let seed = from; seed < from + 10; seed++) {
        const { xml } = randomDomain(seed, false);
        const [o, g] = [await run(xml, 'optimal', {}), await run(xml, 'greedy', {})];
        if (g instanceof PciplanError) continue;
        expect(o, `seed ${seed}`).not.toBeInstanceOf(PciplanError);
        if (o instanceof PciplanError) continue;
        expect(o.objective.addedControllers, `seed ${seed}`).toBeLessThanOrEqual(g.objective.addedControllers);
        expect(o.proven).toBe(true);
        expect(validateDomain(o.domain).problems.filter((p) => p.severity === 'error'), `seed ${seed}`).toEqual([]);
        plain.compared++;
      }
    });
  }
  it('without hints or policy: most domains compared', () => {
    expect(plain.compared).toBeGreaterThan(100);
  });

  const hinted = { feasible: 0, infeasible: 0 };
  for (let from = 1000; from < 1150; from += 10) {
    it(`with hints and policies: every optimal layout honours them; never worse than a greedy layout that happens to (seeds ${from}-${from + 9})`, async () => {
      for (let seed = from; seed < from + 10; seed++) {
        const { xml, policy } = randomDomain(seed, true);
        const o = await run(xml, 'optimal', policy);
        if (o instanceof PciplanError) {
          // An impossible combination must be explained by the requirements in conflict.
          expect(o, `seed ${seed}: ${o.message}`).toBeInstanceOf(ConflictError);
          expect((o as ConflictError).conflict.requirements.length + (o as ConflictError).conflict.facts.length).toBeGreaterThan(0);
          hinted.infeasible++;
          continue;
        }
        hinted.feasible++;
        expect(validateDomain(o.domain, policy).problems.filter((p) => p.severity === 'error'), `seed ${seed}`).toEqual([]);
        const g = await run(xml, 'greedy', policy);
        if (g instanceof PciplanError) continue;
        const greedyHonours = !validateDomain(g.domain, policy).problems.some((p) => p.severity === 'error');
        if (greedyHonours) expect(o.objective.addedControllers, `seed ${seed}`).toBeLessThanOrEqual(g.objective.addedControllers);
      }
    });
  }
  it('with hints and policies: most domains feasible', () => {
    expect(hinted.feasible).toBeGreaterThan(100);
    console.log(`random hinted domains: ${hinted.feasible} feasible, ${hinted.infeasible} proven infeasible`);
  });

  it('is deterministic: the same input and options give byte-identical output', async () => {
    const { writeXml } = await import('../../src/xml/writeXml.js');
    for (let seed = 2000; seed < 2010; seed++) {
      const { xml, policy } = randomDomain(seed, true);
      const a = await run(xml, 'optimal', policy);
      const b = await run(xml, 'optimal', policy);
      if (a instanceof PciplanError || b instanceof PciplanError) {
        expect(String(a)).toBe(String(b));
        continue;
      }
      expect(writeXml(a.doc)).toBe(writeXml(b.doc));
    }
  });
});
