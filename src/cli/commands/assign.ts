import { defineCommand } from 'citty';
import { assignDomain, type AssignResult } from '../../assign.js';
import type { Progress } from '../../optimal/solve.js';
import { writeXml } from '../../xml/writeXml.js';
import { readDomainFile, writeOutput } from '../io.js';
import { moveLine } from '../../stable/moves.js';
import { formatArg, policyArgs, previousArgs, resolvePolicy, resolveProgressAfter, resolveSeed, resolveSolver, resolveTimeout, seedArg, solverArgs, timeoutArg } from '../options.js';
import { renderTable } from '../table.js';

/** What `assign --format json` reports, from any planner (compare also feeds it real libvirt's). */
export type PlanReport = Pick<AssignResult, 'domain' | 'devices' | 'addedControllers' | 'objective' | 'lowerBound' | 'proven' | 'ms' | 'moved'> & { strategy: string };

export function assignJson(r: PlanReport) {
  return {
    file: r.domain.file,
    strategy: r.strategy,
    devices: r.devices.map(({ id, kind, address }) => ({ id, kind, address })),
    addedControllers: r.addedControllers,
    objective: r.objective,
    lowerBound: r.lowerBound,
    proven: r.proven,
    ...(r.moved ? { moved: r.moved } : {}),
    ms: Math.round(r.ms * 1000) / 1000,
  };
}

export function assignTable(r: AssignResult): string {
  const rows = r.devices.map((d) => {
    const [, bus, slotFn] = d.address.split(':');
    const [slot, fn] = slotFn!.split('.');
    return [bus!, slot!, fn!, d.id, d.model ?? '', d.origin];
  });
  // The controllers the layout needs; a root bus the XML did not write is named apart.
  const added = r.objective.addedControllers;
  const root = r.addedControllers.some((c) => c.model === 'pcie-root' || c.model === 'pci-root') ? ' (and the root bus)' : '';
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
    const result = await assignDomain(parsed, {
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
    for (const m of result.moved ?? []) process.stderr.write(`pciplan: ${moveLine(m)}\n`);
    if (result.strategy === 'optimal' && !result.canonical) {
      process.stderr.write(`pciplan: this layout is not proven the canonical one (the search or its tie-break ran out of time): another Z3 build or seed may give another\n`);
    }
    if (result.strategy === 'optimal' && !result.proven) {
      process.stderr.write(`pciplan: not proven optimal within ${timeout} s: ${result.objective.addedControllers} controllers added, no layout needs fewer than ${result.lowerBound}\n`);
    }
    for (const line of result.ignoredHints) process.stderr.write(`pciplan: ${line}\n`);
    const text =
      args.format === 'json' ? `${JSON.stringify(assignJson(result), null, 2)}\n` : args.format === 'table' ? assignTable(result) : writeXml(result.doc);
    writeOutput(args.output, text);
  },
});
