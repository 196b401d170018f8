// Figures of a fuzzer run from its log (PCIPLAN_FUZZ_LOG): mutants, exit codes per command, and the
// failures by class (check.ts's signature), each with the first mutants that show it.
//   npx tsx test/fuzz/summarise.ts fuzz.jsonl
import { readFileSync } from 'node:fs';
import { signature, type Failure, type Outcome } from './check.js';

interface Entry {
  index: number;
  source: string;
  failures: Failure[];
  outcomes: Outcome[];
}

const entries = readFileSync(process.argv[2]!, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Entry);
const codes: Record<string, Record<string, number>> = {};
const classes = new Map<string, { mutants: number; examples: number[] }>();
let failing = 0;
for (const e of entries) {
  if (e.failures.length) failing++;
  for (const o of e.outcomes) {
    const c = (codes[o.command] ??= {});
    const k = o.code === null ? 'killed' : String(o.code);
    c[k] = (c[k] ?? 0) + 1;
  }
  for (const s of new Set(e.failures.map(signature))) {
    const c = classes.get(s) ?? { mutants: 0, examples: [] };
    c.mutants++;
    if (c.examples.length < 5) c.examples.push(e.index);
    classes.set(s, c);
  }
}
const out: string[] = [`${entries.length} mutants, ${failing} with a failure`, '', 'exit codes per command:'];
for (const [cmd, c] of Object.entries(codes)) out.push(`  ${cmd.padEnd(14)} ${Object.entries(c).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
out.push('', 'failures by class (mutants, class, first mutants):');
for (const [s, c] of [...classes].sort((a, b) => b[1].mutants - a[1].mutants)) out.push(`  ${String(c.mutants).padStart(5)}  ${s}  [${c.examples.join(', ')}]`);
process.stdout.write(`${out.join('\n')}\n`);
