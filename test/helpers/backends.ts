// The Z3 backends the solver tests run on: both when a native z3 is installed (CI installs
// Debian's), WASM alone otherwise; in CI a missing native z3 is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { SOLVER_CHOICES, type SolverChoice } from '../../src/solver/session.js';
import { IN_CI } from './corpus.js';

export const HAVE_NATIVE_Z3 = spawnSync(process.env.PCIPLAN_Z3 ?? 'z3', ['--version'], { encoding: 'utf8' }).status === 0;

export const BACKENDS: Exclude<SolverChoice, 'auto'>[] = HAVE_NATIVE_Z3 || IN_CI ? ['native', 'wasm'] : ['wasm'];

/** describe.skipIf condition for tests that need both backends. */
export const skipNative = !HAVE_NATIVE_Z3 && !IN_CI;

/**
 * The Z3 the CLI children of this run take: $PCIPLAN_SOLVER when set (.ci/run re-runs the CLI
 * suites with `wasm`). Tests that call the library in place of a CLI run pass it on, so that the
 * re-run reaches them too.
 */
export const ENV_SOLVER: SolverChoice | undefined = (() => {
  const v = process.env.PCIPLAN_SOLVER;
  if (v === undefined || v === '') return undefined;
  if (!SOLVER_CHOICES.includes(v as SolverChoice)) throw new Error(`PCIPLAN_SOLVER must be one of ${SOLVER_CHOICES.join(', ')}, got '${v}'`);
  return v as SolverChoice;
})();

/**
 * This is .ci/run's WASM re-run of the CLI suites. The few cases on domains of hundreds of devices
 * are left to the first run (the native z3): they take minutes on the WASM build, and what they
 * check (explain's fixes, which read only Z3's sat/unsat answers) does not depend on the backend,
 * while test/solver/parity.test.ts holds both backends to the same bytes on every fixture
 * (fixtures/infeasible/bus-exhaustion.xml among them) and on generated 256-device domains.
 */
export const WASM_RERUN = ENV_SOLVER === 'wasm';
