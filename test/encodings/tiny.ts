// Tiny count-model instances written by hand, and one Z3 check of a script, for the tests of each
// constraint family in encodings/: a family is encoded alone on its variables (declareVars), a few
// variables are fixed by the test, and Z3 says whether the family's rule allows that.
import type { CountInstance, CountUnit, Location, Requirements } from '../../encodings/instance.js';
import { declareVars, type Placement, type Vars } from '../../encodings/variables.js';
import type { ControllerModel } from '../../src/catalog/index.js';
import { classify } from '../../src/optimal/instance.js';
import { openSession } from '../../src/solver/backend.js';
import { parseCheck } from '../../src/solver/session.js';
import { eq, Smt, type Term } from '../../src/solver/smt.js';

/**
 * One family encoded alone on the instance's variables: `bare` is the script of the variables
 * without it, so a case the family refuses can be shown to be the family's doing.
 */
export function alone(inst: CountInstance, encode: (inst: CountInstance, v: Vars, smt: Smt) => unknown): { smt: Smt; v: Vars; bare: string } {
  const smt = new Smt();
  const v = declareVars(inst, smt);
  const bare = smt.script();
  encode(inst, v, smt);
  return { smt, v, bare };
}

/** `n` interchangeable units with the same requirements (PCIe, hotplug either, no node, by default). */
export function units(n: number, req: Partial<Requirements> = {}, name = 'dev'): CountUnit[] {
  return Array.from({ length: n }, (_, i) => ({
    devices: [{ id: `${name}${i}`, hints: {} }],
    kind: 'pcie',
    hotplug: undefined,
    numa: undefined,
    integrated: false,
    onRoot: true,
    packable: false,
    ...req,
  }));
}

/** A location with nothing free unless said. */
export const location = (l: Partial<Location> & Pick<Location, 'id'>): Location => ({
  node: undefined,
  hpPorts: 0,
  offPorts: 0,
  upstreamFree: 0,
  hpSlots: 0,
  offSlots: 0,
  pciBuses: 0,
  ...l,
});

/** An expander location on `node` that does not exist yet. */
export const newExpander = (node: number): Location => location({ id: `X${node}`, node, expander: { existing: false, freeSlots: 0, subtree: 0 } });

const Q35_MODELS: ControllerModel[] = ['pcie-root-port', 'pcie-switch-upstream-port', 'pcie-switch-downstream-port', 'pcie-to-pci-bridge', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-expander-bus'];

/**
 * A q35-like instance: pcie-root with no free slot on bus 0, only the root location, no spares,
 * every model allowed, bus 0 the one bus in use. Units are classed as buildInstance classes them.
 */
export function instance(spec: Partial<Omit<CountInstance, 'units' | 'classes'>> & { units?: CountUnit[] } = {}): CountInstance {
  const all = spec.units ?? [];
  return {
    rootKind: 'express-root',
    locations: [location({ id: 'R' })],
    root: { freeSlots: 0, rootPortFns: 0, hotplug: false },
    overflowRootPorts: [],
    spares: { ports: 0, slots: 0 },
    freeIndexes: 255,
    buses: { used: 1, rootRegion: 1, lowestBusNr: 256 },
    allowed: new Set(Q35_MODELS),
    ...spec,
    units: all,
    classes: classify(all),
  };
}

/** The unit count variable of the (only) class placed so at a location. */
export function x(v: Vars, w: Placement, loc = 'R'): Term {
  const a = v.assignments.filter((a) => a.w === w && a.loc === loc);
  if (a.length !== 1) throw new Error(`${a.length} assignments ${w} at ${loc}`);
  return a[0]!.x;
}

/** `term = value` for each pair, as assertions. */
export const fix = (...pairs: [Term, number][]): string => pairs.map(([t, n]) => `(assert ${eq(t, String(n))})\n`).join('');

/**
 * Z3's answer to the model (or a script of it) with `extra` asserted, in a fresh session as the
 * solver uses them. A test of an unsat case also checks the same values on the script of the
 * variables alone (`smt.script()` before the family is encoded): there they are allowed, so it is
 * the family's rule that refuses them.
 */
export async function check(model: Smt | string, extra = ''): Promise<'sat' | 'unsat' | 'unknown'> {
  const script = typeof model === 'string' ? model : model.script();
  const z3 = await openSession();
  try {
    const { answer } = await z3.query(`(set-option :timeout 20000)\n${script}${extra}(check-sat)`, (out) => parseCheck(out), { timeoutMs: 20_000 });
    return answer;
  } finally {
    z3.close();
  }
}
