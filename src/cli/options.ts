// Options shared by several commands, and how they become a Policy.
import type { ArgsDef } from 'citty';
import { inputError } from '../errors.js';
import { PolicySchema, zodMessage, type Policy } from '../model/schemas.js';
import { SOLVER_CHOICES, type SolverChoice } from '../solver/session.js';
import type { WasmStart } from '../solver/wasm.js';
import { readPolicyFile } from './io.js';

export const policyArgs = {
  policy: { type: 'string', description: 'Policy file (JSON): defaults for hotplug, spare ports and slots, packing', valueHint: 'FILE' },
  hotplug: { type: 'enum', options: ['yes', 'no'], description: 'Default hotplug requirement for devices without a hint' },
  'spare-pcie-ports': { type: 'string', description: 'Free hot-pluggable PCIe ports to leave', valueHint: 'N' },
  'spare-pci-slots': { type: 'string', description: 'Free hot-pluggable legacy PCI slots to leave', valueHint: 'N' },
  'pack-functions': { type: 'boolean', description: 'Allow unrelated endpoints to share a slot as functions' },
} satisfies ArgsDef;

export function formatArg<const F extends string>(formats: F[], fallback: F) {
  return { type: 'enum' as const, options: formats, default: fallback, description: `Output format: ${formats.join(', ')}` };
}

function count(raw: unknown, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw);
  if (!/^\d+$/.test(s)) throw inputError(undefined, `--${flag} must be a whole number, got '${s}'`);
  return Number(s);
}

/** The policy file, overridden by the flags given on the command line. */
export function resolvePolicy(args: Record<string, unknown>): Policy {
  const base = typeof args.policy === 'string' ? readPolicyFile(args.policy) : {};
  const merged = {
    ...base,
    ...(args.hotplug !== undefined ? { hotplug: args.hotplug } : {}),
    ...(args['spare-pcie-ports'] !== undefined ? { sparePciePorts: count(args['spare-pcie-ports'], 'spare-pcie-ports') } : {}),
    ...(args['spare-pci-slots'] !== undefined ? { sparePciSlots: count(args['spare-pci-slots'], 'spare-pci-slots') } : {}),
    ...(args['pack-functions'] !== undefined ? { packFunctions: Boolean(args['pack-functions']) } : {}),
  };
  const parsed = PolicySchema.safeParse(merged);
  if (!parsed.success) throw inputError(undefined, `policy: ${zodMessage(parsed.error, merged)}`);
  return parsed.data;
}

/** The `--timeout` option: a time budget in seconds. */
export function timeoutArg(what: string, fallback: number) {
  return { type: 'string' as const, description: `Time budget for ${what}, in seconds (default ${fallback})`, valueHint: 'SECONDS' };
}

/** `--timeout` as seconds; bad input is exit 2. */
export function resolveTimeout(value: string | undefined, fallback: number): number {
  const seconds = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw inputError(undefined, `--timeout must be a positive number of seconds, got '${value}'`);
  return seconds;
}

/** A report as the CLI prints it with --format json: indented, one trailing newline. */
export function json(report: object): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** `--solver`, on every command that solves. */
export const solverArgs = {
  solver: {
    type: 'enum',
    options: [...SOLVER_CHOICES],
    description: 'Which Z3 solves: native (a z3 binary, $PCIPLAN_Z3 or on PATH), wasm (built in), auto (native when a supported z3 is found; default, or $PCIPLAN_SOLVER)',
  },
} satisfies ArgsDef;

/** `--solver`, else $PCIPLAN_SOLVER, else auto; a bad value is exit 2. */
export function resolveSolver(args: { solver?: unknown }, env: NodeJS.ProcessEnv = process.env): SolverChoice {
  const [value, from] = args.solver !== undefined ? [String(args.solver), '--solver'] : env.PCIPLAN_SOLVER ? [env.PCIPLAN_SOLVER, 'PCIPLAN_SOLVER'] : ['auto', ''];
  if (!(SOLVER_CHOICES as readonly string[]).includes(value)) throw inputError(undefined, `${from} must be one of ${SOLVER_CHOICES.join(', ')}, got '${value}'`);
  return value as SolverChoice;
}

/**
 * PCIPLAN_WASM_THREAD: where the CLI's WASM checks run, `main` (the default: the process has nothing
 * else to do, and it saves starting a worker) or `worker` (z3-solver's worker thread, as the library
 * does). Bad values are exit 2.
 */
export function resolveWasmThread(value: string | undefined): WasmStart['thread'] {
  if (value === undefined || value === '') return 'main';
  if (value === 'main' || value === 'worker') return value;
  throw inputError(undefined, `PCIPLAN_WASM_THREAD must be main or worker, got '${value}'`);
}

/**
 * PCIPLAN_PROGRESS_AFTER_MS: after how many milliseconds of search assign prints its progress
 * (unset: assign's default of one second; 0: always; `off`: never). Bad values are exit 2.
 */
export function resolveProgressAfter(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'off') return Number.POSITIVE_INFINITY;
  if (!/^\d+(\.\d+)?$/.test(value)) throw inputError(undefined, `PCIPLAN_PROGRESS_AFTER_MS must be a number of milliseconds or 'off', got '${value}'`);
  return Number(value);
}

/** `--solver-seed`: Z3's random seeds, to check that a layout does not depend on the solver's search. */
export const seedArg = {
  'solver-seed': {
    type: 'string',
    description: "Set Z3's random seeds (a check that layouts do not depend on the solver's search: the output must not change)",
    valueHint: 'N',
  },
} satisfies ArgsDef;

export function resolveSeed(raw: unknown): number | undefined {
  return count(raw, 'solver-seed');
}

/** `--previous` and `--drop-unused`: keep the addresses of an earlier layout. */
export const previousArgs = {
  previous: { type: 'string', description: 'An earlier layout of this domain (output of assign, or virsh dumpxml): what is still there keeps its address', valueHint: 'OLD.xml' },
  'drop-unused': { type: 'boolean', description: 'With --previous: drop old controllers that nothing kept sits under' },
} satisfies ArgsDef;
