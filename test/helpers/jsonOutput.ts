// Every JSON document the CLI prints in the test suite is checked here against the schema of its
// command (src/schema, shipped as schema/*.json): it must parse, and parsing must drop nothing,
// so that a field the schema does not document fails the test that printed it.
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { OUTPUT_SCHEMAS, SCHEMA_VERSION, type OutputName } from '../../src/schema/index.js';

/** The command and whether --format json was asked, from a pciplan argument list. */
function jsonCommand(args: readonly string[]): OutputName | undefined {
  const i = args.findIndex((a) => a === '--format' || a === '-f');
  const json = (i >= 0 && args[i + 1] === 'json') || args.includes('--format=json');
  const command = args.find((a) => !a.startsWith('-'));
  return json && command && command in OUTPUT_SCHEMAS ? (command as OutputName) : undefined;
}

/** Where the output went: stdout, or the -o file (read back). */
function outputText(args: readonly string[], stdout: string): string {
  const i = args.findIndex((a) => a === '-o' || a === '--output');
  const path = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--output='))?.slice('--output='.length);
  if (path === undefined || path === '-') return stdout;
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Throws (failing the calling test) when a JSON output does not match its schema. */
export function checkJsonOutput(args: readonly string[], stdout: string): void {
  const name = jsonCommand(args);
  const text = name ? outputText(args, stdout) : '';
  if (!name || text.trim() === '') return;
  const doc: unknown = JSON.parse(text);
  const parsed = OUTPUT_SCHEMAS[name].safeParse(doc);
  if (!parsed.success) throw new Error(`pciplan ${args.join(' ')}: the JSON does not match schema/${name}.json: ${parsed.error.message}`);
  if (!isDeepStrictEqual(parsed.data, doc)) throw new Error(`pciplan ${args.join(' ')}: the JSON has fields schema/${name}.json does not document`);
  if ((doc as { schemaVersion?: unknown }).schemaVersion !== SCHEMA_VERSION) throw new Error(`pciplan ${args.join(' ')}: schemaVersion is not ${SCHEMA_VERSION}`);
}
