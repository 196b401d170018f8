/*
 * The count model: every family of encodings/ on one instance, in the order they build on each
 * other (pciSlots' bus-0 terms feed rootBus). Each family declares its own variables and returns
 * them; ModelVars holds them all, typed, so that the search (canonical.ts, src/optimal/solve.ts)
 * and the decode (src/optimal/decode.ts) read a variable as what it is, never by a name rebuilt
 * from its parts.
 */
import { encodeBusNumbers } from './busNumbers.js';
import { encodeDemand } from './demand.js';
import { encodeExpanders } from './expanders.js';
import type { CountInstance } from './instance.js';
import { encodeObjective } from './objective.js';
import { encodePciSlots, type PciSlotVars } from './pciSlots.js';
import { encodePorts } from './ports.js';
import { encodeRootBus } from './rootBus.js';
import { encodeSpares } from './spares.js';
import { declareVars, type Vars } from './variables.js';
import type { Smt, Term } from '../src/solver/smt.js';

export interface ModelVars extends Vars {
  /** pci-bridges by depth per location, and bus 0's own bridges and spare slots (pciSlots.ts). */
  pciSlots: PciSlotVars;
  /** Per new expander location, whether it is numbered in bus-number gap i (busNumbers.ts). */
  busGaps: ReadonlyMap<string, readonly Term[]>;
}

export function encodeCountModel(inst: CountInstance, smt: Smt): { vars: ModelVars; lowerBound: number; trusted: number } {
  const vars = declareVars(inst, smt);
  encodeDemand(inst, vars, smt);
  encodePorts(inst, vars, smt);
  const pciSlots = encodePciSlots(inst, vars, smt);
  encodeRootBus(inst, vars, smt, pciSlots);
  encodeExpanders(inst, vars, smt);
  const busGaps = encodeBusNumbers(inst, vars, smt);
  encodeSpares(inst, vars, smt);
  const { lowerBound, trusted } = encodeObjective(inst, vars, smt);
  return { vars: { ...vars, pciSlots, busGaps }, lowerBound, trusted };
}
