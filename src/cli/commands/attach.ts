import { defineCommand } from 'citty';
import { attachDevices, elementText, readDeviceFile, type AttachedDevice, type AttachResult } from '../../attach.js';
import { inputError } from '../../errors.js';
import { formatAddress } from '../../model/types.js';
import { readDomainFile, readXmlFile, writeOutput } from '../io.js';
import { formatArg, policyArgs, resolvePolicy, resolveSolver, resolveTimeout, solverArgs, timeoutArg } from '../options.js';
import { renderTable } from '../table.js';

const addressOrNull = (d: AttachedDevice) => (d.address ? formatAddress(d.address) : null);

export function attachJson(r: AttachResult) {
  return {
    live: r.live,
    devices: r.devices.map((d) => ({ id: d.id, kind: d.kind, ...(d.file ? { file: d.file } : {}), address: addressOrNull(d), plugOrder: d.plugOrder })),
    addedControllers: r.addedControllers.map((c) => ({ id: c.id, address: addressOrNull(c), plugOrder: c.plugOrder })),
    warnings: r.warnings,
    proven: r.proven,
  };
}

/** What a step does, for people: a slot appears to the guest when its function 0 is plugged. */
function stepNote(d: AttachedDevice, r: AttachResult): string {
  if (d.kind === 'controller' && !d.file) return 'add controller';
  const shared = d.address && r.devices.filter((x) => x.address && x.address.bus === d.address!.bus && x.address.slot === d.address!.slot).length > 1;
  if (!shared) return 'attach';
  return d.address!.function === 0 ? 'attach function 0 last: the slot appears now' : 'attach (queued until function 0)';
}

function steps(r: AttachResult): AttachedDevice[] {
  return [...r.addedControllers, ...r.devices].sort((x, y) => x.plugOrder - y.plugOrder);
}

export function attachXml(r: AttachResult): string {
  const how = r.live ? 'virsh attach-device DOMAIN FILE --live' : 'virsh attach-device DOMAIN FILE --config';
  const body = steps(r).flatMap((d) => [`  <!-- ${d.plugOrder}. ${d.id}${d.address ? ` at ${formatAddress(d.address)}` : ''}: ${stepNote(d, r)} -->`, elementText(d.element, r.quote, '  ')]);
  return `<devices>\n  <!-- pciplan attach: one element per file, in this order (${how}) -->\n${body.join('\n')}\n</devices>\n`;
}

export function attachTable(r: AttachResult): string {
  const rows = steps(r).map((d) => {
    const a = d.address ? formatAddress(d.address).split(/[:.]/) : ['', '', '', ''];
    return [String(d.plugOrder), a[1]!, a[2]!, a[3]!, d.id, d.file ?? '', stepNote(d, r)];
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
    const news = files.flatMap((f) => {
      const { text, file } = readXmlFile(f);
      return readDeviceFile(text, file);
    });
    const timeout = resolveTimeout(args.timeout, 30);
    const result = await attachDevices(parsed, news, { live: !!args.live, policy: resolvePolicy(args), timeoutMs: timeout * 1000, solver: resolveSolver(args) });
    if (!result.proven) process.stderr.write(`pciplan: not proven optimal within ${timeout} s (no layout adds fewer than ${result.lowerBound} controllers)\n`);
    for (const w of result.warnings) process.stderr.write(`pciplan: ${w}\n`);
    const text = args.format === 'json' ? `${JSON.stringify(attachJson(result), null, 2)}\n` : args.format === 'table' ? attachTable(result) : attachXml(result);
    writeOutput(args.output, text);
  },
});
