// What the validator reports. Each problem names the rule it breaks, so that tests and users can
// tell rules apart, and the device (with its line) it is about.
import type { Device } from '../model/types.js';
import { idsOf, type ValidatorRule } from '../rules.js';

/** The validator's rules with their meanings: the validator kind of the registry (src/rules.ts). */
export const RULES = idsOf('validator');
export type RuleId = ValidatorRule;

export interface Problem {
  severity: 'error' | 'warning' | 'note';
  rule: RuleId;
  /** The device's name (kind[...]); absent for problems about the domain as a whole. */
  device?: string;
  line?: number;
  message: string;
  /** On a hint-waived warning: the rule the layout breaks (waived in the file). */
  waives?: RuleId;
}

export function problem(severity: Problem['severity'], rule: RuleId, device: Device | undefined, message: string): Problem {
  return {
    severity,
    rule,
    ...(device ? { device: device.id } : {}),
    ...(device?.line ? { line: device.line } : {}),
    message,
  };
}

export const error = (rule: RuleId, device: Device | undefined, message: string) => problem('error', rule, device, message);
export const warning = (rule: RuleId, device: Device | undefined, message: string) => problem('warning', rule, device, message);
