// The `pciplan` command (package.json's bin), built from tsc's output after `tsc -p tsconfig.json`:
//   dist/cli/pciplan.js           the launcher (src/cli/launcher.cts)
//   dist/cli/pciplan-bundle.cjs   the whole command in one file
//   dist/cli/pciplan-bundle.cache V8's code cache of it (scripts/code-cache.mjs)
//   dist/cli/package.json         {"type": "commonjs"}, so that the launcher keeps its .js name
//
// Why one file: Node 20 resolves, reads and compiles every ES module on its own; the CLI's import
// graph is about 430 modules (224 of them zod's), and loading them cost more than the work of a
// validate (bench/README.md). One minified file is read and compiled once, and with the code
// cache not even compiled (the launcher says why it is CommonJS). The library entry
// (dist/src/index.js) stays unbundled, so a program that imports pciplan shares its dependencies.
//
// z3-solver (30 MB of WebAssembly and a worker thread) and @viz-js/viz stay outside, loaded by
// dynamic import only when a command needs them, as in the unbundled build. The bundle has no
// chunks: measured on the workstation fixture, one file was faster to start than esbuild's
// code-split chunks for the lazily imported subcommands.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'dist', 'cli');
const BUNDLE = join(OUT, 'pciplan-bundle.cjs');
const CACHE = join(OUT, 'pciplan-bundle.cache');

/** What the bundle imports lazily (z3-solver's Emscripten module, Graphviz): each import() of them becomes the launcher's. */
const LAZY = ['z3-solver/build/z3-built.js', '@viz-js/viz'];

await build({
  entryPoints: [join(REPO, 'dist', 'src', 'cli', 'main.js')],
  outfile: BUNDLE,
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['z3-solver', '@viz-js/viz'],
  // main.ts finds package.json from its own URL; a script has no import.meta.
  define: { 'import.meta.url': '__pciplanUrl' },
  banner: { js: "var __pciplanUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
});

// Each lazy import once, and no other dynamic import left: a new one would fail at run time
// under the code cache (src/cli/launcher.cts), so it fails the build here.
// main.ts's shebang goes too: the bundle is not run itself, and a script may not begin with one.
let text = readFileSync(BUNDLE, 'utf8').replace(/^#!.*\n/, '');
for (const name of LAZY) {
  const call = `import(${JSON.stringify(name)})`;
  const n = text.split(call).length - 1;
  if (n !== 1) throw new Error(`bundle: expected one ${call}, found ${n}`);
  text = text.replace(call, `__pciplanImport(${JSON.stringify(name)})`);
}
const left = /\bimport\s*\(/.exec(text);
if (left) throw new Error(`bundle: a dynamic import the launcher does not route: ${text.slice(left.index, left.index + 60)}`);
writeFileSync(BUNDLE, text);

writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
copyFileSync(join(REPO, 'dist', 'src', 'cli', 'launcher.cjs'), join(OUT, 'pciplan.js'));
// Runnable from a checkout as well (npm sets the mode of an installed bin itself).
chmodSync(join(OUT, 'pciplan.js'), 0o755);

// The code cache, from a run of the usual commands. Without it the command works, only slower.
rmSync(CACHE, { force: true });
const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'code-cache.mjs')], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
if (r.status !== 0) process.stderr.write(`bundle: no code cache written (the command runs without it): ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()}\n`);
