import { defineCommand } from 'citty';
import { explain } from '../../api/explain.js';
import { inputError } from '../../errors.js';
import { infeasibleLines } from '../../explain/explainDomain.js';
import { reasonLine } from '../../explain/explainLayout.js';
import { readDomainFile } from '../io.js';
import { formatArg, json, policyArgs, resolvePolicy, resolveSolver, resolveTimeout, solverArgs, timeoutArg } from '../options.js';

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
    const report = await explain(parsed, { policy: resolvePolicy(args), timeoutMs: resolveTimeout(args.timeout, 60) * 1000, solver: resolveSolver(args), maxConflicts: Number(maxRaw) });
    const out = (s: string) => process.stdout.write(s);
    if (!report.feasible) process.exitCode = 1;
    if (args.format === 'json') return out(json(report));
    if (!report.feasible) return out(`${infeasibleLines(report.file, { ...report, complete: report.complete ?? false, fixes: report.fixes ?? [] }).join('\n')}\n`);
    const n = report.addedControllers;
    const proof = report.proven ? 'proven optimal' : `not proven optimal (none fewer than ${report.lowerBound})`;
    out(`${report.file}: a layout exists with ${n} controller${n === 1 ? '' : 's'} added, ${proof}.\n`);
    for (const r of report.reasons) out(`  - ${reasonLine(r)}\n`);
  },
});
