// `explain` on a domain that has no layout: every independent conflict, then the smallest fix and
// the fixes the user may not know, each planned. The input's own faults (a given address that
// breaks a rule) come first and alone: nothing can be planned around them.
import { countedConflict, implicitOf, optimalInputOf } from '../assign.js';
import type { ParsedDomain } from '../model/parseDomain.js';
import { decideRootHotplug } from '../model/rootHotplug.js';
import type { Policy } from '../model/schemas.js';
import type { SolverChoice } from '../solver/session.js';
import { conflictLines, requirementLine, type Conflict } from '../conflict.js';
import { explainConflicts, type Stopped } from './explainConflict.js';
import { smallestFixes, type Fix } from './fixes.js';
import { validationConflicts } from '../validate/inputFaults.js';

/** Devices above which a conflict counting proves is not searched further (see explainDomain). */
export const SEARCH_LIMIT = 5_000;

export interface Infeasible {
  conflicts: Conflict[];
  /** Every independent conflict is listed. */
  complete: boolean;
  stopped?: Stopped | 'input-faults' | 'counting';
  fixes: Fix[];
  /** The budget ran out before the smallest fix was found. */
  fixesIncomplete?: true;
}

export interface ExplainDomainOptions {
  timeoutMs: number;
  maxConflicts?: number;
  solver?: SolverChoice;
}

/** Why `parsed` has no layout, or undefined when it has one (or the search could not tell in time). */
export async function explainDomain(input: ParsedDomain, policy: Policy, opts: ExplainDomainOptions): Promise<Infeasible | undefined> {
  // What assign plans: the domain with the root bus hotplug it would choose.
  const { parsed } = decideRootHotplug(input, policy);
  const broken = validationConflicts(parsed.domain, policy);
  if (broken.length) return { conflicts: broken, complete: true, stopped: 'input-faults', fixes: [] };
  const deadline = performance.now() + opts.timeoutMs;
  // Past SEARCH_LIMIT devices, counting's proof (when it has one) is the answer: libvirt's layout
  // and each check of the search are linear in the devices, or worse.
  const counted = parsed.domain.devices.length > SEARCH_LIMIT ? countedConflict(parsed, implicitOf(parsed), policy) : undefined;
  if (counted) return { conflicts: [counted], complete: false, stopped: 'counting', fixes: [] };
  const report = await explainConflicts(optimalInputOf(parsed, policy), opts);
  if (report.conflicts.length === 0) return undefined;
  const { fixes, incomplete } = await smallestFixes(parsed, policy, report, deadline);
  return {
    conflicts: report.conflicts,
    complete: report.stopped === undefined,
    ...(report.stopped ? { stopped: report.stopped } : {}),
    fixes,
    ...(incomplete ? { fixesIncomplete: true as const } : {}),
  };
}

const STOPPED: Record<NonNullable<Infeasible['stopped']>, string> = {
  time: 'not complete: the time budget ran out (raise --timeout); there may be more conflicts',
  'max-conflicts': 'not complete: --max-conflicts reached; there are more conflicts',
  blocked: 'not complete: no requirement of the last conflict can be lifted; others may follow once it is fixed',
  'input-faults': 'fix the input first: no layout is searched around an address or controller that breaks a rule',
  counting: `not complete: past ${SEARCH_LIMIT} devices only what counting proves is reported`,
};

function fixLines(f: Fix, first: boolean): string[] {
  const n = f.addedControllers;
  const layout = `a layout with ${n} controller${n === 1 ? '' : 's'} added exists${f.proven ? ' (proven optimal)' : ''}`;
  const head = f.lift.length === 0 ? `${layout} as written` : `${first ? 'smallest fix' : 'or'}: lift ${f.lift.length === 1 ? 'this' : 'these'}, and ${layout}:`;
  return [head, ...f.lift.map((r) => `  - ${requirementLine(r)}`)];
}

/** The text `explain` prints: the conflicts, then the fixes. */
export function infeasibleLines(file: string, r: Infeasible): string[] {
  const lines = [`${file}: no layout exists.`];
  const many = r.conflicts.length > 1;
  if (many) lines.push(`${r.conflicts.length} independent conflicts (they share no requirement: each needs a fix of its own):`);
  r.conflicts.forEach((c, i) => {
    const body = conflictLines(c);
    lines.push(...(many ? [`${i + 1}. ${body[0]}`, ...body.slice(1)] : body));
  });
  if (r.stopped) lines.push(STOPPED[r.stopped]);
  r.fixes.forEach((f, i) => lines.push(...fixLines(f, i === 0)));
  if (r.fixesIncomplete) lines.push('no fix found within the time budget (raise --timeout)');
  return lines;
}
