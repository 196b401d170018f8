// A given layout that breaks a rule has no completion: each broken rule is a conflict of its own,
// between what the XML fixes (an address, a controller) and the rule. A reading of the validator's
// problems, so it lives with the validator: assign, assign --previous (src/stable) and explain
// all refuse an input by it.
import type { Policy } from '../model/schemas.js';
import { addressOf, buildTopology } from '../model/topology.js';
import type { Domain } from '../model/types.js';
import { hintFaults } from './hints.js';
import type { Problem } from './problems.js';
import { validateDomain } from './validateDomain.js';
import type { Conflict } from '../conflict.js';

/**
 * The errors of the input itself. Hints are requirements for the allocator, not faults, until
 * devices are placed: a hint on a device whose address is given is checked as written (nothing
 * will move it). A bus an address names but no controller provides is one the allocator adds.
 */
export function inputFaults(domain: Domain, policy: Policy): Problem[] {
  const { problems } = validateDomain(domain, { ...policy, sparePciePorts: undefined, sparePciSlots: undefined });
  const fixed = new Set(domain.devices.filter((d) => addressOf(d)).map((d) => d.id));
  // A hint no placement can honour (hintFaults) is a fault as soon as it is written.
  const impossible = new Set(hintFaults(domain, buildTopology(domain)).map(faultKey));
  return problems.filter(
    (p) => p.severity === 'error' && p.rule !== 'bus-missing' && (!p.rule.startsWith('hint-') || (p.device !== undefined && fixed.has(p.device)) || impossible.has(faultKey(p))),
  );
}

const faultKey = (p: Problem) => `${p.rule}|${p.device ?? ''}|${p.message}`;

export function validationConflicts(domain: Domain, policy: Policy): Conflict[] {
  return inputFaults(domain, policy).map((p) => ({
    requirements: [{ rule: p.rule, devices: p.device ? [p.device] : [], text: `${p.device ? `${p.device}${p.line ? ` (line ${p.line})` : ''}: ` : p.line ? `line ${p.line}: ` : ''}${p.message}` }],
    facts: [],
  }));
}
