// Shared pieces of the stability suites: a seeded small random domain, the optimal plan of it,
// and the addresses of its devices (the controllers pciplan adds are not devices: they may move).
import { assignDomain, type AssignOptions, type AssignResult } from '../../src/assign.js';
import { PciplanError } from '../../src/errors.js';
import { parseDomain, type ParsedDomain } from '../../src/model/parseDomain.js';
import type { Policy } from '../../src/model/schemas.js';
import { mulberry32 } from '../helpers/prng.js';
import { randomDomain } from '../helpers/random.js';

/** Small domains (1-8 devices) with hints, groups and NUMA nodes: q35, pc and virt. */
export function smallDomain(seed: number): { xml: string; policy: Policy; pc: boolean } {
  const { xml, policy } = randomDomain(seed, true, 8);
  return { xml, policy, pc: /machine='pc/.test(xml) };
}

export async function plan(xml: string | ParsedDomain, policy: Policy, extra: Partial<AssignOptions> = {}): Promise<AssignResult | PciplanError> {
  try {
    return await assignDomain(typeof xml === 'string' ? parseDomain(xml, 'random.xml') : xml, { strategy: 'optimal', policy, ...extra });
  } catch (e) {
    if (e instanceof PciplanError) return e;
    throw e;
  }
}

/** Device id -> address, for every device but the PCI controllers pciplan adds. */
export function deviceAddresses(r: AssignResult): Map<string, string> {
  return new Map(r.devices.filter((d) => d.origin !== 'added' || !d.id.startsWith('controller[pci')).map((d) => [d.id, d.address]));
}

/** Five distinct spare counts of 0..9, seeded. */
export function spareCounts(seed: number): number[] {
  const r = mulberry32(seed * 7919 + 1);
  const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, 5).sort((a, b) => a - b);
}

/**
 * How many seeded random domains a stability sweep runs: $PCIPLAN_STABLE_COUNT when set (the full
 * sweeps, as written for issue 11: 200 for seeds.test.ts, 300 for spares.test.ts), else `usual`,
 * the count each suite's header argues covers its property. Every solve is a full optimal search
 * and tie-break, so the full sweeps are for a change to the encodings or the tie-break, not for
 * every CI run.
 */
export function sweepCount(usual: number): number {
  const v = process.env.PCIPLAN_STABLE_COUNT;
  if (v === undefined || v === '') return usual;
  if (!/^[1-9]\d*$/.test(v)) throw new Error(`PCIPLAN_STABLE_COUNT must be a positive whole number, got '${v}'`);
  return Number(v);
}

/** Seeds in chunks: one `it` per chunk keeps every test's work bounded. */
export function chunks(from: number, count: number, size: number): number[][] {
  const out: number[][] = [];
  for (let s = from; s < from + count; s += size) out.push(Array.from({ length: Math.min(size, from + count - s) }, (_, i) => s + i));
  return out;
}
