import { defineCommand } from 'citty';
import { assignDomain } from '../../assign.js';
import { renderTree } from '../../report/tree.js';
import { readDomainFile } from '../io.js';
import { formatArg, policyArgs, resolvePolicy } from '../options.js';

export default defineCommand({
  meta: { name: 'show', description: 'Draw the PCI tree of a domain (as written, or as a strategy would lay it out)' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    strategy: { type: 'enum', options: ['optimal', 'greedy'], description: 'Show the layout this strategy gives instead of the one written' },
    format: formatArg(['tree'], 'tree'),
    ...policyArgs,
  },
  async run({ args }) {
    const parsed = readDomainFile(args.domain);
    const domain = args.strategy
      ? (await assignDomain(parsed, { strategy: args.strategy === 'greedy' ? 'greedy' : 'optimal', policy: resolvePolicy(args) })).domain
      : parsed.domain;
    process.stdout.write(renderTree(domain));
  },
});
