// Shrinks a failing input to the smallest one that still fails the same way: the same command, the
// same kind of failure, and a detail that matches (by default, the same signature: check.ts).
//   npx tsx test/fuzz/minimise.ts MUTANT.xml --command assign --kind internal-error [--match REGEX]
//       [--policy='--hotplug no'] [--kill-s 60] [-o OUT.xml]
// It removes whole elements, then attributes, then lines (for input that is not well-formed), as
// long as the failure stays; each candidate runs through the same checks as the fuzzer. Build first.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkInput, COMMANDS, signature, type Command, type Failure } from './check.js';
import { CliPool } from './cliPool.js';
import { allElements, attrsOf, scanXml } from './scan.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    command: { type: 'string' },
    kind: { type: 'string' },
    match: { type: 'string' },
    policy: { type: 'string', default: '' },
    'kill-s': { type: 'string', default: '60' },
    timeout: { type: 'string', default: '5' },
    output: { type: 'string', short: 'o' },
  },
});
const file = positionals[0];
const command = values.command as Command;
if (!file || !COMMANDS.includes(command) || !values.kind) {
  process.stderr.write(`usage: minimise.ts MUTANT.xml --command ${COMMANDS.join('|')} --kind KIND [--match REGEX] [--policy FLAGS] [-o OUT]\n`);
  process.exit(2);
}
const policy = values.policy ? values.policy.split(' ') : [];
const pool = new CliPool(Number(values['kill-s']) * 1000);
const dir = mkdtempSync(join(tmpdir(), 'pciplan-min-'));
const original = readFileSync(file);

async function failuresOf(bytes: Buffer): Promise<Failure[]> {
  const f = join(dir, 'candidate.xml');
  writeFileSync(f, bytes);
  return (await checkInput(bytes, { pool, file: f, outFile: join(dir, 'out.xml'), policy, timeoutS: Number(values.timeout), commands: [command] })).failures;
}

const first = (await failuresOf(original)).find((f) => f.command === command && f.kind === values.kind);
if (!first) {
  process.stderr.write(`${file}: ${command} does not fail with ${values.kind}\n`);
  pool.stop();
  process.exit(1);
}
const pattern = values.match ? new RegExp(values.match) : undefined;
const wanted = signature(first);
const stillFails = async (text: string) =>
  (await failuresOf(Buffer.from(text, 'utf8'))).some((f) => f.command === command && f.kind === values.kind && (pattern ? pattern.test(f.detail) : signature(f) === wanted));

/** One pass of a reduction: each candidate edit that keeps the failure is taken. */
async function pass(text: string, candidates: (t: string) => [number, number][]): Promise<string> {
  let cur = text;
  for (let k = 0; ; k++) {
    const cs = candidates(cur);
    if (k >= cs.length) return cur;
    const [s, e] = cs[k]!;
    const next = cur.slice(0, s) + cur.slice(e);
    if (await stillFails(next)) {
      cur = next;
      k--;
    }
  }
}

const elementSpans = (t: string): [number, number][] => {
  try {
    const els = allElements(scanXml(t)).slice(1);
    return els.map((el) => {
      let s = el.start;
      while (s > 0 && /[ \t]/.test(t[s - 1]!)) s--;
      if (s > 0 && t[s - 1] === '\n') s--;
      return [s, el.end] as [number, number];
    });
  } catch {
    return [];
  }
};
const attrSpans = (t: string): [number, number][] => {
  try {
    return allElements(scanXml(t)).flatMap((el) => attrsOf(el).map((a) => [a.start - 1, a.end] as [number, number]));
  } catch {
    return [];
  }
};
/** Comments, instructions, CDATA and the doctype (nodes that are not elements or text). */
const otherSpans = (t: string): [number, number][] => {
  try {
    const spans: [number, number][] = [];
    const walk = (ns: ReturnType<typeof scanXml>) => {
      for (const n of ns) {
        if (n.kind === 'other') spans.push([n.start, n.end]);
        else if (n.kind === 'el') walk(n.children);
      }
    };
    walk(scanXml(t));
    return spans;
  } catch {
    return [];
  }
};
const lineSpans = (t: string): [number, number][] => {
  const out: [number, number][] = [];
  for (let i = 0; i < t.length; ) {
    const e = t.indexOf('\n', i);
    const end = e === -1 ? t.length : e + 1;
    out.push([i, end]);
    i = end;
  }
  return out;
};

// Bytes that are not UTF-8 do not survive a round trip through a string: such input is kept as it is.
let text = original.toString('utf8');
if (Buffer.from(text, 'utf8').equals(original)) {
  for (let before = ''; before !== text; ) {
    before = text;
    text = await pass(text, elementSpans);
    text = await pass(text, attrSpans);
    text = await pass(text, otherSpans);
    text = await pass(text, lineSpans);
  }
}
pool.stop();
rmSync(dir, { recursive: true, force: true });
if (values.output) writeFileSync(values.output, text);
else process.stdout.write(text);
process.stderr.write(`${original.length} -> ${Buffer.byteLength(text)} bytes; still: ${wanted}\n`);
