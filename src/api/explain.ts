// explain(domain, options): why a domain has no layout (the smallest set of requirements in
// conflict), or why its layout adds each controller it adds.
import { ConflictError } from '../errors.js';
import type { Conflict } from '../explain/conflict.js';
import { SCHEMA_VERSION, type ExplainJson } from '../schema/index.js';
import { checkPolicy, checkSolver, checkTimeout, domainOf, type DomainInput, type DomainOptions, type SearchOptions } from './options.js';

export type ExplainOptions = DomainOptions & SearchOptions;

/** The fields of `pciplan explain --format json` (discriminated by `feasible`). */
export type ExplainReport = ExplainJson;

export async function explain(domain: DomainInput, options: ExplainOptions = {}): Promise<ExplainReport> {
  const parsed = domainOf(domain, options);
  const policy = checkPolicy(options.policy);
  const timeoutMs = checkTimeout(options.timeoutMs, 60_000);
  const solver = checkSolver(options.solver);
  const file = parsed.domain.file;
  const [{ assignDomain }, { explainLayout }, { validationConflicts }] = await Promise.all([
    import('../assign.js'),
    import('../explain/explainLayout.js'),
    import('../explain/validationConflicts.js'),
  ]);
  const infeasible = (conflicts: Conflict[]): ExplainReport => ({ schemaVersion: SCHEMA_VERSION, file, feasible: false, conflicts });
  const broken = validationConflicts(parsed.domain, policy);
  if (broken.length) return infeasible(broken);
  let result;
  try {
    result = await assignDomain(parsed, { strategy: 'optimal', policy, timeoutMs, solver });
  } catch (e) {
    if (e instanceof ConflictError) return infeasible([e.conflict]);
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
