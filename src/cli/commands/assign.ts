import { defineCommand } from 'citty';
import { assignDomain, type AssignResult } from '../../assign.js';
import { writeXml } from '../../xml/writeXml.js';
import { readDomainFile, writeOutput } from '../io.js';
import { formatArg, policyArgs, resolvePolicy } from '../options.js';
import { renderTable } from '../table.js';

export function assignJson(r: AssignResult) {
  return {
    file: r.domain.file,
    strategy: r.strategy,
    devices: r.devices.map(({ id, kind, address }) => ({ id, kind, address })),
    addedControllers: r.addedControllers,
    ms: Math.round(r.ms * 1000) / 1000,
  };
}

export function assignTable(r: AssignResult): string {
  const rows = r.devices.map((d) => {
    const [, bus, slotFn] = d.address.split(':');
    const [slot, fn] = slotFn!.split('.');
    return [bus!, slot!, fn!, d.id, d.model ?? '', d.origin];
  });
  const added = r.addedControllers.length;
  return `${renderTable(['BUS', 'SLOT', 'FN', 'DEVICE', 'MODEL', 'ORIGIN'], rows)}${r.strategy}: ${r.devices.length} PCI functions, ${added} controller${added === 1 ? '' : 's'} added\n`;
}

export default defineCommand({
  meta: { name: 'assign', description: 'Give every device a PCI address and add the controllers needed' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    strategy: { type: 'enum', options: ['greedy'], default: 'greedy', description: "greedy: libvirt's own algorithm" },
    output: { type: 'string', alias: 'o', description: 'Write the result here instead of stdout', valueHint: 'OUT.xml' },
    format: formatArg(['xml', 'json', 'table'], 'xml'),
    ...policyArgs,
  },
  run({ args }) {
    const parsed = readDomainFile(args.domain);
    const result = assignDomain(parsed, { strategy: 'greedy', policy: resolvePolicy(args) });
    for (const line of result.ignoredHints) process.stderr.write(`pciplan: ${line}\n`);
    const text =
      args.format === 'json' ? `${JSON.stringify(assignJson(result), null, 2)}\n` : args.format === 'table' ? assignTable(result) : writeXml(result.doc);
    writeOutput(args.output, text);
  },
});
