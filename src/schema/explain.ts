// `pciplan explain --format json`: either the smallest set of requirements in conflict, or why
// the layout adds each controller it adds.
import { z } from 'zod';
import { count, deviceName, schemaVersion } from './common.js';

export const RequirementJson = z.object({
  rule: z.string().describe('hint-*, default-hotplug, policy-*, place, or the validator rule a given address breaks'),
  devices: z.array(deviceName),
  text: z.string(),
});

export const ConflictJson = z.object({
  requirements: z.array(RequirementJson).describe('Requirements a person could change; dropping any one leaves a domain with a layout'),
  facts: z.array(z.string()).describe('What cannot change: the machine, the layout as given'),
  minimal: z.literal(false).optional().describe('Present when the time budget ran out before the conflict was minimised'),
});

export const ReasonJson = z.object({
  model: z.string(),
  count: count,
  indexes: z.array(count),
  reason: z.string(),
  devices: z.array(deviceName),
});

const Infeasible = z.object({ schemaVersion, file: z.string(), feasible: z.literal(false), conflicts: z.array(ConflictJson) });
const Feasible = z.object({
  schemaVersion,
  file: z.string(),
  feasible: z.literal(true),
  addedControllers: count,
  lowerBound: count,
  proven: z.boolean(),
  reasons: z.array(ReasonJson),
});

export const ExplainJson = z.discriminatedUnion('feasible', [Infeasible, Feasible]).meta({ title: 'pciplan explain --format json' });

export type ConflictJson = z.infer<typeof ConflictJson>;
export type ExplainJson = z.infer<typeof ExplainJson>;
