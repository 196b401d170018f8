/*
 * Variables of the count model. Nothing here is per device or per slot: units with the same
 * requirements are a class, and controllers of one model at one location are interchangeable, so
 * only counts matter (docs/count-model.md, Why counts: position-based models are pigeonhole
 * problems).
 *
 * Locations L: 'R' (the root hierarchy), 'X<n>' (under an expander bus on NUMA node n) and
 * 'Xnone' (under an expander with no node, for what bus 0 cannot hold).
 *
 * Per location L, new controllers (all >= 0):
 *   rp_L  hot-pluggable root ports         ro_L  root ports with hotplug='off'
 *   sw_L  switch upstream ports            dp_L  switch downstream ports
 *   df_L  switch downstream ports with hotplug='off'
 *   br_L  pcie-to-pci-bridges              pb_L  pci-bridges
 *   dm_L  dmi-to-pci-bridges               e_L   the expander bus itself (0/1, X only)
 *   k_L   slots of L's root bus holding new root ports (8 per slot, as functions)
 *   spP_L, spS_L  spare hot-pluggable ports / conventional slots left empty at L
 *   ov_L  existing root ports without a slot on bus 0, placed at L (X only)
 * Per class c, placement w and location L:
 *   x_c_w_L  units of c placed so;  u_c_w_L slots (or ports) they take: = x, or ceil(x/8) when packable
 * Placements: int (a slot of pcie.0, for units that are there the kind they ask for), root (a slot of pci.0), port / portOff (a PCIe port with
 * hotplug on / off), bridge (a hot-pluggable conventional slot), dmi (a dmi-to-pci-bridge slot).
 */
import type { CountClass, CountInstance, Location } from './instance.js';
import { expanderRoleFor, modelFor, type ControllerRole } from '../src/catalog/index.js';
import type { Smt, Term } from '../src/solver/smt.js';

export type Placement = 'int' | 'root' | 'port' | 'portOff' | 'bridge' | 'dmi';

export interface LocVars {
  loc: Location;
  rp: Term;
  ro: Term;
  sw: Term;
  dp: Term;
  df: Term;
  br: Term;
  pb: Term;
  dm: Term;
  e: Term;
  k: Term;
  spP: Term;
  spS: Term;
  ov: Term;
}

/** The counts of new controllers at a location. */
export type CountKey = 'rp' | 'ro' | 'sw' | 'dp' | 'df' | 'br' | 'pb' | 'dm' | 'e';

/**
 * The counts that add a controller of each role, at every location ([] = the count model never
 * adds one). Each numbers one guest bus (busNumbers.ts newBuses, in this order), and the decode
 * builds each (src/optimal/decode.ts); a new role must be given its counts here.
 */
export const ROLE_COUNTS: Record<ControllerRole, readonly CountKey[]> = {
  'root-port': ['rp', 'ro'],
  'switch-upstream': ['sw'],
  'switch-downstream': ['dp', 'df'],
  'express-to-conventional-bridge': ['br'],
  'conventional-bridge': ['pb'],
  'dmi-bridge': ['dm'],
  'conventional-expander': ['e'],
  'express-expander': ['e'],
  'conventional-root': [],
  'express-root': [],
};

export interface Assignment {
  cls: CountClass;
  w: Placement;
  loc: string;
  x: Term;
  u: Term;
}

export interface Vars {
  loc: Map<string, LocVars>;
  assignments: Assignment[];
  /** Added controllers: the objective. */
  added: Term;
}

/** Which locations a class may use: its NUMA node's expander, or (without a node) any. */
export function locationsFor(inst: CountInstance, c: CountClass): readonly Location[] {
  if (c.integrated) return inst.locations.filter((l) => l.id === 'R');
  if (c.numa !== undefined) return inst.locations.filter((l) => l.node === c.numa);
  return inst.locations;
}

/**
 * The placements a class allows at a location (the hotplug, bus-type and NUMA requirements;
 * hotplug=no: no 'port' or 'bridge', @rule hotplug-no).
 */
