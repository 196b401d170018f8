/*
 * Guest bus numbers (QEMU docs/pcie.txt section 4): every root port, switch port, bridge and
 * expander numbers one bus; a PCI domain has 256, bus 0 included.
 *
 *   new_L = rp_L + ro_L + sw_L + dp_L + df_L + br_L + pb_L + dm_L + e_L
 *   used + sum_L new_L <= 256                                            (tracked)
 *
 * The rule of PCI (and of libvirt's busNr): an expander numbers its subtree from its busNr up to
 * the next expander's busNr (the top one up to 255), the root hierarchy numbers what lies below the
 * lowest busNr, and busNr is 1-254. Existing expanders with a busNr, sorted, E_1 .. E_m at
 * b_1 < ... < b_m, cut the numbers into m + 1 gaps where a new expander may be numbered:
 *   gap 0   between the root region and b_1:   free_0 = b_1 - (rootRegion + new_R)
 *   gap i   inside E_i's range, above its own subtree (E_i's range then ends at the new busNr):
 *           free_i = b_{i+1} - b_i - (subtree_i + new_{E_i})       (b_{m+1} = 256)
 * Nothing else constrains where a new expander goes, so every gap is searched (a new expander
 * above an existing one is as valid as one below it). Per new expander X and gap i, with
 * g_{X,i} in {0,1} and t_{X,i} >= 0 (the numbers X takes in gap i):
 *   sum_i g_{X,i} = e_X,   t_{X,i} <= 256 g_{X,i},   sum_i t_{X,i} = new_X
 *   gap 0:        rootRegion + new_R + sum_X t_{X,0} <= b_1                   (tracked)
 *   gap i >= 1:   subtree_i + new_{E_i} + sum_X t_{X,i} <= b_{i+1} - b_i      (tracked)
 * New expanders of one gap are numbered from its top down (decode), so only their sum counts.
 * In the top gap (ending at 256), the topmost new expander gets busNr 256 - t; a new expander
 * with no children (t = 1) would need busNr 255, outside 1-254, so the number 255 is lost unless
 * some new expander there has children, which then goes on top. With any, big in {0,1},
 * any >= g_{X,top}, big <= sum_X (t_{X,top} - g_{X,top}):
 *   top gap:      its sum above + any - big <= its bound
 * Controller indexes (libvirt: at most 255): new controllers are numbered above the highest index
 * in use, so   added <= 255 - maxIndex                                    (tracked)
 * With one gap only (no existing busNr) g_{X,0} = e_X and t_{X,0} = new_X directly. Sizes grow
 * with expanders, never with devices.
 */
import type { CountInstance } from './instance.js';
import { CONTROLLERS, GUEST_BUS_NUMBERS, modelFor, type ControllerRole } from '../src/catalog/index.js';
import { eq, ge, le, mul, sum, type Smt, type Term } from '../src/solver/smt.js';
import { ROLE_COUNTS, type CountKey, type LocVars, type Vars } from './variables.js';

/** The counts whose controllers number a bus (catalog guestBus), each once, in ROLE_COUNTS's order. */
const BUS_COUNTS: readonly CountKey[] = [
  ...new Set((Object.keys(ROLE_COUNTS) as ControllerRole[]).flatMap((role) => (CONTROLLERS[modelFor(role)].guestBus ? ROLE_COUNTS[role] : []))),
];

export const newBuses = (lv: LocVars): Term => sum(BUS_COUNTS.map((k) => lv[k]));

/** Existing expanders with a busNr, by busNr: the gaps above them are 1..m. */
export function busNrGaps(inst: CountInstance): { id: string; busNr: number; range: number; subtree: number }[] {
  return inst.locations
    .flatMap((l) => (l.expander?.existing && l.expander.busNr !== undefined && l.expander.range !== undefined ? [{ id: l.id, busNr: l.expander.busNr, range: l.expander.range, subtree: l.expander.subtree }] : []))
    .sort((a, b) => a.busNr - b.busNr);
}

/**
 * Returns, per new expander location, its g_{X,i} (whether it is numbered in gap i), which the
 * decode reads to give it a busNr there.
 */
export function encodeBusNumbers(inst: CountInstance, v: Vars, smt: Smt): Map<string, Term[]> {
  const all = [...v.loc.values()].map(newBuses);
  smt.require('bus-numbers', undefined, `at most ${GUEST_BUS_NUMBERS} guest bus numbers in the PCI domain (${inst.buses.used} in use already)`, le(sum([String(inst.buses.used), ...all]), String(GUEST_BUS_NUMBERS)));
  smt.require('controller-indexes', undefined, `controller indexes end at 255: ${inst.freeIndexes} left above the highest in use`, le(v.added, String(inst.freeIndexes)));
  const R = v.loc.get('R')!;
  const existing = busNrGaps(inst);
  const addable = [...v.loc.values()].filter((l) => l.loc.id !== 'R' && !l.loc.expander?.existing && l.e !== '0');
  // t[gap] per new expander: the numbers it takes there; g[gap]: whether it is there.
  const nGaps = existing.length + 1;
  const inGap: { t: Term[]; g: Term[] }[] = addable.map((x) => {
    if (nGaps === 1) return { t: [newBuses(x)], g: [x.e] };
    const g = Array.from({ length: nGaps }, (_, i) => smt.int(`gap${i}_${x.loc.id}`, 0, 1));
    const t = Array.from({ length: nGaps }, (_, i) => smt.int(`gapBuses${i}_${x.loc.id}`, 0, GUEST_BUS_NUMBERS));
    smt.assert(eq(sum(g), x.e));
    t.forEach((ti, i) => smt.assert(le(ti, mul(GUEST_BUS_NUMBERS, g[i]!))));
    smt.assert(eq(sum(t), newBuses(x)));
    return { t, g };
  });
  const gaps = new Map(addable.map((x, j) => [x.loc.id, inGap[j]!.g]));
  const taken = (i: number) => inGap.map((x) => x.t[i]!);

  // The top gap's lost number 255 (see above).
  const top = nGaps - 1;
  const topTerms: Term[] = [];
  if (addable.length) {
    const any = smt.int('anyExpander', 0, 1);
    const big = smt.int('bigExpander', 0, 1);
    for (const x of inGap) smt.assert(ge(any, x.g[top]!));
    smt.assert(le(big, sum(inGap.map((x) => `(- ${x.t[top]} ${x.g[top]})`))));
    topTerms.push(any, `(- ${big})`);
  }
  const extra = (i: number) => [...taken(i), ...(i === top ? topTerms : [])];

  if (existing.length === 0) {
    // Only the total counts; the tracked total above names the rule when it is too small.
    if (addable.length) smt.assert(le(sum([String(inst.buses.rootRegion), newBuses(R), ...extra(0)]), String(GUEST_BUS_NUMBERS)));
    return gaps;
  }
  smt.require(
    'bus-region',
    'root',
    `the root hierarchy (and any new expander numbered below ${existing[0]!.busNr}) fits below the lowest existing expander busNr (${existing[0]!.busNr})`,
    le(sum([String(inst.buses.rootRegion), newBuses(R), ...extra(0)]), String(existing[0]!.busNr)),
  );
  existing.forEach((e, k) => {
    const lv = v.loc.get(e.id)!;
    smt.require(
      'bus-region',
      e.id,
      `the expander on node ${lv.loc.node} owns bus numbers ${e.busNr}-${e.busNr + e.range - 1} (with any new expander numbered in that range)`,
      le(sum([String(e.subtree), newBuses(lv), ...extra(k + 1)]), String(e.range)),
    );
  });
  return gaps;
}
