import { defineCommand } from 'citty';
import { compare } from '../../api/compare.js';
import type { SideJson } from '../../schema/index.js';
import { readDomainFile } from '../io.js';
import { formatArg, json, policyArgs, resolvePolicy, resolveSolver, solverArgs } from '../options.js';
import { renderTable } from '../table.js';

export default defineCommand({
  meta: { name: 'compare', description: 'Greedy (libvirt) and optimal layouts side by side' },
  args: {
    domains: { type: 'positional', required: true, description: 'Domain XML files', valueHint: 'DOMAIN.xml...' },
    format: formatArg(['table', 'json'], 'table'),
    libvirt: { type: 'boolean', description: "Also place each domain with real libvirt (define + dumpxml, offline) as a third column" },
    previous: { type: 'string', description: 'An earlier layout: add a column of the devices each side moves against it (optimal keeps its addresses, as assign --previous)', valueHint: 'OLD.xml' },
    ...policyArgs,
    ...solverArgs,
  },
  async run({ args }) {
    const files = [args.domains, ...(args._ ?? []).filter((f) => f !== args.domains)].filter((f): f is string => typeof f === 'string');
    const policy = resolvePolicy(args);
    const parsed = files.map((f) => readDomainFile(f));
    const previous = typeof args.previous === 'string' ? readDomainFile(args.previous) : undefined;
    const report = await compare(parsed, { policy, libvirt: !!args.libvirt, solver: resolveSolver(args), ...(previous ? { previous } : {}) });
    for (const w of report.warnings) process.stderr.write(`pciplan: ${w}\n`);
    if (args.format === 'json') {
      process.stdout.write(json(report));
      return;
    }
    const strategies = args.libvirt ? (['greedy', 'optimal', 'libvirt'] as const) : (['greedy', 'optimal'] as const);
    const cell = (s: SideJson, f: (s: SideJson) => string) => (s.ok ? f(s) : 'fails');
    const rows = report.domains.flatMap((d) =>
      strategies.map((k) => {
        const s = d[k]!;
        return [
          d.file,
          k,
          cell(s, (x) => String(x.addedControllers)),
          cell(s, (x) => Object.entries(x.byModel!).map(([m, n]) => `${n} ${m}`).join(', ') || '-'),
          cell(s, (x) => String(x.busNumbers)),
          cell(s, (x) => `${x.freeHotplugPorts}/${x.freeHotplugSlots}`),
          cell(s, (x) => String(x.hintsViolated)),
          cell(s, (x) => `${x.ms}`),
          k === 'optimal' ? cell(s, (x) => (x.proven ? 'yes' : 'no')) : '-',
          ...(previous ? [cell(s, (x) => String(x.movedVsPrevious))] : []),
        ];
      }),
    );
    process.stdout.write(renderTable(['DOMAIN', 'STRATEGY', 'ADDED', 'BY MODEL', 'BUSES', 'FREE PORTS/SLOTS', 'HINTS BROKEN', 'MS', 'PROVEN', ...(previous ? ['MOVED VS --PREVIOUS'] : [])], rows));
    for (const d of report.domains) for (const k of strategies) if (!d[k]!.ok) process.stdout.write(`${d.file}: ${k} fails: ${d[k]!.error}\n`);
  },
});
