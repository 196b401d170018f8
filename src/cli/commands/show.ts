import { defineCommand } from 'citty';
import { show } from '../../api/show.js';
import { readDomainFile } from '../io.js';
import { formatArg, policyArgs, resolvePolicy, resolveSolver, solverArgs } from '../options.js';

export default defineCommand({
  meta: { name: 'show', description: 'Draw the PCI tree of a domain (as written, or as a strategy would lay it out)' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    strategy: { type: 'enum', options: ['optimal', 'greedy'], description: 'Show the layout this strategy gives instead of the one written' },
    compare: { type: 'boolean', description: 'Show the greedy (libvirt) and the optimal layout side by side' },
    format: formatArg(['tree', 'dot', 'svg', 'html'], 'tree'),
    previous: { type: 'string', description: 'An earlier layout: mark the devices at another address than in it (with --strategy optimal, its addresses are kept as by assign --previous)', valueHint: 'OLD.xml' },
    ...policyArgs,
    ...solverArgs,
  },
  async run({ args }) {
    const strategy = args.strategy === 'greedy' || args.strategy === 'optimal' ? args.strategy : undefined;
    const parsed = readDomainFile(args.domain);
    const policy = resolvePolicy(args);
    const previous = typeof args.previous === 'string' ? readDomainFile(args.previous) : undefined;
    const report = await show(parsed, { policy, solver: resolveSolver(args), compare: !!args.compare, format: args.format, ...(strategy ? { strategy } : {}), ...(previous ? { previous } : {}) });
    process.stdout.write(report.output);
  },
});
