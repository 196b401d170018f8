/*
 * PCIe ports and switches at each location L.
 *
 *   HP_L  = rp_L + dp_L + hpPorts_L                 (hot-pluggable ports, new and existing free)
 *   OFF_L = ro_L + df_L + offPorts_L                (ports with hotplug='off')
 *   HP_L  >= sum_c u_c_port_L + spP_L               (hotplug=yes units, spares)
 *   OFF_L >= sum_c u_c_portOff_L                    (hotplug=no units on ports)
 *   HP_L + OFF_L >= sum_c (u_c_port_L + u_c_portOff_L) + spP_L + sw_L + br_L
 *                                                   (a port holds one unit, a switch's upstream
 *                                                    port, a pcie-to-pci-bridge, or stays spare)
 *   dp_L + df_L <= 32 sw_L + upstreamFree_L         (32 downstream ports per switch)
 *   sw_L <= 8 (rp_L + ro_L + ov_L + hpPorts_L + offPorts_L)
 *                                                   (switches hang, ultimately, from a root port;
 *                                                    8 switches already exceed the bus numbers)
 *
 * Sound and complete: given counts meeting these, put hotplug=no units on off ports, hotplug=yes
 * units and spares on hot-pluggable ports, and switches and bridges on what is left; chain
 * switches from a root port down. Any real layout meets them. Units need a whole port (a
 * multifunction group uses the functions of the port's one slot).
 */
import type { CountInstance } from './instance.js';
import { ge, le, mul, sum, type Smt } from '../src/solver/smt.js';
import type { Vars } from './variables.js';

export function encodePorts(inst: CountInstance, v: Vars, smt: Smt): void {
  if (inst.rootKind !== 'express-root') return;
  for (const [id, lv] of v.loc) {
    const on = v.assignments.filter((a) => a.loc === id && a.w === 'port').map((a) => a.u);
    const off = v.assignments.filter((a) => a.loc === id && a.w === 'portOff').map((a) => a.u);
    const hp = sum([lv.rp, lv.dp, String(lv.loc.hpPorts)]);
    const offPorts = sum([lv.ro, lv.df, String(lv.loc.offPorts)]);
    smt.assert(ge(hp, sum([...on, lv.spP])));
    smt.assert(ge(offPorts, sum(off)));
    smt.assert(ge(sum([hp, offPorts]), sum([...on, ...off, lv.spP, lv.sw, lv.br])));
    smt.assert(le(sum([lv.dp, lv.df]), sum([mul(32, lv.sw), String(lv.loc.upstreamFree)])));
    smt.assert(le(lv.sw, mul(8, sum([lv.rp, lv.ro, lv.ov, String(lv.loc.hpPorts + lv.loc.offPorts)]))));
  }
}
