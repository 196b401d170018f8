// `pciplan assign --format json` (and the `result` of each side of `compare`).
import { z } from 'zod';
import { count, deviceName, pciAddress, schemaVersion } from './common.js';

/** One plan's figures, as assign reports them; compare nests the same object per strategy. */
export const PlanJson = z.object({
  file: z.string().describe('The domain file as named on the command line (stdin for -)'),
  strategy: z.enum(['optimal', 'greedy', 'libvirt']).describe("Who placed the devices: pciplan's optimal search, libvirt's algorithm in pciplan, or real libvirt (compare --libvirt)"),
  devices: z
    .array(
      z.object({
        id: deviceName,
        kind: z.string(),
        address: pciAddress,
        origin: z.enum(['kept', 'assigned', 'added']).describe('kept: the XML gave the address; assigned: the planner chose it; added: a device or controller the plan adds'),
        model: z.string().optional(),
      }),
    )
    .describe('Every PCI function of the written domain (added controllers and implicit devices included), by address'),
  addedControllers: z
    .array(z.object({ index: count, model: z.string(), address: pciAddress.optional() }))
    .describe('Controllers the plan adds (implicit ones first); a root bus has no address'),
  objective: z.object({
    addedControllers: count.describe('Controllers added, the figure the optimal search minimises'),
    busNumbers: count.describe('Guest bus numbers the layout uses'),
  }),
  lowerBound: count.describe('No layout adds fewer controllers than this (0 when nothing is proven)'),
  proven: z.boolean().describe('The optimal search proved that no layout adds fewer controllers'),
  moved: z
    .array(z.object({ id: deviceName, from: z.string(), to: z.string(), why: z.string() }))
    .optional()
    .describe('With a previous layout (--previous): the devices at another address than there, and the requirement that moved each'),
  settings: z
    .array(z.object({ device: deviceName, target: z.object({ hotplug: z.literal('off') }), devices: z.array(deviceName), why: z.string() }))
    .optional()
    .describe("Machine settings the plan changed, each on a controller's <target> (i440fx's pci-root hotplug='off'), the devices that need it, and why; absent when none"),
  ms: z.number().min(0).describe('Wall time of the plan, in milliseconds (not deterministic)'),
});

export const AssignJson = PlanJson.extend({
  schemaVersion,
  ignoredHints: z.array(z.string()).describe('One line per hint the strategy could not honour (greedy ignores them all)'),
  canonical: z.boolean().describe("The layout is the canonical one among the optimal layouts, the same whatever Z3 build or seed (greedy's always is)"),
}).meta({ title: 'pciplan assign --format json' });

export type PlanJson = z.infer<typeof PlanJson>;
export type AssignJson = z.infer<typeof AssignJson>;
