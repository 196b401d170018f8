// Why there is no layout, as data: the requirements a person could change (each names its
// devices and the rule), and the facts of the machine and the given layout they run into. A
// conflict is minimal: dropping any one requirement leaves a domain that has a layout.
// It sits beside errors.ts, below every other module: a ConflictError carries one, and the layers
// that find conflicts (the instance builder, the validator's input faults, explain's search) all
// lie above the errors they throw.
import type { RequirementRule } from './rules.js';

export interface Requirement {
  /**
   * What kind of requirement (src/rules.ts): a hint (hint-hotplug, hint-numa, hint-group), a default
   * (default-hotplug: as hot-pluggable as libvirt makes it, or the policy's hotplug), a policy
   * setting (policy-spares, policy-add-controllers), a device that needs a place (place), a given
   * address (address), the validator rule a given address or controller breaks, or in a fix, a
   * relaxation (bus-pci, root-hotplug-off).
   */
  rule: RequirementRule;
  /** The devices it concerns (kind[alias|target|mac|...]); empty for domain-wide policy. */
  devices: string[];
  /** The requirement in plain words. */
  text: string;
}

export interface Conflict {
  requirements: Requirement[];
  /** What cannot change: the machine's slots and bus numbers, the layout as given. */
  facts: string[];
  /** false when the time budget ran out before every requirement could be tried without. */
  minimal?: false;
  /** Why it is not minimised, when not for the time budget (counting alone proved it). */
  unminimised?: string;
}

export function requirementLine(r: Requirement): string {
  return `${r.text} [${r.rule}]`;
}

/** The lines `explain` prints for a conflict. */
export function conflictLines(c: Conflict): string[] {
  if (c.requirements.length === 0) return ['the domain as written has no layout, whatever is asked of it:', ...c.facts.map((f) => `  - ${f}`)];
  const lines = [
    c.minimal === false
      ? `${c.requirements.length > 1 ? 'these requirements conflict' : 'this requirement cannot be met'} (not minimised: ${c.unminimised ?? 'the time budget ran out; raise --timeout'}):`
      : c.requirements.length > 1
        ? 'these requirements conflict (drop any one and a layout exists):'
        : 'this requirement cannot be met:',
    ...c.requirements.map((r) => `  - ${requirementLine(r)}`),
  ];
  if (c.facts.length) lines.push('given that:', ...c.facts.map((f) => `  - ${f}`));
  return lines;
}

/** The same in one line, for an error message. */
export function conflictSentence(c: Conflict): string {
  const given = c.facts.length ? `, given that ${c.facts.join('; ')}` : '';
  if (c.requirements.length === 0) return `the domain as written cannot be completed: ${c.facts.join('; ')}`;
  const unfinished = c.minimal === false ? ` (not minimised${c.unminimised ? `: ${c.unminimised}` : ' within the time budget'})` : '';
  return `${c.requirements.map(requirementLine).join('; ')}${given}${unfinished}`;
}

/** Device names for a sentence: all of them up to `max`, then how many more. */
export function nameList(names: readonly string[], max = 4): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
