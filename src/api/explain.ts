// explain(domain, options): why a domain has no layout (every independent conflict, and the
// smallest fix), or why its layout adds each controller it adds.
import { ConflictError } from '../errors.js';
import type { Conflict } from '../conflict.js';
import type { Infeasible } from '../explain/explainDomain.js';
import type { Fix } from '../explain/fixes.js';
import { SCHEMA_VERSION } from '../schema/version.js';
import type { ExplainJson } from '../schema/index.js';
import { checkPolicy, checkSolver, checkTimeout, domainOf, type DomainInput, type DomainOptions, type SearchOptions } from './options.js';

type Stopped = NonNullable<Infeasible['stopped']>;

export type ExplainOptions = DomainOptions & SearchOptions & {
  /** Report at most this many independent conflicts (default 10). */
  maxConflicts?: number;
};

/** The fields of `pciplan explain --format json` (discriminated by `feasible`). */
export type ExplainReport = ExplainJson;

export async function explain(domain: DomainInput, options: ExplainOptions = {}): Promise<ExplainReport> {
  const parsed = domainOf(domain, options);
  const policy = checkPolicy(options.policy);
  const timeoutMs = checkTimeout(options.timeoutMs, 60_000);
  const solver = checkSolver(options.solver);
  const file = parsed.domain.file;
  const [{ assignDomain }, { explainLayout }, { explainDomain }] = await Promise.all([
    import('../assign.js'),
    import('../explain/explainLayout.js'),
    import('../explain/explainDomain.js'),
  ]);
  const start = performance.now();
  // Every independent conflict and the smallest fix (explainDomain); a layout's reasons otherwise.
  const why = await explainDomain(parsed, policy, { timeoutMs, solver, ...(options.maxConflicts !== undefined ? { maxConflicts: options.maxConflicts } : {}) });
  const infeasible = (r: { conflicts: Conflict[]; complete: boolean; stopped?: Stopped; fixes: Fix[] }): ExplainReport => ({
    schemaVersion: SCHEMA_VERSION,
    file,
    feasible: false,
    complete: r.complete,
    ...(r.stopped ? { stopped: r.stopped } : {}),
    conflicts: r.conflicts,
    fixes: r.fixes,
  });
  if (why) return infeasible(why);
  let result;
  try {
    result = await assignDomain(parsed, { strategy: 'optimal', policy, timeoutMs: Math.max(1_000, timeoutMs - (performance.now() - start)), solver });
  } catch (e) {
    // Not answered in time by the feasibility check, and no layout after all.
    if (e instanceof ConflictError) return infeasible({ conflicts: [e.conflict], complete: false, stopped: 'time', fixes: [] });
    throw e;
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    file,
    feasible: true,
    addedControllers: result.objective.addedControllers,
    lowerBound: result.lowerBound,
    proven: result.proven,
    reasons: explainLayout(result, policy),
  };
}
