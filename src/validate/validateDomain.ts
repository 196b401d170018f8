// `pciplan validate`: every rule of the catalog checked against the addresses and controllers as
// written. Returns problems sorted by line so that output reads top to bottom like the file.
import type { Policy } from '../model/schemas.js';
import { buildTopology } from '../model/topology.js';
import type { Domain } from '../model/types.js';
import { checkAddresses } from './addresses.js';
import { checkControllers } from './controllers.js';
import { checkHints, checkPolicySpares } from './hints.js';
import type { Problem, RuleId } from './problems.js';
import { checkBusNumbers, checkChassis, checkHostdevs } from './tree.js';

export interface Validation {
  valid: boolean;
  problems: Problem[];
}

export function validateDomain(domain: Domain, policy: Policy = {}): Validation {
  const topo = buildTopology(domain);
  const problems = [
    ...checkControllers(domain, topo),
    ...checkAddresses(domain, topo),
    ...checkBusNumbers(topo),
    ...checkChassis(topo),
    ...checkHostdevs(domain),
    ...checkHints(domain, topo, policy),
    ...checkPolicySpares(domain, topo, policy),
  ];
  // Stable order: by line, domain-wide problems last; Array.prototype.sort is stable.
  problems.sort((x, y) => (x.line ?? Number.MAX_SAFE_INTEGER) - (y.line ?? Number.MAX_SAFE_INTEGER));
  return { valid: !problems.some((p) => p.severity === 'error'), problems };
}

/**
 * The requirements a layout breaks: hints and the policy's spares (what greedy, which cannot
 * express them, may ignore). Everything else in a layout is a rule, not a requirement.
 */
export const isRequirementRule = (rule: RuleId): boolean => rule.startsWith('hint-') || rule === 'policy-spares';

/** Requirements the layout breaks, waived ones (a warning in the file greedy writes) included. */
export function brokenRequirements(domain: Domain, policy: Policy): Problem[] {
  return validateDomain(domain, policy).problems.filter((p) => (p.severity === 'error' && isRequirementRule(p.rule)) || p.rule === 'hint-waived');
}
