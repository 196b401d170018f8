// The `pciplan` command as one file, dist/cli/pciplan.js (package.json's bin), built from tsc's
// output after `tsc -p tsconfig.json`.
//
// Why: Node 20 resolves, reads and compiles every ES module on its own; the CLI's import graph is
// about 430 modules (224 of them zod's), and loading them cost more than the work of a validate
// (bench/README.md, "Start-up"). One minified file is read and compiled once. The library entry
// (dist/src/index.js) stays unbundled, so a program that imports pciplan shares its dependencies.
//
// z3-solver (30 MB of WebAssembly and a worker thread) and @viz-js/viz stay outside, loaded by
// dynamic import only when a command needs them, as in the unbundled build. The bundle has no
// chunks: measured on the workstation fixture, one file was faster to start than esbuild's
// code-split chunks for the lazily imported subcommands.
import { chmodSync } from 'node:fs';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(REPO, 'dist', 'src', 'cli', 'main.js')],
  outfile: join(REPO, 'dist', 'cli', 'pciplan.js'),
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['z3-solver', '@viz-js/viz'],
  // Some bundled dependencies are CommonJS and call require() for Node's built-ins.
  banner: { js: "import { createRequire as pciplanCreateRequire } from 'node:module'; const require = pciplanCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
// Runnable from a checkout as well (npm sets the mode of an installed bin itself).
chmodSync(join(REPO, 'dist', 'cli', 'pciplan.js'), 0o755);
