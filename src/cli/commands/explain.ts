import { defineCommand } from 'citty';
import { assignDomain } from '../../assign.js';
import { ConflictError } from '../../errors.js';
import { conflictLines, type Conflict } from '../../explain/conflict.js';
import { explainLayout, reasonLine } from '../../explain/explainLayout.js';
import { validationConflicts } from '../../explain/validationConflicts.js';
import { readDomainFile } from '../io.js';
import { formatArg, policyArgs, resolvePolicy, resolveSolver, resolveTimeout, solverArgs, timeoutArg } from '../options.js';

export default defineCommand({
  meta: { name: 'explain', description: 'Say why a domain has no layout (the smallest set of requirements in conflict), or why its layout needs each controller it adds' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    timeout: timeoutArg('the search and the explanation', 60),
    format: formatArg(['text', 'json'], 'text'),
    ...policyArgs,
    ...solverArgs,
  },
  async run({ args }) {
    const parsed = readDomainFile(args.domain);
    const policy = resolvePolicy(args);
    const file = parsed.domain.file;
    const timeoutMs = resolveTimeout(args.timeout, 60) * 1000;
    const solver = resolveSolver(args);
    const out = (s: string) => process.stdout.write(s);
    const infeasible = (conflicts: Conflict[]) => {
      process.exitCode = 1;
      if (args.format === 'json') return out(`${JSON.stringify({ file, feasible: false, conflicts }, null, 2)}\n`);
      out(`${file}: no layout exists.\n`);
      for (const c of conflicts) out(`${conflictLines(c).join('\n')}\n`);
    };
    const broken = validationConflicts(parsed.domain, policy);
    if (broken.length) return infeasible(broken);
    let result;
    try {
      result = await assignDomain(parsed, { strategy: 'optimal', policy, timeoutMs, solver });
    } catch (e) {
      if (e instanceof ConflictError) return infeasible([e.conflict]);
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
