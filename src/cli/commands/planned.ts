// Commands whose behaviour a later issue brings: their arguments and help are fixed now, so that
// scripts can be written against them; running one says plainly that it is not in this version.
import { defineCommand } from 'citty';
import { PciplanError } from '../../errors.js';
import { formatArg } from '../options.js';

export const generate = defineCommand({
  meta: { name: 'generate', description: 'Write a reproducible test domain of a family and size (not in this version yet)' },
  args: {
    machine: { type: 'enum', options: ['q35', 'pc', 'virt'], default: 'q35', description: 'Machine type' },
    devices: { type: 'string', description: 'Number of devices', valueHint: 'N' },
    family: {
      type: 'enum',
      options: ['hotplug-heavy', 'mixed', 'legacy', 'numa', 'multifunction', 'fragmented', 'cloud'],
      default: 'mixed',
      description: 'What kind of domain',
    },
    seed: { type: 'string', description: 'Random seed (same seed, same domain)', valueHint: 'S' },
    numa: { type: 'string', description: 'NUMA nodes', valueHint: 'K' },
    format: formatArg(['xml'], 'xml'),
  },
  run() {
    throw new PciplanError('input', 'generate is not in this version of pciplan yet');
  },
});
