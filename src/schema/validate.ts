// `pciplan validate --format json`.
import { z } from 'zod';
import { RULES, type RuleId } from '../validate/problems.js';
import { deviceName, optionalRuleId, ruleId, schemaVersion } from './common.js';

export const ProblemJson = z.object({
  severity: z.enum(['error', 'warning', 'note']).describe('error: libvirt or the guest refuses it; warning: legal but unwise; note: a device still to be placed'),
  rule: ruleId<RuleId>(`The rule broken (README: What validate checks), e.g. ${Object.keys(RULES).slice(0, 3).join(', ')}; new rules may appear`),
  device: deviceName.optional(),
  line: z.int().min(1).optional(),
  message: z.string(),
  waives: optionalRuleId<RuleId>('On a hint-waived warning: the rule the layout breaks, waived in the file'),
});

export const ValidateJson = z
  .object({
    schemaVersion,
    file: z.string(),
    machine: z.string().describe('The machine type as written (e.g. pc-q35-7.2)'),
    family: z.string().describe('The machine family pciplan reads it as (q35, i440fx, virt, ...)'),
    valid: z.boolean().describe('No problem of severity error'),
    problems: z.array(ProblemJson),
  })
  .meta({ title: 'pciplan validate --format json' });

export type ValidateJson = z.infer<typeof ValidateJson>;
