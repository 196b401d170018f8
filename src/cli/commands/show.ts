import { defineCommand } from 'citty';
import { assignDomain, type Strategy } from '../../assign.js';
import { inputError, PciplanError } from '../../errors.js';
import { renderDot } from '../../report/dot.js';
import { renderHtml } from '../../report/html.js';
import { renderSvg } from '../../report/svg.js';
import { renderPciTree } from '../../report/tree.js';
import { failedView, strategyView, writtenView, type View } from '../../report/views.js';
import { readDomainFile } from '../io.js';
import type { Domain } from '../../model/types.js';
import { walkTree } from '../../report/pciTree.js';
import { movedSince } from '../../stable/moves.js';
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
    if (args.compare && args.strategy) throw inputError(undefined, '--compare shows both strategies; leave out --strategy');
    const parsed = readDomainFile(args.domain);
    const policy = resolvePolicy(args);
    const previous = typeof args.previous === 'string' ? readDomainFile(args.previous) : undefined;
    const solver = resolveSolver(args);
    // assignDomain leaves the parsed document as it was: both strategies start from the same one.
    const layout = async (strategy: Strategy, key = '') => {
      const r = await assignDomain(parsed, { strategy, policy, solver, ...(previous && strategy === 'optimal' ? { previous } : {}) });
      return markMoved(strategyView(r, policy, key), r.domain);
    };
    // Side by side, one strategy failing is part of the answer (libvirt's greedy often does).
    const side = (strategy: Strategy): Promise<View | PciplanError> =>
      layout(strategy, strategy).catch((e: unknown) => {
        if (e instanceof PciplanError && e.kind === 'invalid') return e;
        throw e;
      });
    let views: View[];
    if (args.compare) {
      const [greedy, optimal] = [await side('greedy'), await side('optimal')];
      // Neither gives a layout: there is nothing to compare, and the optimal side says why.
      if (optimal instanceof PciplanError && greedy instanceof PciplanError) throw optimal;
      views = (['greedy', 'optimal'] as const).map((k, i) => {
        const v = [greedy, optimal][i]!;
        return v instanceof PciplanError ? failedView(parsed.domain, k, v.message, policy, k) : v;
      });
    } else if (args.strategy) views = [await layout(args.strategy === 'greedy' ? 'greedy' : 'optimal')];
    else {
      views = [markMoved(writtenView(parsed.domain, policy), parsed.domain)];
    }
    function markMoved(v: View, layout: Domain): View {
      if (!previous) return v;
      const moved = movedSince(previous.domain, layout);
      for (const { node } of walkTree(v.tree)) if (moved.has(node.id)) node.movedFrom = moved.get(node.id)!;
      return v;
    }
    const title = `pciplan show: ${parsed.domain.name} (${parsed.domain.machineName})`;
    switch (args.format) {
      case 'dot':
        process.stdout.write(renderDot(views));
        break;
      case 'svg':
        process.stdout.write(await renderSvg(views));
        break;
      case 'html':
        process.stdout.write(await renderHtml(views, title));
        break;
      default:
        process.stdout.write(views.length === 1 ? renderPciTree(views[0]!.tree) : views.map((v) => `== ${v.heading} ==\n${renderPciTree(v.tree)}`).join('\n'));
    }
  },
});
