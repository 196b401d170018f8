// The generated domains the generate suites check: every family on every machine it makes sense
// on, at moderate sizes, plus one domain near the PCI limits and one past them per family.
import { FAMILIES, MACHINES, type Family, type MachineName } from '../../src/generate/index.js';

export interface Case {
  family: Family;
  machine: MachineName;
  devices: number;
  /** true: counting proves no layout exists (generateDomain must say so); false: a layout exists. */
  exceeds: boolean;
}

/** mixed needs slots the guest cannot hot-unplug from; i440fx (pc) has none. */
export const REFUSED: readonly { family: Family; machine: MachineName }[] = [{ family: 'mixed', machine: 'pc' }];

export const combos = FAMILIES.flatMap((family) =>
  MACHINES.filter((machine) => !REFUSED.some((r) => r.family === family && r.machine === machine)).map((machine) => ({ family, machine })),
);

export const MODERATE = [8, 40, 150];

/**
 * Near the limit: the largest sizes of each family that still have a layout (hotplug-heavy on virt
 * at 253 uses all 256 bus numbers; libvirt gives up on all of these q35/virt ones), and one big
 * conventional domain on pc.
 */
export const NEAR_LIMIT: readonly Case[] = [
  { family: 'hotplug-heavy', machine: 'virt', devices: 253, exceeds: false },
  { family: 'hotplug-heavy', machine: 'q35', devices: 250, exceeds: false },
  { family: 'mixed', machine: 'q35', devices: 300, exceeds: false },
  { family: 'legacy', machine: 'q35', devices: 1000, exceeds: false },
  { family: 'numa', machine: 'q35', devices: 256, exceeds: false },
  { family: 'multifunction', machine: 'virt', devices: 800, exceeds: false },
  { family: 'fragmented', machine: 'q35', devices: 250, exceeds: false },
  { family: 'cloud', machine: 'q35', devices: 240, exceeds: false },
  { family: 'hotplug-heavy', machine: 'pc', devices: 1200, exceeds: false },
];

/** Past the limits: more hot-pluggable PCI Express units than ports, more conventional units than slots. */
export const BEYOND: readonly Case[] = [
  { family: 'hotplug-heavy', machine: 'q35', devices: 300, exceeds: true },
  { family: 'cloud', machine: 'virt', devices: 300, exceeds: true },
  { family: 'multifunction', machine: 'q35', devices: 1500, exceeds: true },
  { family: 'legacy', machine: 'pc', devices: 8300, exceeds: true },
];

export const ALL_CASES: readonly Case[] = [
  ...combos.flatMap(({ family, machine }) => MODERATE.map((devices) => ({ family, machine, devices, exceeds: false }))),
  ...NEAR_LIMIT,
  ...BEYOND,
];

export const SEED = 2026;
