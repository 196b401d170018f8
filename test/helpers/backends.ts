// The Z3 backends the solver tests run on: both when a native z3 is installed (CI installs
// Debian's), WASM alone otherwise; in CI a missing native z3 is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import type { SolverChoice } from '../../src/solver/session.js';
import { IN_CI } from './corpus.js';

export const HAVE_NATIVE_Z3 = spawnSync(process.env.PCIPLAN_Z3 ?? 'z3', ['--version'], { encoding: 'utf8' }).status === 0;

export const BACKENDS: Exclude<SolverChoice, 'auto'>[] = HAVE_NATIVE_Z3 || IN_CI ? ['native', 'wasm'] : ['wasm'];

/** describe.skipIf condition for tests that need both backends. */
export const skipNative = !HAVE_NATIVE_Z3 && !IN_CI;