export function placementsFor(inst: CountInstance, c: CountClass, l: Location): Placement[] {
  const hp = c.hotplug;
  if (inst.rootKind === 'conventional-root') {
    // Without a PCI Express root there are only conventional slots: a bus='pcie' unit has none.
    if (c.kind === 'pcie') return [];
    const out: Placement[] = [];
    if (l.id === 'R' && (hp === undefined || hp === inst.root.hotplug)) out.push('root');
    if (!c.integrated && c.kind === 'pci' && hp !== false) out.push('bridge');
    return out;
  }
  if (c.integrated) return l.id === 'R' ? ['int'] : [];
  const out: Placement[] = [];
  // Straight on pcie.0 only where the unit is there the bus kind it asks for (virtio is then
  // conventional PCI, vfio PCI Express: catalog ROOT_COMPLEX_FUNCTION).
  if (l.id === 'R' && hp !== true && c.onRoot) out.push('int');
  if (c.kind === 'pcie') {
    if (hp !== false) out.push('port');
    if (hp !== true) out.push('portOff');
  } else {
    if (hp !== false) out.push('bridge');
    if (hp !== true && inst.allowed.has(modelFor('dmi-bridge'))) out.push('dmi');
  }
  return out;
}

/**
 * Upper bounds that every optimal layout meets (a controller nobody uses is never worth adding):
 * they keep Z3's search small. Per location: the units that may go there, the spares, and the
 * bridges those units could need.
 */
function bounds(inst: CountInstance, l: Location) {
  const units = (kind: 'pci' | 'pcie') => inst.classes.filter((c) => c.kind === kind && locationsFor(inst, c).includes(l)).reduce((n, c) => n + c.units.length, 0);
  const pcie = units('pcie');
  const pci = units('pci');
  const bridges = Math.ceil((pci + inst.spares.slots) / 31) + 1;
  const switches = Math.min(8, Math.ceil((pcie + inst.spares.ports) / 31) + 1);
  const ports = pcie + inst.spares.ports + bridges + switches + inst.overflowRootPorts.length;
  return { ports: Math.min(255, ports), switches, bridges: Math.min(255, bridges), dmi: Math.min(255, Math.ceil((pci + bridges) / 32) + 1) };
}

/** Declare every variable; models the policy or machine forbids are fixed at 0. */
export function declareVars(inst: CountInstance, smt: Smt): Vars {
  const can = (role: ControllerRole) => inst.allowed.has(modelFor(role));
  const loc = new Map<string, LocVars>();
  const pcie = inst.rootKind === 'express-root';
  for (const l of inst.locations) {
    const id = l.id;
    const isX = id !== 'R';
    const b = bounds(inst, l);
    const offUnits = inst.classes.some((c) => c.kind === 'pcie' && c.hotplug !== true && locationsFor(inst, c).includes(l));
    const v = (name: string, allowed: boolean, hi?: number) => (allowed && hi !== 0 ? smt.int(`${name}_${id}`, 0, hi) : '0');
    loc.set(id, {
      loc: l,
      rp: v('rp', pcie && can('root-port'), b.ports),
      // hotplug='off' root ports serve only units that must not be hot-pluggable; switches and
      // bridges sit as well on the plain ones, which cost the same.
      ro: v('ro', pcie && can('root-port') && offUnits, b.ports),
      df: v('df', pcie && can('switch-downstream') && can('switch-upstream') && offUnits, b.ports),
      sw: v('sw', pcie && can('switch-upstream'), b.switches),
      dp: v('dp', pcie && can('switch-downstream'), b.ports),
      br: v('br', pcie && can('express-to-conventional-bridge'), b.bridges),
      pb: v('pb', can('conventional-bridge'), b.bridges),
      dm: v('dm', pcie && can('dmi-bridge'), b.dmi),
      e: v('e', isX && !l.expander?.existing && can(expanderRoleFor(inst.rootKind)), 1),
      k: v('k', pcie, 32),
      // Spares above the required count are never needed at one place.
      spP: v('spP', pcie, inst.spares.ports),
      spS: v('spS', true, inst.spares.slots),
      ov: v('ov', pcie && isX && inst.overflowRootPorts.length > 0, inst.overflowRootPorts.length),
    });
  }
  const assignments: Assignment[] = [];
  inst.classes.forEach((c, ci) => {
    for (const l of locationsFor(inst, c)) {
      for (const w of placementsFor(inst, c, l)) {
        const x = smt.int(`x${ci}_${w}_${l.id}`, 0, c.units.length);
        const u = c.packable ? smt.int(`u${ci}_${w}_${l.id}`, 0, c.units.length) : x;
        assignments.push({ cls: c, w, loc: l.id, x, u });
      }
    }
  });
  return { loc, assignments, added: smt.int('added', 0, 256) };
}
