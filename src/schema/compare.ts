// `pciplan compare --format json`: per domain, one side per strategy.
import { z } from 'zod';
import { count, schemaVersion } from './common.js';
import { PlanJson } from './assign.js';

export const SideJson = z.object({
  ok: z.boolean().describe('The strategy gave a layout; when false, error says why'),
  error: z.string().optional(),
  addedControllers: count.optional(),
  byModel: z.record(z.string(), count).optional().describe('Added controllers with an address, by model'),
  busNumbers: count.optional(),
  freeHotplugPorts: count.optional(),
  freeHotplugSlots: count.optional(),
  hintsViolated: count.optional().describe('Hints and policy requirements the layout breaks'),
  proven: z.boolean().optional(),
  ms: z.number().min(0).optional(),
  movedVsPrevious: count.optional().describe('With --previous: devices of the previous layout at another address in this one'),
  result: PlanJson.optional().describe('The plan, with the fields of assign --format json'),
});

export const CompareJson = z
  .object({
    schemaVersion,
    domains: z.array(z.object({ file: z.string(), greedy: SideJson, optimal: SideJson, libvirt: SideJson.optional().describe('With --libvirt') })),
    warnings: z.array(z.string()).describe('Things that limit the comparison (libvirt not available, ...)'),
  })
  .meta({ title: 'pciplan compare --format json' });

export type SideJson = z.infer<typeof SideJson>;
export type CompareJson = z.infer<typeof CompareJson>;
