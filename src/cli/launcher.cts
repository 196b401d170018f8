#!/usr/bin/env node
// The `pciplan` bin (copied to dist/cli/pciplan.js by scripts/bundle.mjs): runs the bundled
// command, dist/cli/pciplan-bundle.cjs, compiled with V8's code cache of it when one is there.
//
// Why: Node 20 compiles a script from source on every start, and a CLI call pays that again and
// again: compiling the 330 kB bundle and then each function it calls lazily was about a third of
// a `validate` (bench/README.md, "pciplan CLI vs libvirt"). V8 can instead load the bytecode it
// made last time (vm.Script's cachedData): scripts/code-cache.mjs writes it at build time after
// running the usual commands once, so the functions they call are in it. V8 checks the cache
// against its own version, its flags and the source; a cache that does not match is rejected and
// the bundle is compiled as usual, so a stale or foreign cache costs time, never correctness.
// (Node 22's module.enableCompileCache does the same; Node 20 has only vm.Script.)
//
// The bundle is CommonJS because vm.Script runs scripts, not ES modules. Its two dynamic imports
// (z3-solver and @viz-js/viz, loaded only by the commands that use them) go through
// globalThis.__pciplanImport, this file's own import(): in Node 20 a script compiled with
// cachedData loses its dynamic-import callback ("A dynamic import callback was not specified"),
// and vm's USE_MAIN_CONTEXT_DEFAULT_LOADER prints an experimental-feature warning.
import { readFileSync } from 'node:fs';
import Module = require('node:module');
import { join } from 'node:path';
import vm = require('node:vm');

export const BUNDLE = join(__dirname, 'pciplan-bundle.cjs');
export const CACHE = join(__dirname, 'pciplan-bundle.cache');

/** What the bundle exports (src/cli/main.ts). */
export interface BundleExports {
  run(argv: string[]): Promise<number>;
  cli(argv: string[]): void;
}

export type CacheState = 'accepted' | 'rejected' | 'absent' | 'off';

/** Compiles and runs the bundle; `useCache: false` compiles from source (the cache writer does). */
export function loadBundle(useCache = true): { exports: BundleExports; script: vm.Script; cache: CacheState } {
  (globalThis as { __pciplanImport?: (s: string) => Promise<unknown> }).__pciplanImport = (s) => import(s);
  const source = readFileSync(BUNDLE, 'utf8');
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      cachedData = readFileSync(CACHE);
    } catch {
      // no cache: compile from source
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const cache: CacheState = !useCache ? 'off' : !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const module = { exports: {} as BundleExports };
  const wrapper = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  wrapper.call(module.exports, module.exports, Module.createRequire(BUNDLE), module, BUNDLE, __dirname);
  return { exports: module.exports, script, cache };
}

if (require.main === module) {
  // PCIPLAN_CODE_CACHE=off compiles from source; =check says on stderr whether V8 took the cache.
  const mode = process.env.PCIPLAN_CODE_CACHE;
  const { exports, cache } = loadBundle(mode !== 'off');
  if (mode === 'check') process.stderr.write(`pciplan: code cache ${cache}\n`);
  exports.cli(process.argv.slice(2));
}
