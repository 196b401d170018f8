// Writes dist/cli/pciplan-bundle.cache, V8's code cache of the bundled command (why: the
// launcher, src/cli/launcher.cts). Run by scripts/bundle.mjs with stdout ignored.
//
// The cache is made after the usual commands have run once in this process, so it holds the
// bytecode of every function they call, not only of the top level: V8 compiles functions lazily,
// and a cache made before running would leave each of them to compile again on every start.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { loadBundle, CACHE } = require('../dist/cli/pciplan.js');

const ws = join('fixtures', 'q35-workstation.xml');
/** One of each path through the command: reading, each check, each strategy, each output. */
const WARM_UP = [
  ['validate', ws],
  ['validate', ws, '--format', 'json'],
  ['assign', ws, '--strategy', 'greedy'],
  ['assign', ws],
  ['assign', ws, '--format', 'json'],
  ['explain', join('fixtures', 'infeasible', 'two-conflicts.xml')],
  ['show', ws, '--format', 'tree'],
  ['generate', '--family', 'mixed', '--machine', 'q35', '--devices', '12', '--seed', '1'],
];

const { exports, script } = loadBundle(false);
process.env.PCIPLAN_PROGRESS_AFTER_MS = 'off';
for (const argv of WARM_UP) {
  process.exitCode = undefined;
  await exports.run(argv);
}
writeFileSync(CACHE, script.createCachedData());
// A Z3 worker thread or process may still be idle: the cache is written, nothing is left to do.
process.exit(0);
