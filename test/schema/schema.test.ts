// The shipped JSON Schemas are the zod schemas the outputs are checked with (no drift), every
// command's JSON output on the fixtures matches its schema (test/helpers/jsonOutput.ts, called
// by every CLI run of the suite), and the rule that a breaking change bumps schemaVersion is
// checked by breakingChanges on real schema edits.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaOf, OUTPUT_SCHEMAS, SCHEMA_VERSION, type OutputName } from '../../src/schema/index.js';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { checkJsonOutput } from '../helpers/jsonOutput.js';
import { breakingChanges, versionOf } from '../../testkit/schemaCompat.js';

const shipped = (name: string) => JSON.parse(readFileSync(join(REPO, 'schema', `${name}.json`), 'utf8')) as Record<string, unknown>;
const names = Object.keys(OUTPUT_SCHEMAS) as OutputName[];

describe('shipped schemas', () => {
  it('schema/ holds one file per JSON output, each equal to the schema generated now (run npm run schema)', () => {
    expect(readdirSync(join(REPO, 'schema')).sort()).toEqual(names.map((n) => `${n}.json`).sort());
    for (const name of names) expect(shipped(name), `schema/${name}.json`).toEqual(jsonSchemaOf(name));
  });

  it(`each pins schemaVersion ${SCHEMA_VERSION}`, () => {
    for (const name of names) expect(versionOf(shipped(name)), name).toBe(SCHEMA_VERSION);
  });
});

describe('breakingChanges', () => {
  const base = shipped('assign');
  const edit = (f: (s: any) => void) => {
    const s = structuredClone(base) as any;
    f(s);
    return breakingChanges(base, s);
  };
  it('finds nothing between a schema and itself, or when an optional field is added', () => {
    expect(breakingChanges(base, base)).toEqual([]);
    expect(edit((s) => (s.properties.newField = { type: 'array', items: { type: 'string' } }))).toEqual([]);
  });
  it('flags a removed field, a newly required one, a changed type, an enum member added or removed', () => {
    expect(edit((s) => delete s.properties.lowerBound)).toEqual(['$.lowerBound: removed']);
    expect(edit((s) => s.properties.devices.items.required.push('model'))).toEqual(["$.devices[]: 'model' is now required"]);
    expect(edit((s) => (s.properties.proven.type = 'string'))).toEqual(['$.proven: type "boolean" -> "string"']);
    expect(edit((s) => s.properties.strategy.enum.push('random'))).toEqual(['$.strategy: enum value "random" added']);
    expect(edit((s) => s.properties.strategy.enum.pop())).toEqual(['$.strategy: enum value "libvirt" removed']);
  });
});

describe('every JSON output matches its schema', () => {
  const fx = (f: string) => join(REPO, 'fixtures', f);
  const ok = fx('q35-workstation.xml');
  const infeasible = fx('infeasible/numa-missing.xml');
  // Each command once where it succeeds and once where it refuses the domain (exit 1 with JSON).
  const runs: [string[], number][] = [
    [['assign', ok, '--format', 'json'], 0],
    [['assign', ok, '--strategy', 'greedy', '--format', 'json'], 0],
    [['validate', ok, '--format', 'json'], 0],
    [['validate', fx('infeasible/address-refused.xml'), '--format', 'json'], 1],
    [['explain', ok, '--format', 'json'], 0],
    [['explain', infeasible, '--format', 'json'], 1],
    [['compare', ok, infeasible, '--format', 'json'], 0],
  ];
  for (const [args, code] of runs) {
    it(args.slice(0, -2).map((a) => a.replace(`${REPO}/`, '')).join(' '), () => {
      const r = pciplan(args);
      expect(r.code, r.stderr).toBe(code);
      // pciplan() already checked it; this proves the check ran on a JSON document of that command.
      expect(JSON.parse(r.stdout).schemaVersion).toBe(SCHEMA_VERSION);
    });
  }

  it('the check rejects a document with a field the schema does not know, or without schemaVersion', () => {
    const good = pciplan(['validate', ok, '--format', 'json']).stdout;
    const doc = JSON.parse(good);
    expect(() => checkJsonOutput(['validate', 'x', '--format', 'json'], JSON.stringify({ ...doc, extra: 1 }))).toThrow(/does not document/);
    const { schemaVersion: _v, ...old } = doc;
    expect(() => checkJsonOutput(['validate', 'x', '--format', 'json'], JSON.stringify(old))).toThrow(/does not match/);
    expect(() => checkJsonOutput(['validate', 'x', '--format', 'json'], good)).not.toThrow();
  });
});
