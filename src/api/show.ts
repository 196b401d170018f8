// show(domain, options): the PCI tree of a domain as written, as a strategy lays it out, or both
// strategies side by side; as text, Graphviz DOT, SVG or a self-contained HTML page.
import type { Strategy } from '../assign.js';
import { inputError, PciplanError } from '../errors.js';
import type { Domain } from '../model/types.js';
import type { View } from '../report/views.js';
import { checkPolicy, checkSolver, checkTimeout, domainOf, toParsed, type DomainInput, type DomainOptions, type SearchOptions } from './options.js';

export type ShowFormat = 'tree' | 'dot' | 'svg' | 'html';
export const SHOW_FORMATS: readonly ShowFormat[] = ['tree', 'dot', 'svg', 'html'];

export interface ShowOptions extends DomainOptions, SearchOptions {
  /** Draw the layout this strategy gives instead of the one written. */
  strategy?: Strategy;
  /** Draw the greedy (libvirt) and the optimal layout side by side. */
  compare?: boolean;
  /** Default 'tree' (text). 'svg' and 'html' load Graphviz (WebAssembly) on first use. */
  format?: ShowFormat;
  /** An earlier layout: mark the devices at another address than in it (the optimal strategy keeps its addresses, as assign does). */
  previous?: DomainInput;
}

export interface ShowReport {
  format: ShowFormat;
  /** The picture: text, DOT, SVG or HTML, as the CLI prints it. */
  output: string;
  /** What each picture shows (one, or two with compare). */
  views: { heading: string; addedControllers?: number }[];
}

export async function show(domain: DomainInput, options: ShowOptions = {}): Promise<ShowReport> {
  const format = options.format ?? 'tree';
  if (!SHOW_FORMATS.includes(format)) throw inputError(undefined, `format must be one of ${SHOW_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  if (options.strategy !== undefined && options.strategy !== 'optimal' && options.strategy !== 'greedy') {
    throw inputError(undefined, `strategy must be 'optimal' or 'greedy', got ${JSON.stringify(options.strategy)}`);
  }
  if (options.compare && options.strategy) throw inputError(undefined, '--compare shows both strategies; leave out --strategy');
  const parsed = domainOf(domain, options);
  const policy = checkPolicy(options.policy);
  const timeoutMs = checkTimeout(options.timeoutMs, 30_000);
  const solver = checkSolver(options.solver);
  const previous = options.previous === undefined ? undefined : toParsed(options.previous, 'previous.xml');
  const [{ failedView, strategyView, writtenView }, { walkTree }, { movedSince }] = await Promise.all([
    import('../report/views.js'),
    import('../report/pciTree.js'),
    import('../stable/moves.js'),
  ]);
  const markMoved = (v: View, layout: Domain): View => {
    if (!previous) return v;
    const moved = movedSince(previous.domain, layout);
    for (const { node } of walkTree(v.tree)) if (moved.has(node.id)) node.movedFrom = moved.get(node.id)!;
    return v;
  };
  const layout = async (strategy: Strategy, key = '') => {
    const { assignDomain } = await import('../assign.js');
    // assignDomain leaves the parsed document as it was: both strategies start from the same one.
    const r = await assignDomain(parsed, { strategy, policy, timeoutMs, solver, ...(previous && strategy === 'optimal' ? { previous } : {}) });
    return markMoved(strategyView(r, policy, key), r.domain);
  };
  // Side by side, one strategy failing is part of the answer (libvirt's greedy often does).
  const side = (strategy: Strategy): Promise<View | PciplanError> =>
    layout(strategy, strategy).catch((e: unknown) => {
      if (e instanceof PciplanError && e.kind === 'invalid') return e;
      throw e;
    });
  let views: View[];
  if (options.compare) {
    const [greedy, optimal] = [await side('greedy'), await side('optimal')];
    // Neither gives a layout: there is nothing to compare, and the optimal side says why.
    if (optimal instanceof PciplanError && greedy instanceof PciplanError) throw optimal;
    views = (['greedy', 'optimal'] as const).map((k, i) => {
      const v = [greedy, optimal][i]!;
      return v instanceof PciplanError ? failedView(parsed.domain, k, v.message, policy, k) : v;
    });
  } else if (options.strategy) views = [await layout(options.strategy)];
  else views = [markMoved(writtenView(parsed.domain, policy), parsed.domain)];
  const title = `pciplan show: ${parsed.domain.name} (${parsed.domain.machineName})`;
  let output: string;
  switch (format) {
    case 'dot':
      output = (await import('../report/dot.js')).renderDot(views);
      break;
    case 'svg':
      output = await (await import('../report/svg.js')).renderSvg(views);
      break;
    case 'html':
      output = await (await import('../report/html.js')).renderHtml(views, title);
      break;
    default: {
      const { renderPciTree } = await import('../report/tree.js');
      output = views.length === 1 ? renderPciTree(views[0]!.tree) : views.map((v) => `== ${v.heading} ==\n${renderPciTree(v.tree)}`).join('\n');
    }
  }
  return { format, output, views: views.map((v) => ({ heading: v.heading, ...(v.addedControllers !== undefined ? { addedControllers: v.addedControllers } : {}) })) };
}
