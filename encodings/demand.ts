/*
 * Demand: every unit is placed exactly once.
 *
 *   for each class c:   sum_{w, L} x_c_w_L = |c|
 *   packing (policy packFunctions, single-function units that need no hotplug):
 *                       8 u_c_w_L >= x_c_w_L,  u_c_w_L <= x_c_w_L
 *
 * Sound because units of a class are interchangeable: any assignment of |c| concrete units to the
 * counted places meets the same requirements. Packed units share slots 8 to a slot; the slots
 * they take (u) is what the capacity families below count. Each class's demand is tracked, so
 * that an unsat core names the devices whose requirements cannot be met.
 */
import type { CountClass, CountInstance } from './instance.js';
import { eq, ge, le, mul, sum, type Smt } from '../src/solver/smt.js';
import type { Vars } from './variables.js';
import { smtName } from '../src/rules.js';

export function describeClass(c: CountClass): string {
  const hp = c.hotplug === undefined ? '' : c.hotplug ? ', hotplug=yes' : ', hotplug=no';
  const numa = c.numa === undefined ? '' : `, NUMA node ${c.numa}`;
  const names = c.units.map((u) => (u.devices.length > 1 ? `group '${u.devices[0]!.hints.group}'` : u.devices[0]!.id));
  const shown = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  return `${c.integrated ? 'integrated ' : ''}${c.kind === 'pcie' ? 'PCIe' : 'PCI'}${hp}${numa}: ${shown}`;
}

/** Returns the name of each class's tracked demand, by class index: what an unsat core names. */
export function encodeDemand(inst: CountInstance, v: Vars, smt: Smt): string[] {
  return inst.classes.map((c, ci) => {
    const xs = v.assignments.filter((a) => a.cls === c);
    smt.require('demand', ci, `place ${c.units.length === 1 ? 'the unit' : `all ${c.units.length} units`} (${describeClass(c)})`, eq(sum(xs.map((a) => a.x)), String(c.units.length)));
    for (const a of xs) {
      if (a.u === a.x) continue;
      smt.assert(ge(mul(8, a.u), a.x));
      smt.assert(le(a.u, a.x));
    }
    return smtName('demand', ci);
  });
}
