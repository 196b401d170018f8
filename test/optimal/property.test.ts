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
import { brokenRequirements, validateDomain } from '../../src/validate/validateDomain.js';

async function run(xml: string, strategy: 'optimal' | 'greedy', policy: Policy) {
  try {
    return await assignDomain(parseDomain(xml, 'random.xml'), { strategy, policy });
  } catch (e) {
    if (e instanceof PciplanError) return e;
    throw e;
  }
}

// Seeds in chunks of CHUNK, one test each: a test does a bounded amount of work, so a busy machine
// slows the suite down but cannot push one test past vitest's per-test timeout.
const CHUNK = 10;
function chunks(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = from; a < to; a += CHUNK) out.push([a, Math.min(a + CHUNK, to)]);
  return out;
}

describe('without hints or policy: optimal <= greedy, both valid, optimal proven', () => {
  let compared = 0;
  for (const [from, to] of chunks(1, 121)) {
    it(`seeds ${from}-${to - 1}`, async () => {
      for (let seed = from; seed < to; seed++) {
        const { xml } = randomDomain(seed, false);
        const [o, g] = [await run(xml, 'optimal', {}), await run(xml, 'greedy', {})];
        if (g instanceof PciplanError) continue;
        expect(o, `seed ${seed}`).not.toBeInstanceOf(PciplanError);
        if (o instanceof PciplanError) continue;
        expect(o.objective.addedControllers, `seed ${seed}`).toBeLessThanOrEqual(g.objective.addedControllers);
        expect(o.proven).toBe(true);
        expect(validateDomain(o.domain).problems.filter((p) => p.severity === 'error'), `seed ${seed}`).toEqual([]);
        compared++;
      }
    });
  }
  it('compared on most seeds (greedy found a layout)', () => expect(compared).toBeGreaterThan(100));
});

describe('with hints and policies: every optimal layout honours them; never worse than a greedy layout that happens to', () => {
  let feasible = 0;
  let infeasible = 0;
  for (const [from, to] of chunks(1000, 1150)) {
    it(`seeds ${from}-${to - 1}`, async () => {
      for (let seed = from; seed < to; seed++) {
        const { xml, policy } = randomDomain(seed, true);
        const o = await run(xml, 'optimal', policy);
        if (o instanceof PciplanError) {
          // An impossible combination must be explained by the requirements in conflict.
          expect(o, `seed ${seed}: ${o.message}`).toBeInstanceOf(ConflictError);
          expect((o as ConflictError).conflict.requirements.length + (o as ConflictError).conflict.facts.length).toBeGreaterThan(0);
          infeasible++;
          continue;
        }
        feasible++;
        expect(validateDomain(o.domain, policy).problems.filter((p) => p.severity === 'error'), `seed ${seed}`).toEqual([]);
        const g = await run(xml, 'greedy', policy);
        if (g instanceof PciplanError) continue;
        const greedyHonours = brokenRequirements(g.domain, policy).length === 0;
        if (greedyHonours) expect(o.objective.addedControllers, `seed ${seed}`).toBeLessThanOrEqual(g.objective.addedControllers);
      }
    });
  }
  it('most hinted domains are feasible', () => {
    expect(feasible).toBeGreaterThan(100);
    console.log(`random hinted domains: ${feasible} feasible, ${infeasible} proven infeasible`);
  });
});

describe('optimal allocator properties on seeded random domains', () => {
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
