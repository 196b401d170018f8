/**
 * Imports go one way. Every relative import of the repository's code (static, `import type`,
 * `export ... from`, and dynamic `import('...')` with a literal specifier; read with TypeScript's
 * parser, so comments and strings are not imports) must
 *   - go to a module of the importer's own group, or of a group in a lower layer of LAYERS below
 *     (groups of one layer are independent: they do not import each other), and
 *   - form no cycle, file by file (type-only and lazily loaded imports included: a cycle of types
 *     is still two modules that cannot be read one without the other).
 * Every scanned file belongs to exactly one group, so a new directory or top-level file must be
 * placed in the table before anything imports it. Packages (z3-solver, zod, node:...) are not
 * checked; neither are imports of what lies outside the scanned trees (dist/, schema/*.json), nor
 * examples/, which uses only the package by its name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';

/**
 * The layers, top first; each group is a list of path prefixes (a directory with its trailing
 * slash, or one file). Read downwards:
 *   harness     the test suites, the benchmarks and the build scripts: they use everything, and
 *               share code only through testkit/ (a benchmark never imports a test)
 *   testkit     what they share (domain builders and generators, parity tables, schema checks)
 *   entries     the CLI (citty commands, the only I/O) and the library's index
 *   commands    src/api: one module per command, options in, the JSON report out
 *   outputs     what a pipeline's result becomes: show's drawings (report), libvirt's own
 *               placement to compare with (oracle), the JSON schemas of the reports (schema)
 *   pipelines   assign, attach and explain: validate, place, write, check. explain's conflict
 *               search serves assign's "no layout" message and runs assign to plan a fix, so the
 *               three are one group; within it only the file cycle rule applies
 *   engines     the optimal allocator (instance, search, decode), assign --previous (stable), the
 *               test-domain generator (generate)
 *   allocators  the greedy and constructive allocators (alloc) and the count model's constraint
 *               families (encodings/, which read only encodings/instance.ts of what the optimal
 *               allocator builds)
 *   rules       the validator
 *   model       the domain model: XML -> Domain, hints and policy, topology, Domain -> XML
 *   foundations the PCI catalog, the XML layer, the Z3 sessions
 *   errors      the errors every layer throws, the conflict a ConflictError carries, and the
 *               registry of rule and requirement ids they and every layer above name (rules.ts)
 */
type LayerTable = readonly { layer: string; groups: Readonly<Record<string, readonly string[]>> }[];

const LAYERS: LayerTable = [
  { layer: 'harness', groups: { test: ['test/'], bench: ['bench/'], scripts: ['scripts/'] } },
  { layer: 'testkit', groups: { testkit: ['testkit/'] } },
  { layer: 'entries', groups: { cli: ['src/cli/'], library: ['src/index.ts'] } },
  { layer: 'commands', groups: { api: ['src/api/'] } },
  { layer: 'outputs', groups: { report: ['src/report/'], oracle: ['src/oracle/'], schema: ['src/schema/'] } },
  { layer: 'pipelines', groups: { pipelines: ['src/assign.ts', 'src/attach.ts', 'src/explain/'] } },
  { layer: 'engines', groups: { optimal: ['src/optimal/'], stable: ['src/stable/'], generate: ['src/generate/'] } },
  { layer: 'allocators', groups: { alloc: ['src/alloc/'], encodings: ['encodings/'] } },
  { layer: 'rules', groups: { validate: ['src/validate/'] } },
  { layer: 'model', groups: { model: ['src/model/'] } },
  { layer: 'foundations', groups: { catalog: ['src/catalog/'], xml: ['src/xml/'], solver: ['src/solver/'] } },
  { layer: 'errors', groups: { errors: ['src/errors.ts', 'src/conflict.ts', 'src/rules.ts'] } },
];

/** The trees scanned (repository-relative). */
const ROOTS = ['src', 'encodings', 'testkit', 'test', 'bench', 'scripts'];
const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

