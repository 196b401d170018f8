import { defineCommand } from 'citty';
import { assign, type AssignReport, type Progress } from '../../api/assign.js';
import { isControllerModel, ROOT_MODELS } from '../../catalog/index.js';
import { readDomainFile, writeOutput } from '../io.js';
import { settingLine } from '../../model/rootHotplug.js';
import { moveLine } from '../../stable/moves.js';
import { formatArg, json, policyArgs, previousArgs, resolvePolicy, resolveProgressAfter, resolveSeed, resolveSolver, resolveTimeout, seedArg, solverArgs, timeoutArg } from '../options.js';
import { renderTable } from '../table.js';

export function assignTable(r: AssignReport): string {
  const rows = r.devices.map((d) => {
    const [, bus, slotFn] = d.address.split(':');
    const [slot, fn] = slotFn!.split('.');
    return [bus!, slot!, fn!, d.id, d.model ?? '', d.origin];
  });
  // The controllers the layout needs; a root bus the XML did not write is named apart.
  const added = r.objective.addedControllers;
  const root = r.addedControllers.some((c) => isControllerModel(c.model) && ROOT_MODELS.includes(c.model)) ? ' (and the root bus)' : '';
  const proof = r.strategy === 'optimal' ? (r.proven ? ', proven optimal' : `, not proven optimal (no layout needs fewer than ${r.lowerBound})`) : '';
  const moved = r.moved ? `moved vs --previous: ${r.moved.length === 0 ? 'none' : ''}\n${r.moved.map((m) => `  ${moveLine(m)}\n`).join('')}` : '';
  return `${renderTable(['BUS', 'SLOT', 'FN', 'DEVICE', 'MODEL', 'ORIGIN'], rows)}${r.strategy}: ${r.devices.length} PCI functions, ${added} controller${added === 1 ? '' : 's'} added${root}${proof}\n${moved}`;
}

/** Progress on stderr (past the threshold assign applies): the best layout so far and the bound. */
function printProgress(p: Progress): void {
  process.stderr.write(`pciplan: searching (${(p.elapsedMs / 1000).toFixed(1)} s): best ${p.best ?? '-'} controllers, none fewer than ${p.bound}\n`);
}

export default defineCommand({
  meta: { name: 'assign', description: 'Give every device a PCI address and add the controllers needed' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    strategy: { type: 'enum', options: ['optimal', 'greedy'], default: 'optimal', description: "optimal: fewest added controllers, proven with Z3; greedy: libvirt's own algorithm" },
    timeout: timeoutArg('the optimal search', 30),
    output: { type: 'string', alias: 'o', description: 'Write the result here instead of stdout', valueHint: 'OUT.xml' },
    format: formatArg(['xml', 'json', 'table'], 'xml'),
    ...policyArgs,
    ...solverArgs,
    ...seedArg,
    ...previousArgs,
  },
  async run({ args }) {
    const parsed = readDomainFile(args.domain);
    const previous = args.previous !== undefined ? readDomainFile(args.previous) : undefined;
    const solverSeed = resolveSeed(args['solver-seed']);
    const timeout = resolveTimeout(args.timeout, 30);
    const { xml, ...report } = await assign(parsed, {
      strategy: args.strategy === 'greedy' ? 'greedy' : 'optimal',
      policy: resolvePolicy(args),
      timeoutMs: timeout * 1000,
      // The budget bounds the whole command: it started when the process did.
      startedAt: 0,
      onProgress: printProgress,
      progressAfterMs: resolveProgressAfter(process.env.PCIPLAN_PROGRESS_AFTER_MS),
      solver: resolveSolver(args),
      ...(solverSeed !== undefined ? { solverSeed } : {}),
      ...(previous ? { previous, dropUnused: !!args['drop-unused'] } : {}),
    });
    for (const m of report.moved ?? []) process.stderr.write(`pciplan: ${moveLine(m)}\n`);
    for (const c of report.settings ?? []) process.stderr.write(`pciplan: ${settingLine(c)}\n`);
    if (report.strategy === 'optimal' && !report.canonical) {
      process.stderr.write(`pciplan: this layout is not proven the canonical one (the search or its tie-break ran out of time): another Z3 build or seed may give another\n`);
    }
    if (report.strategy === 'optimal' && !report.proven) {
      process.stderr.write(`pciplan: not proven optimal within ${timeout} s: ${report.objective.addedControllers} controllers added, no layout needs fewer than ${report.lowerBound}\n`);
    }
    for (const line of report.ignoredHints) process.stderr.write(`pciplan: ${line}\n`);
    writeOutput(args.output, args.format === 'json' ? json(report) : args.format === 'table' ? assignTable({ ...report, xml }) : xml);
  },
});
