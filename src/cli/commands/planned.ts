// Commands whose behaviour a later issue brings: their arguments and help are fixed now, so that
// scripts can be written against them; running one says plainly that it is not in this version.
import { defineCommand } from 'citty';
import { PciplanError } from '../../errors.js';
import { formatArg } from '../options.js';

export const explain = defineCommand({
  meta: { name: 'explain', description: 'Say why a domain has no layout, or why it needs what it adds (not in this version yet)' },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file', valueHint: 'DOMAIN.xml' },
    format: formatArg(['text', 'json'], 'text'),
  },
  run() {
    throw new PciplanError('input', 'explain is not in this version of pciplan yet; assign names the conflicting requirements when there is no layout');
  },
});