interface Edge {
  from: string;
  to: string;
  kind: 'static' | 'type' | 'dynamic';
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(REPO, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(REPO, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The module specifiers a file imports, with how (static, type-only, dynamic). */
function specifiers(file: string): { spec: string; kind: Edge['kind'] }[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const out: { spec: string; kind: Edge['kind'] }[] = [];
  const literal = (n: ts.Node | undefined) => (n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : undefined);
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n)) {
      const spec = literal(n.moduleSpecifier);
      if (spec) out.push({ spec, kind: n.importClause?.isTypeOnly ? 'type' : 'static' });
    } else if (ts.isExportDeclaration(n)) {
      const spec = literal(n.moduleSpecifier);
      if (spec) out.push({ spec, kind: n.isTypeOnly ? 'type' : 'static' });
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) {
      const spec = literal(n.moduleReference.expression);
      if (spec) out.push({ spec, kind: 'static' });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const spec = literal(n.arguments[0]);
      if (spec) out.push({ spec, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      const spec = literal(n.argument.literal);
      if (spec) out.push({ spec, kind: 'type' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The file an import names ('./x.js' is x.ts in the sources), or undefined if there is none. */
function resolveFile(abs: string): string | undefined {
  const candidates = [abs, abs.replace(/\.js$/, '.ts'), abs.replace(/\.mjs$/, '.mts'), abs.replace(/\.cjs$/, '.cts')];
  return candidates.find((c) => {
    try {
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

function scan(): { files: string[]; edges: Edge[]; missing: string[] } {
  const files = ROOTS.flatMap(sourceFiles);
  const edges: Edge[] = [];
  const missing: string[] = [];
  for (const from of files) {
    for (const { spec, kind } of specifiers(from)) {
      if (!spec.startsWith('.')) continue;
      const abs = resolve(REPO, dirname(from), spec);
      if (!ROOTS.some((r) => toRepo(abs).startsWith(`${r}/`))) continue;
      const to = resolveFile(abs);
      if (to) edges.push({ from, to: toRepo(to), kind });
      else missing.push(`${from}: '${spec}' names no file`);
    }
  }
  return { files, edges, missing };
}

const toRepo = (abs: string) => relative(REPO, abs).split('\\').join('/');

/** Each file's group and that group's layer (0 = top), by its one matching prefix. */
function placeFiles(files: readonly string[], layers: LayerTable): { where: Map<string, { group: string; rank: number }>; problems: string[] } {
  const where = new Map<string, { group: string; rank: number }>();
  const problems: string[] = [];
  const used = new Set<string>();
  for (const f of files) {
    const hits = layers.flatMap((l, rank) => Object.entries(l.groups).flatMap(([group, prefixes]) => prefixes.filter((p) => (p.endsWith('/') ? f.startsWith(p) : f === p)).map((p) => ({ group, rank, p }))));
    if (hits.length !== 1) {
      problems.push(hits.length ? `${f} matches ${hits.length} entries of the layer table (${hits.map((h) => h.p).join(', ')})` : `${f} belongs to no group of the layer table: add it to LAYERS`);
      continue;
    }
    where.set(f, hits[0]!);
    used.add(hits[0]!.p);
  }
  for (const l of layers) for (const prefixes of Object.values(l.groups)) for (const p of prefixes) if (!used.has(p)) problems.push(`the layer table names ${p}, which holds no file`);
  return { where, problems };
}

/** Imports that go up, or sideways to another group of the same layer. */
function layerViolations(edges: readonly Edge[], where: ReadonlyMap<string, { group: string; rank: number }>, layers: LayerTable): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const a = where.get(e.from);
    const b = where.get(e.to);
    if (!a || !b || a.group === b.group || b.rank > a.rank) continue;
    const how = b.rank < a.rank ? `up from ${a.group} (${layers[a.rank]!.layer}) to ${b.group} (${layers[b.rank]!.layer})` : `across from ${a.group} to ${b.group}, both in ${layers[a.rank]!.layer}`;
    out.push(`${e.from} imports ${e.to}${e.kind === 'static' ? '' : ` (${e.kind})`}: ${how}`);
  }
  return out;
}

/** The import cycles: each strongly connected component of more than one file (or a self-import), with one cycle through it. */
function importCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  // Tarjan's algorithm, iteratively (the import graph may be deep).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      const succ = next.get(top.v) ?? [];
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1]!.v, Math.min(low.get(work[work.length - 1]!.v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          c.push(w);
        } while (w !== top.v);
        if (c.length > 1 || succ.includes(top.v)) components.push(c);
      }
    }
  }
  // One cycle through each component, for the message: a shortest path back to its first file.
  return components.map((c) => {
    const inside = new Set(c);
    const start = [...c].sort()[0]!;
    const prev = new Map<string, string>();
    const queue = [start];
    for (let k = 0; k < queue.length; k++) {
      for (const w of next.get(queue[k]!) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let v: string | undefined = queue[k]; v !== undefined && v !== start; v = prev.get(v)) path.splice(1, 0, v);
          return [...path, start];
        }
        if (!prev.has(w)) {
          prev.set(w, queue[k]!);
          queue.push(w);
        }
      }
    }
    return [...c, c[0]!];
  });
}

describe('imports go one way', () => {
  const { files, edges, missing } = scan();
  const { where, problems } = placeFiles(files, LAYERS);

  it('every file has its place in the layer table, and every entry of the table a file', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(problems).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('no import goes up a layer, or across to another group of its layer', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(layerViolations(edges, where, LAYERS)).toEqual([]);
  });

  it('no import cycle, file by file (static, type-only and dynamic imports)', () => {
    expect(importCycles(edges).map((c) => c.join(' -> '))).toEqual([]);
  });
});

describe('the checks themselves', () => {
  // A small graph with one of each fault, so that a broken check cannot pass the real tree by
  // finding nothing.
  const layers: LayerTable = [
    { layer: 'top', groups: { a: ['a/'], b: ['b/'] } },
    { layer: 'bottom', groups: { c: ['c/'] } },
  ];
  const edges: Edge[] = [
    { from: 'a/1.ts', to: 'c/1.ts', kind: 'static' },
    { from: 'c/1.ts', to: 'a/1.ts', kind: 'type' },
    { from: 'a/1.ts', to: 'b/1.ts', kind: 'dynamic' },
    { from: 'c/2.ts', to: 'c/3.ts', kind: 'static' },
    { from: 'c/3.ts', to: 'c/4.ts', kind: 'static' },
    { from: 'c/4.ts', to: 'c/2.ts', kind: 'dynamic' },
  ];
  const { where, problems } = placeFiles([...new Set(edges.flatMap((e) => [e.from, e.to]))], layers);

  it('finds an upward import and a sideways one', () => {
    expect(problems).toEqual([]);
    expect(layerViolations(edges, where, layers)).toEqual([
      'c/1.ts imports a/1.ts (type): up from c (bottom) to a (top)',
      'a/1.ts imports b/1.ts (dynamic): across from a to b, both in top',
    ]);
  });

  it('finds every cycle, with a path through it', () => {
    expect(importCycles(edges).map((c) => c.join(' -> ')).sort()).toEqual(['a/1.ts -> c/1.ts -> a/1.ts', 'c/2.ts -> c/3.ts -> c/4.ts -> c/2.ts']);
  });

  it('finds a file outside the table and an entry without files', () => {
    expect(placeFiles(['a/1.ts', 'd/1.ts'], layers).problems).toEqual(['d/1.ts belongs to no group of the layer table: add it to LAYERS', 'the layer table names b/, which holds no file', 'the layer table names c/, which holds no file']);
  });
});
