import { defineCommand } from 'citty';
import { explain } from '../../api/explain.js';
import { conflictLines } from '../../explain/conflict.js';
import { reasonLine } from '../../explain/explainLayout.js';
import { readDomainFile } from '../io.js';
import { formatArg, json, policyArgs, resolvePolicy, resolveSolver, resolveTimeout, solverArgs, timeoutArg } from '../options.js';

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
    const report = await explain(parsed, { policy: resolvePolicy(args), timeoutMs: resolveTimeout(args.timeout, 60) * 1000, solver: resolveSolver(args) });
    const out = (s: string) => process.stdout.write(s);
    if (!report.feasible) process.exitCode = 1;
    if (args.format === 'json') return out(json(report));
    if (!report.feasible) {
      out(`${report.file}: no layout exists.\n`);
      for (const c of report.conflicts) out(`${conflictLines(c).join('\n')}\n`);
      return;
    }
    const n = report.addedControllers;
    const proof = report.proven ? 'proven optimal' : `not proven optimal (none fewer than ${report.lowerBound})`;
    out(`${report.file}: a layout exists with ${n} controller${n === 1 ? '' : 's'} added, ${proof}.\n`);
    for (const r of report.reasons) out(`  - ${reasonLine(r)}\n`);
  },
});
