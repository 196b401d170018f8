// What lifting a requirement costs the person who wrote the domain, as data: the smallest fix
// `explain` proposes is the set of lifts with the least total cost that makes a layout exist.
// The order, cheapest first, and why:
//   policy-spares           a spare port or slot not kept: nothing placed changes, only room for
//                           later hot-plugs (libvirt's own default is one spare root port)
//   default-hotplug         hot-pluggability nobody asked for (libvirt's default) left open
//   policy-add-controllers  the policy's list of models pciplan may add, widened
//   bus-pci                 a device that works in either kind of slot placed as conventional PCI
//                           (a relaxation explain tries, not a requirement: see fixes.ts)
//   root-hotplug-off        i440fx's pci.0 made not hot-pluggable (<target hotplug='off'/>)
//   hint-hotplug, hint-numa a hint the user wrote down, dropped
//   hint-group              a multifunction device split into devices: the guest sees another machine
//   place                   a device left out of the domain: the last resort, dearer than every
//                           other lift together (so a fix leaves a device out only when nothing
//                           else helps, and then as few as it can)
// Costs add up: two hints cost more than one, and any number of spares and defaults less than a
// device.
import type { RequirementRule } from '../rules.js';

export const LIFT_COST = {
  'policy-spares': 1,
  'default-hotplug': 2,
  'policy-add-controllers': 4,
  'bus-pci': 8,
  'root-hotplug-off': 8,
  'hint-hotplug': 16,
  'hint-numa': 16,
  'hint-group': 32,
  place: 1_000_000,
} as const satisfies Partial<Record<RequirementRule, number>>;

export type LiftRule = keyof typeof LIFT_COST;

/** The cost of lifting a requirement of this rule (a validator rule, not liftable here, costs as a device). */
export function liftCost(rule: RequirementRule): number {
  return (LIFT_COST as Partial<Record<RequirementRule, number>>)[rule] ?? LIFT_COST.place;
}
