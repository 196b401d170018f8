import { defineCommand } from 'citty';
import { attach, attachSteps, stepNote, type AttachReport } from '../../api/attach.js';
import { inputError } from '../../errors.js';
import { readDomainFile, readXmlFile, writeOutput } from '../io.js';
import { formatArg, json, policyArgs, resolvePolicy, resolveSolver, resolveTimeout, solverArgs, timeoutArg } from '../options.js';
import { renderTable } from '../table.js';

export function attachTable(r: AttachReport): string {
  const rows = attachSteps(r).map((d) => {
    const a = d.address ? d.address.split(/[:.]/) : ['', '', '', ''];
    return [String(d.plugOrder), a[1]!, a[2]!, a[3]!, d.id, ('file' in d ? d.file : undefined) ?? '', stepNote(d, r)];
  });
  const ctrls = r.addedControllers.length;
  return `${renderTable(['STEP', 'BUS', 'SLOT', 'FN', 'DEVICE', 'FILE', 'WHAT'], rows)}attach${r.live ? ' --live' : ''}: ${r.devices.length} device${r.devices.length === 1 ? '' : 's'}, ${ctrls} controller${ctrls === 1 ? '' : 's'} added, no existing device moved\n`;
}

export default defineCommand({
  meta: { name: 'attach', description: 'Place new devices in an addressed domain without moving any existing device' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML with every device addressed (pciplan assign or virsh dumpxml output)', valueHint: 'DOMAIN.xml' },
    devices: { type: 'positional', required: true, description: 'Device XML files: one device element each, or several in a <devices> wrapper', valueHint: 'DEVICE.xml...' },
    live: { type: 'boolean', description: 'The guest runs: add no controller, use only hot-pluggable free places' },
    timeout: timeoutArg('the search', 30),
    output: { type: 'string', alias: 'o', description: 'Write the result here instead of stdout', valueHint: 'OUT' },
    format: formatArg(['xml', 'json', 'table'], 'xml'),
    ...policyArgs,
    ...solverArgs,
  },
  async run({ args }) {
    const files = (args._ ?? []).slice(1).filter((f): f is string => typeof f === 'string');
    if (files.length === 0) throw inputError(undefined, 'attach needs at least one DEVICE.xml after the domain (see --help)');
    const parsed = readDomainFile(args.domain);
    const news = files.map((f) => {
      const { text, file } = readXmlFile(f);
      return { xml: text, file };
    });
    const timeout = resolveTimeout(args.timeout, 30);
    const { xml, ...report } = await attach(parsed, news, { live: !!args.live, policy: resolvePolicy(args), timeoutMs: timeout * 1000, solver: resolveSolver(args) });
    if (!report.proven) process.stderr.write(`pciplan: not proven optimal within ${timeout} s (no layout adds fewer than ${report.lowerBound} controllers)\n`);
    for (const w of report.warnings) process.stderr.write(`pciplan: ${w}\n`);
    writeOutput(args.output, args.format === 'json' ? json(report) : args.format === 'table' ? attachTable({ ...report, xml }) : xml);
  },
});
