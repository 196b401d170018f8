/*
 * The count model: every family of encodings/ on one instance, in the order they build on each
 * other (pciSlots' bus-0 terms feed rootBus). Each family declares its own variables and returns
 * them; ModelVars holds them all, typed, so that the search (canonical.ts, src/optimal/solve.ts)
 * and the decode (src/optimal/decode.ts) read a variable as what it is, never by a name rebuilt
 * from its parts. The same for the tracked assertions explain reads in an unsat core: which are
 * requirements a person can lift (a class's demand, the spares), the rest being facts.
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

/** The names of the tracked assertions that are requirements (every other tracked one is a fact). */
export interface ModelRequirements {
  /** Each class's demand, by class index. */
  demand: readonly string[];
  /** The spare ports and slots asked for. */
  spares: readonly string[];
}

export function encodeCountModel(inst: CountInstance, smt: Smt): { vars: ModelVars; requirements: ModelRequirements; lowerBound: number; trusted: number } {
  const vars = declareVars(inst, smt);
  const demand = encodeDemand(inst, vars, smt);
  encodePorts(inst, vars, smt);
  const pciSlots = encodePciSlots(inst, vars, smt);
  encodeRootBus(inst, vars, smt, pciSlots);
  encodeExpanders(inst, vars, smt);
  const busGaps = encodeBusNumbers(inst, vars, smt);
  const spares = encodeSpares(inst, vars, smt);
  const { lowerBound, trusted } = encodeObjective(inst, vars, smt);
  return { vars: { ...vars, pciSlots, busGaps }, requirements: { demand, spares }, lowerBound, trusted };
}
