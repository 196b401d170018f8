// `pciplan explain --format json`: either the smallest set of requirements in conflict, or why
// the layout adds each controller it adds.
import { z } from 'zod';
import type { RequirementRule } from '../rules.js';
import { count, deviceName, ruleId, schemaVersion } from './common.js';

export const RequirementJson = z.object({
  rule: ruleId<RequirementRule>('hint-*, default-hotplug, policy-*, place, or the validator rule a given address breaks'),
  devices: z.array(deviceName),
  text: z.string(),
});

export const ConflictJson = z.object({
  requirements: z.array(RequirementJson).describe('Requirements a person could change; dropping any one leaves a domain with a layout'),
  facts: z.array(z.string()).describe('What cannot change: the machine, the layout as given'),
  minimal: z.literal(false).optional().describe('Present when the time budget ran out before the conflict was minimised'),
  unminimised: z.string().optional().describe('Why the conflict is not minimised, when minimal is false for another reason than the time budget'),
});

export const ReasonJson = z.object({
  model: z.string(),
  count: count,
  indexes: z.array(count),
  reason: z.string(),
  devices: z.array(deviceName),
});

export const FixJson = z.object({
  lift: z.array(RequirementJson).describe('What to change: requirements lifted and relaxations applied (bus-pci, root-hotplug-off), cheapest first'),
  addedControllers: count.describe('Controllers the layout of the fixed domain adds (planned by the optimal allocator)'),
  proven: z.boolean(),
});

const Infeasible = z.object({
  schemaVersion,
  file: z.string(),
  feasible: z.literal(false),
  complete: z.boolean().optional().describe('Every independent conflict is listed (always written; optional for readers of schemaVersion 1)'),
  stopped: z.enum(['time', 'max-conflicts', 'blocked', 'input-faults', 'counting']).optional().describe('Why the list may not be complete'),
  conflicts: z.array(ConflictJson).describe('Independent minimal conflicts: they share no requirement'),
  fixes: z.array(FixJson).optional().describe('The smallest fix first, then fixes by relaxations that lift less (always written)'),
});
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
