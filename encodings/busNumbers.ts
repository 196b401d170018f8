/*
 * Guest bus numbers (QEMU docs/pcie.txt section 4): every root port, switch port, bridge and
 * expander numbers one bus; a PCI domain has 256, bus 0 included.
 *
 *   new_L = rp_L + ro_L + sw_L + dp_L + df_L + br_L + pb_L + dm_L + e_L
 *   used + sum_L new_L <= 256                                            (tracked)
 * An expander owns the numbers from its busNr up to the next expander's busNr; the root hierarchy
 * owns those below the lowest busNr. New expanders are numbered below the existing ones, so:
 *   rootRegion + new_R + sum_{new X} (subtree_X) <= lowestBusNr          (tracked)
 * and, with no expander yet, busNr may not exceed 254 (libvirt's range). The top expander gets
 * busNr = min(254, 256 - subtree): number 255 is lost only when no new expander has children
 * (subtree 1). With any in {0,1}, any >= e_X, and big in {0,1}, big <= sum_X (new_X - e_X):
 *   rootRegion + new_R + sum_{new X} new_X + any - big <= 256
 *   existing X with busNr:  subtree_X + new_X <= range_X                 (tracked)
 */
import type { Instance } from '../src/optimal/instance.js';
import { GUEST_BUS_NUMBERS } from '../src/catalog/index.js';
import { ge, le, sum, type Smt, type Term } from '../src/solver/smt.js';
import type { LocVars, Vars } from './variables.js';

export const newBuses = (lv: LocVars): Term => sum([lv.rp, lv.ro, lv.sw, lv.dp, lv.df, lv.br, lv.pb, lv.dm, lv.e]);

export function encodeBusNumbers(inst: Instance, v: Vars, smt: Smt): void {
  const all = [...v.loc.values()].map(newBuses);
  smt.require('bus_numbers', `at most ${GUEST_BUS_NUMBERS} guest bus numbers in the PCI domain (${inst.buses.used} in use already)`, le(sum([String(inst.buses.used), ...all]), String(GUEST_BUS_NUMBERS)));
  const R = v.loc.get('R')!;
  const fresh = [...v.loc.values()].filter((l) => l.loc.id !== 'R' && !l.loc.expander?.existing).map(newBuses);
  const freshLocs = [...v.loc.values()].filter((l) => l.loc.id !== 'R' && !l.loc.expander?.existing);
  const addable = freshLocs.filter((x) => x.e !== '0');
  if (inst.buses.lowestBusNr === GUEST_BUS_NUMBERS && addable.length) {
    const any = smt.int('anyExpander', 0, 1);
    const big = smt.int('bigExpander', 0, 1);
    for (const x of addable) smt.assert(ge(any, x.e));
    smt.assert(le(big, sum(addable.map((x) => `(- ${newBuses(x)} ${x.e})`))));
    smt.assert(le(sum([String(inst.buses.rootRegion), newBuses(R), ...fresh, any, `(- ${big})`]), String(GUEST_BUS_NUMBERS)));
  }
  if (inst.buses.lowestBusNr < GUEST_BUS_NUMBERS) {
    smt.require(
      'bus_region_root',
      `the root hierarchy and new expanders fit below the lowest existing expander busNr (${inst.buses.lowestBusNr})`,
      le(sum([String(inst.buses.rootRegion), newBuses(R), ...fresh]), String(inst.buses.lowestBusNr)),
    );
  }
  for (const [id, lv] of v.loc) {
    const e = lv.loc.expander;
    if (!e?.existing || e.range === undefined) continue;
    smt.require(`bus_region_${id}`, `the expander on node ${lv.loc.node} owns bus numbers ${e.busNr}-${e.busNr! + e.range - 1}`, le(sum([String(e.subtree), newBuses(lv)]), String(e.range)));
  }
}
