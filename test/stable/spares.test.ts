/**
 * Devices first, room for later last (issue 11): on seeded random domains (q35, pc, virt; hints,
 * groups, NUMA nodes), each with 5 spare counts of 0..9. Whenever raising the spares from s
 * to s' raises the optimum by exactly s' - s (the extra room is pure addition), no device's
 * address changes. Where it raises it by less, a move saved a controller, which is allowed.
 *
 * How many domains: seeds 1-96 and 105, or seeds 1..N and 105 with PCIPLAN_STABLE_COUNT=N; the
 * full sweep of the issue is PCIPLAN_STABLE_COUNT=300. They are enough to fail on the bug this
 * suite is for (besides the workstation fixture, the issue's own case): with the tie-break
 * switched off (solve.ts keeping the search's model), 10 of seeds 1-96 move a device on a pure
 * addition, and 105 does too (28 of the 300). Seed 105 is kept for its descent as well: the
 * longest of the sweep before the block-by-block tie-break (23063a7).
 */
import { describe, expect, it } from 'vitest';
import { PciplanError } from '../../src/errors.js';
import { chunks, deviceAddresses, plan, smallDomain, spareCounts, sweepCount } from './helpers.js';

const COUNT = sweepCount(96);
const SWEEP = COUNT >= 105 ? chunks(1, COUNT, 4) : [...chunks(1, COUNT, 4), [105]];
const DOMAINS = SWEEP.flat().length;

const tally = { pure: 0, pairs: 0, solved: 0 };

describe('spare counts never move a device', () => {
  // q35 workstation, the issue's own example: 1 -> 4 spare ports moved disk[vda] and the GPU.
  it('the workstation fixture: spare ports 0, 1, 4, 9 give the same device addresses', async () => {
    const { readFileSync } = await import('node:fs');
    const xml = readFileSync(new URL('../../fixtures/q35-workstation.xml', import.meta.url), 'utf8');
    const layouts = [];
    for (const s of [0, 1, 4, 9]) {
      const r = await plan(xml, { sparePciePorts: s });
      if (r instanceof PciplanError) throw r;
      layouts.push({ s, added: r.objective.addedControllers, addr: deviceAddresses(r) });
    }
    for (const l of layouts.slice(1)) {
      expect(l.added - layouts[0]!.added).toBe(l.s);
      expect(l.addr).toEqual(layouts[0]!.addr);
    }
    expect(layouts[0]!.addr.get('disk[vda]')).toBe('0000:00:03.0');
  });

  for (const seeds of SWEEP) {
    it(`seeds ${seeds[0]}-${seeds[seeds.length - 1]}`, async () => {
      for (const seed of seeds) {
        const { xml, policy, pc } = smallDomain(seed);
        const runs: { s: number; added: number; addr: Map<string, string> }[] = [];
        for (const s of spareCounts(seed)) {
          const r = await plan(xml, { ...policy, ...(pc ? { sparePciSlots: s } : { sparePciePorts: s }) });
          if (r instanceof PciplanError) continue;
          tally.solved++;
          runs.push({ s, added: r.objective.addedControllers, addr: deviceAddresses(r) });
        }
        for (let i = 0; i < runs.length; i++) {
          for (let j = i + 1; j < runs.length; j++) {
            const [a, b] = [runs[i]!, runs[j]!];
            tally.pairs++;
            if (b.added - a.added !== b.s - a.s) continue;
            tally.pure++;
            expect(b.addr, `seed ${seed}: spares ${a.s} -> ${b.s}`).toEqual(a.addr);
          }
        }
      }
    });
  }

  it('the property was exercised (not vacuous)', () => {
    // Of the domains x 10 pairs, most are feasible and many raise the optimum by exactly s' - s
    // (the full 300: 1,220 layouts and 2,170 pure additions; the bounds, 1,000 and 800 of 300, per domain).
    expect(tally.solved).toBeGreaterThan((DOMAINS * 10) / 3);
    expect(tally.pure).toBeGreaterThan((DOMAINS * 8) / 3);
    console.log(`spares: ${tally.solved} layouts, ${tally.pairs} pairs, ${tally.pure} pure additions`);
  });
});
