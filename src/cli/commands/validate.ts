import { defineCommand } from 'citty';
import { validate } from '../../api/validate.js';
import type { Problem } from '../../validate/problems.js';
import { readDomainFile } from '../io.js';
import { formatArg, json, policyArgs, resolvePolicy } from '../options.js';
import { renderTable } from '../table.js';

function summary(file: string, valid: boolean, problems: Problem[]): string {
  const n = (sev: Problem['severity']) => problems.filter((p) => p.severity === sev).length;
  const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  const parts = [plural(n('error'), 'error'), plural(n('warning'), 'warning')];
  const unassigned = n('note');
  const tail = unassigned ? `; ${plural(unassigned, 'device')} still need a PCI address (pciplan assign fills them in)` : '';
  return `${file}: ${valid ? 'valid' : 'invalid'} (${parts.join(', ')})${tail}\n`;
}

export default defineCommand({
  meta: { name: 'validate', description: "Check a domain's PCI addresses and controllers against libvirt's and PCI's rules" },
  args: {
    domain: { type: 'positional', required: true, description: 'Domain XML file (- for stdin)', valueHint: 'DOMAIN.xml' },
    format: formatArg(['table', 'json'], 'table'),
    ...policyArgs,
  },
  run({ args }) {
    const result = validate(readDomainFile(args.domain), { policy: resolvePolicy(args) });
    if (args.format === 'json') {
      process.stdout.write(json(result));
    } else {
      const shown = result.problems.filter((p) => p.severity !== 'note');
      if (shown.length) {
        process.stdout.write(
          renderTable(
            ['LINE', 'LEVEL', 'DEVICE', 'RULE', 'PROBLEM'],
            shown.map((p) => [p.line ? String(p.line) : '-', p.severity, p.device ?? '(domain)', p.rule, p.message]),
          ),
        );
      }
      process.stdout.write(summary(result.file, result.valid, result.problems));
    }
    process.exitCode = result.valid ? 0 : 1;
  },
});
