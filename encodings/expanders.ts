/*
 * Expander buses (pcie-expander-bus on q35/virt, pci-expander-bus on pc), one location each.
 * One expander per NUMA node suffices for ports: a pxb-pcie holds 32 slots x 8 root ports, more
 * than the bus numbers allow (symmetry removed by construction). It is an assumption, not a rule
 * of PCI, only for dmi-to-pci-bridges, which take a slot each: more than 31 x 32 conventional
 * units that need not be hot-pluggable at one node might need a second expander, and then an
 * unsat answer is reported as "none proven impossible" (instance.ts expanderLimitMayBind), never
 * as a proof.
 *
 *   e_X in {0, 1}  (fixed 0 where an expander on that node exists; its free slots count instead)
 *   pcie-root:  8 k_X >= rp_X + ro_X + ov_X
 *               k_X + dm_X <= 32 e_X + freeSlots_X
 * Everything else at X hangs from those root ports or dmi bridges (ports.ts, pciSlots.ts), so
 * the expander is forced wherever anything is placed at X; no big-M constraint is needed for it.
 *   existing root ports that found no slot on bus 0: sum_X ov_X = |overflow| (tracked)
 */
import type { CountInstance } from './instance.js';
import { eq, le, mul, sum, type Smt } from '../src/solver/smt.js';
import type { Vars } from './variables.js';

export function encodeExpanders(inst: CountInstance, v: Vars, smt: Smt): void {
  const pcie = inst.rootKind === 'express-root';
  for (const [id, lv] of v.loc) {
    if (id === 'R') continue;
    if (pcie) {
      smt.assert(`(>= ${mul(8, lv.k)} ${sum([lv.rp, lv.ro, lv.ov])})`);
      smt.assert(le(sum([lv.k, lv.dm]), sum([mul(32, lv.e), String(lv.loc.expander?.freeSlots ?? 0)])));
    }
  }
  if (inst.overflowRootPorts.length) {
    const ov = [...v.loc.values()].map((l) => l.ov);
    const names = inst.overflowRootPorts.map((d) => d.id);
    smt.require(
      'overflow-root-ports',
      undefined,
      `place ${names.length} existing pcie-root-port${names.length === 1 ? '' : 's'} bus 0 has no slot for (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}); only an expander bus can take them`,
      eq(sum(ov), String(names.length)),
    );
  }
}
