import { defineCommand } from 'citty';
import { assignDomain } from '../../assign.js';
import { ConflictError, inputError } from '../../errors.js';
import { explainDomain, infeasibleLines, type Infeasible } from '../../explain/explainDomain.js';
import { explainLayout, reasonLine } from '../../explain/explainLayout.js';
import { readDomainFile } from '../io.js';
import { formatArg, policyArgs, resolvePolicy, resolveSolver, resolveTimeout, solverArgs, timeoutArg } from '../options.js';

export default defineCommand({
  meta: { name: 'explain', description: 'Say why a domain has no layout (every independent conflict, and the smallest fix), or why its layout needs each controller it adds' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    timeout: timeoutArg('the search and the explanation', 60),
    'max-conflicts': { type: 'string', description: 'Report at most N independent conflicts (default 10)', valueHint: 'N' },
    format: formatArg(['text', 'json'], 'text'),
    ...policyArgs,
    ...solverArgs,
  },
  async run({ args }) {
    const maxRaw = args['max-conflicts'] ?? '10';
    if (!/^[1-9]\d*$/.test(maxRaw)) throw inputError(undefined, `--max-conflicts must be a positive whole number, got '${maxRaw}'`);
    const parsed = readDomainFile(args.domain);
    const policy = resolvePolicy(args);
    const file = parsed.domain.file;
    const timeoutMs = resolveTimeout(args.timeout, 60) * 1000;
    const solver = resolveSolver(args);
    const out = (s: string) => process.stdout.write(s);
    const infeasible = (r: Infeasible) => {
      process.exitCode = 1;
      if (args.format === 'json') return out(`${JSON.stringify({ file, feasible: false, complete: r.complete, conflicts: r.conflicts, fixes: r.fixes }, null, 2)}\n`);
      out(`${infeasibleLines(file, r).join('\n')}\n`);
    };
    const start = performance.now();
    const why = await explainDomain(parsed, policy, { timeoutMs, maxConflicts: Number(maxRaw), solver });
    if (why) return infeasible(why);
    let result;
    try {
      result = await assignDomain(parsed, { strategy: 'optimal', policy, timeoutMs: Math.max(1_000, timeoutMs - (performance.now() - start)), solver });
    } catch (e) {
      // Not answered in time by the feasibility check, and no layout after all.
      if (e instanceof ConflictError) return infeasible({ conflicts: [e.conflict], complete: false, stopped: 'time', fixes: [] });
      throw e;
    }
    const reasons = explainLayout(result, policy);
    const n = result.objective.addedControllers;
    const proof = result.proven ? 'proven optimal' : `not proven optimal (none fewer than ${result.lowerBound})`;
    if (args.format === 'json') {
      out(`${JSON.stringify({ file, feasible: true, addedControllers: n, lowerBound: result.lowerBound, proven: result.proven, reasons }, null, 2)}\n`);
      return;
    }
    out(`${file}: a layout exists with ${n} controller${n === 1 ? '' : 's'} added, ${proof}.\n`);
    for (const r of reasons) out(`  - ${reasonLine(r)}\n`);
  },
});
