// assign(domain, options): every device gets a PCI address, only the controllers needed are added.
// The planner (and with it Z3) is loaded on the first call, not when pciplan is imported.
import type { AssignResult, Strategy } from '../assign.js';
import { inputError } from '../errors.js';
import type { Progress } from '../optimal/solve.js';
import { SCHEMA_VERSION } from '../schema/version.js';
import type { AssignJson, PlanJson } from '../schema/index.js';
import { checkPolicy, checkSolver, checkTimeout, domainOf, toParsed, type DomainInput, type DomainOptions, type SearchOptions } from './options.js';

export type { Progress, Strategy };

export interface AssignOptions extends DomainOptions, SearchOptions {
  /** 'optimal' (default): fewest added controllers, proven with Z3; 'greedy': libvirt's own algorithm. */
  strategy?: Strategy;
  /** Called while the optimal search runs: the best layout so far and the proven bound. */
  onProgress?: (p: Progress) => void;
  /** onProgress hears of the search only once it has run this long (default 1000 ms; 0: every report). */
  progressAfterMs?: number;
  /** When the time budget started, on performance.now()'s clock (default: when assign is called). */
  startedAt?: number;
  /** An earlier layout of this domain: what is still there keeps its address (README: assign --previous). */
  previous?: DomainInput;
  /** With `previous`: old controllers nothing kept sits under are dropped, not kept. */
  dropUnused?: boolean;
  /** Z3's random seeds (a check that layouts do not depend on the solver's search). */
  solverSeed?: number;
}

/** The fields of `pciplan assign --format json`, and the domain as written. */
export interface AssignReport extends AssignJson {
  /** The domain XML with every address filled in and the added controllers (what the CLI prints). */
  xml: string;
}

/** A plan's figures as JSON; `compare` feeds real libvirt's plans through the same shape. */
export function planJson(r: Pick<AssignResult, 'domain' | 'devices' | 'addedControllers' | 'objective' | 'lowerBound' | 'proven' | 'ms' | 'moved'> & Partial<Pick<AssignResult, 'settings'>> & { strategy: PlanJson['strategy'] }): PlanJson {
  return {
    file: r.domain.file,
    strategy: r.strategy,
    devices: r.devices.map(({ id, kind, address, origin, model }) => ({ id, kind, address, origin, ...(model ? { model } : {}) })),
    addedControllers: r.addedControllers.map(({ index, model, address }) => ({ index, model, ...(address ? { address } : {}) })),
    objective: { addedControllers: r.objective.addedControllers, busNumbers: r.objective.busNumbers },
    lowerBound: r.lowerBound,
    proven: r.proven,
    ...(r.moved ? { moved: r.moved.map(({ id, from, to, why }) => ({ id, from, to, why })) } : {}),
    ...(r.settings?.length ? { settings: r.settings.map(({ device, target, devices, why }) => ({ device, target: { ...target }, devices: [...devices], why })) } : {}),
    ms: Math.round(r.ms * 1000) / 1000,
  };
}

export function checkStrategy(strategy: unknown = 'optimal'): Strategy {
  if (strategy !== 'optimal' && strategy !== 'greedy') throw inputError(undefined, `strategy must be 'optimal' or 'greedy', got ${JSON.stringify(strategy)}`);
  return strategy;
}

export async function assign(domain: DomainInput, options: AssignOptions = {}): Promise<AssignReport> {
  const parsed = domainOf(domain, options);
  const strategy = checkStrategy(options.strategy);
  const policy = checkPolicy(options.policy);
  const timeoutMs = checkTimeout(options.timeoutMs, 30_000);
  const solver = checkSolver(options.solver);
  const previous = options.previous === undefined ? undefined : toParsed(options.previous, 'previous.xml');
  if (options.solverSeed !== undefined && !(Number.isInteger(options.solverSeed) && options.solverSeed >= 0)) throw inputError(undefined, `solverSeed must be a whole number, got ${JSON.stringify(options.solverSeed)}`);
  const [{ assignDomain }, { writeXml }] = await Promise.all([import('../assign.js'), import('../xml/writeXml.js')]);
  const result = await assignDomain(parsed, {
    strategy,
    policy,
    timeoutMs,
    solver,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.progressAfterMs !== undefined ? { progressAfterMs: options.progressAfterMs } : {}),
    ...(options.startedAt !== undefined ? { startedAt: options.startedAt } : {}),
    ...(options.solverSeed !== undefined ? { solverSeed: options.solverSeed } : {}),
    ...(previous ? { previous, dropUnused: !!options.dropUnused } : {}),
  });
  return { schemaVersion: SCHEMA_VERSION, ...planJson(result), ignoredHints: result.ignoredHints, canonical: result.canonical, xml: writeXml(result.doc) };
}
