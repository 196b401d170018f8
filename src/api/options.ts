// What every API function takes: the domain (XML text or an already parsed domain) and the
// options a caller may get wrong, checked here so that a bad value is a PciplanError('input'),
// not a crash deep in the planner.
import { inputError } from '../errors.js';
import { parseDomain, type ParsedDomain } from '../model/parseDomain.js';
import { SOLVER_CHOICES, type SolverChoice } from '../solver/session.js';
import { HintAttrsSchema, hintsFromAttrs, PolicySchema, zodMessage, type Policy } from '../model/schemas.js';

/**
 * A libvirt domain: its XML text, the text with the name it goes by in messages, or the result of
 * `parseDomain` (parsed once, planned often).
 */
export type DomainInput = string | { xml: string; file?: string } | ParsedDomain;

/**
 * Which Z3 runs the optimal search: 'wasm' is z3-solver (always there), 'native' a z3 binary
 * ($PCIPLAN_Z3 or on PATH), 'auto' native when a supported z3 is found, else wasm.
 */
export type Solver = SolverChoice;
export const SOLVERS: readonly Solver[] = SOLVER_CHOICES;

/** A device's placement hints, as the attributes of <addressPreferences> (README: Placement hints). */
export interface HintAttrs {
  hotplug?: 'yes' | 'no';
  bus?: 'pci' | 'pcie';
  numa?: number | string;
  group?: string;
}

export interface DomainOptions {
  /** The name the domain goes by in messages and reports (default 'domain.xml'; ignored for a parsed domain). */
  file?: string;
  /** Hotplug default, spare ports and slots, function packing, controllers allowed (README: Policy). */
  policy?: Policy;
  /**
   * Hints for devices, on top of those in the XML: keyed by device name (disk[vda]) or by what is
   * inside its brackets (an alias such as ua-containerdisk, a target, a MAC) when one device has it.
   * A hint that contradicts the XML's is an input error.
   */
  hints?: Record<string, HintAttrs>;
}

export interface SearchOptions {
  /** Budget for the optimal search, in milliseconds. */
  timeoutMs?: number;
  /** Which Z3 to use (default 'auto'). */
  solver?: Solver;
}

export function toParsed(input: DomainInput, file = 'domain.xml'): ParsedDomain {
  if (typeof input === 'string') return parseDomain(input, file);
  if (input && typeof input === 'object' && 'xml' in input && typeof input.xml === 'string') return parseDomain(input.xml, input.file ?? file);
  if (input && typeof input === 'object' && 'doc' in input && 'domain' in input) return input;
  throw inputError(undefined, 'the domain must be XML text, { xml, file } or the result of parseDomain');
}

/** The domain of an API call: parsed, with the caller's hints merged in (a new Domain; the input is not changed). */
export function domainOf(input: DomainInput, options: DomainOptions): ParsedDomain {
  const parsed = toParsed(input, options.file);
  const given = options.hints;
  if (given === undefined) return parsed;
  if (!given || typeof given !== 'object') throw inputError(undefined, 'hints must be an object keyed by device name');
  const devices = parsed.domain.devices.map((d) => ({ ...d }));
  for (const [key, raw] of Object.entries(given)) {
    const matches = devices.filter((d) => d.id === key || d.id.endsWith(`[${key}]`));
    if (matches.length !== 1) {
      throw inputError(parsed.domain.file, `hints for '${key}': ${matches.length ? `${matches.length} devices match (${matches.map((d) => d.id).join(', ')}): use the full name` : 'no device has that name'}`);
    }
    const d = matches[0]!;
    const attrs = Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
    const checked = HintAttrsSchema.safeParse(attrs);
    if (!checked.success) throw inputError(parsed.domain.file, `hints for ${d.id}: ${zodMessage(checked.error, attrs)}`, { device: d.id });
    const hints = hintsFromAttrs(checked.data);
    for (const [k, v] of Object.entries(hints)) {
      const own = (d.hints as Record<string, unknown>)[k];
      const word = (x: unknown) => (typeof x === 'boolean' ? (x ? 'yes' : 'no') : String(x));
      if (own !== undefined && own !== v) throw inputError(parsed.domain.file, `${d.id}: the XML says ${k}='${word(own)}' but the hints given say '${word(v)}'`, { device: d.id });
    }
    d.hints = { ...d.hints, ...hints };
  }
  return { doc: parsed.doc, domain: { ...parsed.domain, devices } };
}

export function checkPolicy(policy: unknown = {}): Policy {
  const parsed = PolicySchema.safeParse(policy);
  if (!parsed.success) throw inputError(undefined, `policy: ${zodMessage(parsed.error, policy)}`);
  return parsed.data;
}

export function checkTimeout(ms: number | undefined, fallback: number): number {
  if (ms === undefined) return fallback;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) throw inputError(undefined, `timeoutMs must be a positive number of milliseconds, got ${JSON.stringify(ms)}`);
  return ms;
}

/** The solver asked for (default 'auto'); anything else is an input error. */
export function checkSolver(solver: unknown = 'auto'): Solver {
  if (!SOLVERS.includes(solver as Solver)) throw inputError(undefined, `solver must be one of ${SOLVERS.join(', ')}, got ${JSON.stringify(solver)}`);
  return solver as Solver;
}
