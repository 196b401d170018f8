/**
 * A new controller model is a catalog entry, and then the compiler's list. This test type-checks
 * the library (tsconfig.json: src/ and encodings/) with src/catalog/controllers.ts replaced in
 * memory by a copy that adds a model 'fake-port' with a role of its own, and asserts that the type
 * checker fails exactly in the files that must decide what a controller of a new role does: every
 * exhaustive `switch (role)` and `Record<ControllerRole, ...>` outside the catalog. A place that
 * branches on roles without being exhaustive is missing from the errors, and this test fails;
 * so does a table that no longer exists. The recipe in docs/how-to.md (Add a controller model)
 * lists the same places.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';

/** The files that must learn a new role, and what each decides. */
const MUST_LEARN: Record<string, string> = {
  'src/model/applyLayout.ts': 'newController: the <target> values libvirt derives when it adds one',
  'src/validate/controllers.ts': 'ROLE_RULES: the checks libvirt makes for this model only',
  'src/optimal/instance.ts': "buildInstance: what an existing controller's free ports and slots count as",
  'encodings/variables.ts': 'ROLE_COUNTS: the count variables that add it (and so number a bus)',
  'src/optimal/decode.ts': 'PCI_SLOTS: which conventional slots its bus gives units',
  'src/report/pciTree.ts': 'DRAWN_AS: how show draws it',
};

const CATALOG = resolve(REPO, 'src/catalog/controllers.ts');

/** The catalog with one more role and one more model of it (a root port that takes PCIe devices). */
function withFakeModel(text: string): string {
  const edits: [anchor: string, insert: string][] = [
    ["  'pcie-to-pci-bridge',\n] as const;", "  'fake-port',\n"],
    ["  'express-to-conventional-bridge',\n] as const;", "  'fake-port-role',\n"],
    [
      'export const CONTROLLERS: Record<ControllerModel, ControllerSpec> = {\n',
      `  'fake-port': {
    model: 'fake-port',
    role: 'fake-port-role',
    connect: 'pcie-root-port',
    accepts: ['pcie-device'],
    autoAssign: true,
    hotpluggable: true,
    slots: [0, 0],
    aggregate: false,
    guestBus: true,
    targetOptions: [],
    modelNames: ['fake-port'],
    numa: false,
    libvirtAutoAdds: false,
  },\n`,
    ],
  ];
  let out = text;
  for (const [anchor, insert] of edits) {
    const at = out.indexOf(anchor);
    // The anchors are the ends of CONTROLLER_MODELS and CONTROLLER_ROLES and the start of
    // CONTROLLERS: if the catalog is laid out differently, change them here.
    if (at < 0) throw new Error(`newModel.test: anchor not found in the catalog: ${JSON.stringify(anchor)}`);
    const before = anchor.endsWith(' = {\n') ? at + anchor.length : at + anchor.lastIndexOf(']');
    out = out.slice(0, before) + insert + out.slice(before);
  }
  return out;
}

/** The files with type errors when the library is checked, with the catalog's text replaced by `catalog`. */
function filesWithErrors(catalog: string): { files: string[]; messages: string[] } {
  const configPath = join(REPO, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath));
  const options = { ...parsed.options, noEmit: true, declaration: false, sourceMap: false };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, lang, onError, create) =>
    resolve(fileName) === CATALOG ? ts.createSourceFile(fileName, catalog, lang, true) : getSourceFile(fileName, lang, onError, create);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options, host });
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  const files = new Set<string>();
  const messages: string[] = [];
  for (const d of diagnostics) {
    const file = d.file ? relative(REPO, d.file.fileName).split('\\').join('/') : '(no file)';
    files.add(file);
    messages.push(`${file}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  return { files: [...files].sort(), messages };
}

describe('adding a controller model', () => {
  it('is a compile error in exactly the files that must learn its role', () => {
    const catalog = withFakeModel(readFileSync(CATALOG, 'utf8'));
    const { files, messages } = filesWithErrors(catalog);
    // The catalog itself is complete: the entry carries every field and is its role's one model.
    expect(files, messages.join('\n')).not.toContain('src/catalog/controllers.ts');
    expect(files, messages.join('\n')).toEqual(Object.keys(MUST_LEARN).sort());
    // Every error is the new role's (not one the library had before: tsc would show that too).
    for (const m of messages) expect(m).toMatch(/fake-port-role/);
    // One type check of the library: about 15 s of CPU, more on a loaded machine.
  }, 180_000);
});
