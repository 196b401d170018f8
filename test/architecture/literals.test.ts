/**
 * No controller model's name is written outside the catalog. Code branches on a controller's
 * role (or a catalog property) and gets the model it creates from the catalog (`modelFor`), so a
 * new model is a catalog entry and the compiler's list of places that must learn its role
 * (test/architecture/newModel.test.ts), never a string somewhere that silently fails to match.
 * Every .ts file under src/ and encodings/ except src/catalog/ is read with TypeScript's parser:
 * any string literal equal to a model name fails, in expressions, types and `case` labels alike.
 * Comments and longer strings (messages that contain a name) are not literals of a name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CONTROLLER_MODELS } from '../../src/catalog/index.js';
import { REPO } from '../helpers/corpus.js';

const ROOTS = ['src', 'encodings'];
const EXEMPT = 'src/catalog/';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(REPO, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(REPO, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (/\.[cm]?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Each string literal of `text` that equals a controller model's name, as `file:line 'name'`. */
function modelLiterals(file: string, text: string): string[] {
  const names = new Set<string>(CONTROLLER_MODELS);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && names.has(n.text)) {
      out.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1} '${n.text}'`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('controller model names', () => {
  it('the checker finds a name in an expression, a type, a case label, a key and a template', () => {
    const planted = [
      "const a = x === 'pcie-root-port';",
      "type T = 'pci-bridge' | 'other';",
      "switch (m) { case 'pcie-root': break; default: break; }",
      "const r = { 'pci-expander-bus': 1 };",
      'const t = `dmi-to-pci-bridge`;',
    ].join('\n');
    expect(modelLiterals('planted.ts', planted)).toEqual([
      "planted.ts:1 'pcie-root-port'",
      "planted.ts:2 'pci-bridge'",
      "planted.ts:3 'pcie-root'",
      "planted.ts:4 'pci-expander-bus'",
      "planted.ts:5 'dmi-to-pci-bridge'",
    ]);
  });

  it('the checker leaves comments, longer strings and template parts alone', () => {
    const clean = [
      '// a pcie-root-port here',
      "const m = 'no free pcie-root-port';",
      'const t = `${spec.model} pci-bridge ${x}`;',
      "const r = 'pci-bridges';",
    ].join('\n');
    expect(modelLiterals('clean.ts', clean)).toEqual([]);
  });

  it('appear nowhere in src/ and encodings/ outside src/catalog/', () => {
    const files = ROOTS.flatMap(tsFiles).filter((f) => !f.startsWith(EXEMPT));
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) => modelLiterals(f, readFileSync(join(REPO, f), 'utf8')));
    expect(found).toEqual([]);
  });
});
