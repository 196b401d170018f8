import { defineCommand } from 'citty';
import { inputError } from '../../errors.js';
import { generate } from '../../api/generate.js';
import { FAMILIES, MACHINES } from '../../generate/index.js';
import { writeOutput } from '../io.js';
import { formatArg } from '../options.js';

/** A count from the command line: digits only, so that '1e3', '0x10' or '' are not read as numbers. */
function wholeNumber(raw: unknown, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw);
  if (!/^\d{1,12}$/.test(s)) throw inputError(undefined, `--${flag} must be a whole number, got '${s}'`);
  return Number(s);
}

export default defineCommand({
  meta: { name: 'generate', description: 'Write a reproducible test domain of a family and size (libvirt domain XML, hints in pciplan metadata)' },
  args: {
    machine: { type: 'enum', options: [...MACHINES], default: 'q35', description: 'Machine type' },
    devices: { type: 'string', description: 'Number of devices', valueHint: 'N' },
    family: { type: 'enum', options: [...FAMILIES], default: 'mixed', description: 'What kind of domain' },
    seed: { type: 'string', description: 'Random seed (same seed, same domain; default 1)', valueHint: 'S' },
    numa: { type: 'string', description: 'NUMA nodes (family numa; default 2 below 32 devices, else 4)', valueHint: 'K' },
    output: { type: 'string', alias: 'o', description: 'Write the domain here instead of stdout', valueHint: 'OUT.xml' },
    format: formatArg(['xml'], 'xml'),
  },
  run({ args }) {
    if (args.devices === undefined) throw inputError(undefined, 'generate: --devices N is required');
    const numa = wholeNumber(args.numa, 'numa');
    const generated = generate({
      machine: args.machine,
      family: args.family,
      devices: wholeNumber(args.devices, 'devices')!,
      seed: wholeNumber(args.seed, 'seed') ?? 1,
      ...(numa !== undefined ? { numa } : {}),
    });
    // Written all the same: the optimal allocator's proof of infeasibility is the answer there.
    if (generated.expect) process.stderr.write(`pciplan: note: ${generated.name} ${generated.expect.reason}: no layout exists\n`);
    writeOutput(args.output, generated.xml);
  },
});
