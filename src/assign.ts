// `assign`: a domain in, the same domain out with every PCI address filled in and the controllers
// it needs added. The given layout is validated first (a broken input is not "fixed" silently),
// and the result is validated again before it is returned.
import { implicitDevices, type ImplicitDevice } from './alloc/implicit.js';
import { constructLayout } from './alloc/constructive.js';
import { assignGreedy, type GreedyResult } from './alloc/greedy.js';
import { decodeLayout } from './optimal/decode.js';
import type { OptimalInput } from './optimal/input.js';
import { buildInstance, countingConflict, expanderLimitMayBind, type Instance } from './optimal/instance.js';
import { buildModel, solveInstance, type Progress } from './optimal/solve.js';
import type { SolverChoice } from './solver/session.js';
import { ConflictError, PciplanError } from './errors.js';
import { explainConflicts } from './explain/explainConflict.js';
import { inputFaults } from './validate/inputFaults.js';
import { applyLayout, newController, type Layout, type NewController } from './model/applyLayout.js';
import { moveHintsToMetadata } from './model/hints.js';
import { gapModel, MAX_CONTROLLER_INDEX } from './catalog/index.js';
import type { ParsedDomain } from './model/parseDomain.js';
import { decideRootHotplug, keepRootHotplug, type SettingChange } from './model/rootHotplug.js';
import { readDevice, readDomain } from './model/parseDomain.js';
import type { Policy } from './model/schemas.js';
import { compareAddressText, formatAddress, WAIVABLE_HINTS, type Device, type Domain, type PciAddress, type WaivableHint } from './model/types.js';
import { guestBusNumbers } from './model/topology.js';
import type { Problem, RuleId } from './validate/problems.js';
import { isRequirementRule, validateDomain } from './validate/validateDomain.js';
import { addressChanges, assertNothingMoved, type Move } from './stable/moves.js';
import { pinPrevious, type Pinned } from './stable/previous.js';
import { newElement, rootElement, type XmlDocument, type XmlElement } from './xml/tree.js';

export type Strategy = 'optimal' | 'greedy';

export interface PlacedDevice {
  id: string;
  kind: string;
  address: string;
  /** kept: the XML gave it; assigned: pciplan chose it; added: a device or controller pciplan adds. */
  origin: 'kept' | 'assigned' | 'added';
  model?: string;
}

export interface AssignResult {
  strategy: Strategy;
  doc: XmlDocument;
  /** The written domain, read back. */
  domain: Domain;
  devices: PlacedDevice[];
  addedControllers: { index: number; model: string; address?: string }[];
  /** One line per hint the strategy could not honour. */
  ignoredHints: string[];
  objective: { addedControllers: number; busNumbers: number };
  /** No layout adds fewer controllers than this (proven; for greedy, nothing is proven). */
  lowerBound: number;
  proven: boolean;
  ms: number;
  /** Of ms, the time spent building the model and searching with Z3 (0 for greedy). */
  solveMs: number;
  /** With `previous`: the devices that left their old address, and the requirement that forced it. */
  moved?: Move[];
  /** The layout is the canonical one among the optimal layouts (encodings/canonical.ts); greedy's always is. */
  canonical: boolean;
  /** Machine settings pciplan changed for the layout (i440fx's root bus hotplug), with why. */
  settings: SettingChange[];
}

export interface AssignOptions {
  strategy: Strategy;
  policy: Policy;
  /** Budget for the optimal search (default 30 s), counted from `startedAt`. */
  timeoutMs?: number;
  /** When the budget started, on performance.now()'s clock (default: when assignDomain is called; the CLI: process start). */
  startedAt?: number;
  onProgress?: (p: Progress) => void;
  /** Z3's random seeds: a check that layouts do not depend on the solver's search. */
  solverSeed?: number;
  /** An earlier layout of this domain: what is still there keeps its address (src/stable/previous.ts). */
  previous?: ParsedDomain;
  /** With `previous`: old controllers nothing kept sits under are dropped, not kept. */
  dropUnused?: boolean;
  /** Which Z3 the optimal strategy uses (default auto). */
  solver?: SolverChoice;
  /**
   * onProgress hears of the search only once it has run this long (default 1000 ms; 0: every
   * report; Infinity: never). A caller that compares output runs sets it, not the clock.
   */
  progressAfterMs?: number;
}

export const DEFAULT_PROGRESS_AFTER_MS = 1000;

/** The caller's onProgress, told only of reports past the threshold. */
function progressFilter(opts: AssignOptions): ((p: Progress) => void) | undefined {
  const { onProgress } = opts;
  if (!onProgress) return undefined;
  const after = opts.progressAfterMs ?? DEFAULT_PROGRESS_AFTER_MS;
  return (p) => {
    if (p.elapsedMs >= after) onProgress(p);
  };
}

/** Refuse a layout that breaks a rule before placing anything around it. */
function checkInput(domain: Domain, policy: Policy): void {
  refuse(domain, inputFaults(domain, policy));
}

function refuse(domain: Domain, errors: readonly Problem[]): void {
  if (errors.length === 0) return;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: run pciplan validate)` : '';
  throw new PciplanError('invalid', `${domain.file}${first.line ? `:${first.line}` : ''}: ${first.device ? `${first.device}: ` : ''}${first.message} [${first.rule}]${more}`, {
    file: domain.file,
    ...(first.line ? { line: first.line } : {}),
    ...(first.device ? { device: first.device } : {}),
    rule: first.rule,
  });
}

const HINT_OF_RULE: Partial<Record<RuleId, WaivableHint>> = { 'hint-hotplug': 'hotplug', 'hint-bus': 'bus', 'hint-numa': 'numa', 'hint-group': 'group' };

/** How a hint reads in a message (the policy's default when the device has no hotplug hint). */
function describeHint(d: Device, hint: WaivableHint): string {
  const h = d.hints;
  if (hint === 'hotplug') return h.hotplug === undefined ? 'the policy default hotplug' : `hotplug='${h.hotplug ? 'yes' : 'no'}'`;
  return `${hint}='${String(h[hint] ?? '')}'`;
}

/**
 * The requirements a greedy layout breaks, as waivers on a copy of the domain (all functions of a
 * broken group waive it), and one stderr line for each.
 */
function waivers(domain: Domain, problems: readonly Problem[]): { domain: Domain; lines: string[] } {
  const byDevice = new Map<string, Set<WaivableHint>>();
  let spares = false;
  for (const p of problems) {
    if (p.severity !== 'error' || !isRequirementRule(p.rule)) continue;
    if (p.rule === 'policy-spares') spares = true;
    const hint = HINT_OF_RULE[p.rule];
    const d = hint && domain.devices.find((x) => x.id === p.device);
    if (!hint || !d) continue;
    const ids = hint === 'group' ? domain.devices.filter((x) => x.hints.group === d.hints.group).map((x) => x.id) : [d.id];
    for (const id of ids) byDevice.set(id, (byDevice.get(id) ?? new Set()).add(hint));
  }
  const lines: string[] = [];
  const devices = domain.devices.map((d) => {
    const set = byDevice.get(d.id);
    if (!set) return d;
    const waived = WAIVABLE_HINTS.filter((h) => set.has(h));
    for (const h of waived) lines.push(`greedy does not honour ${describeHint(d, h)} on ${d.id}: libvirt's algorithm cannot express it (recorded as waived in pciplan's metadata)`);
    return { ...d, hints: { ...d.hints, waived } };
  });
  if (spares) lines.push("greedy does not leave the spare ports or slots the policy asks for (recorded as waived in pciplan's metadata)");
  return { domain: { ...domain, devices, ...(spares ? { sparesWaived: true } : {}) }, lines };
}

interface Placement {
  addresses: Map<number, PciAddress>;
  added: NewController[];
  devices: Device[];
  lowerBound: number;
  proven: boolean;
  solveMs: number;
  canonical: boolean;
}

export function prepareOptimal(domain: Domain, implicit: ImplicitDevice[], policy: Policy): OptimalInput {
  let greedy: GreedyResult | undefined;
  try {
    greedy = assignGreedy(domain, implicit);
  } catch (e) {
    if (!(e instanceof PciplanError)) throw e;
  }
  const forced = forcedControllers(domain, greedy);
  checkForced(domain, forced, policy);
  const base = [...domain.devices, ...implicit.map((i) => i.device)];
  const forcedDevices = forced.map((c, i) => forcedController(c, domain, base.length + i));
  return { domain, devices: [...base, ...forcedDevices], policy, greedy, forced, forcedDevices };
}

/**
 * Addresses on buses no controller provides, and gaps in the controller indexes, force libvirt's
 * controllers for them: those are taken from the greedy layout as given, and the rest optimised.
 * Without libvirt's layout (its algorithm found none), the gaps still get libvirt's gap model,
 * placed first fit with the other existing controllers (buildInstance), or refused there.
 */
function forcedControllers(domain: Domain, greedy: GreedyResult | undefined): NewController[] {
  const referenced = Math.max(
    0,
    ...domain.devices.map((d) => (d.address.type === 'pci' && d.address.pci ? d.address.pci.bus : 0)),
    ...domain.devices.map((d) => d.pci?.index ?? 0),
  );
  return referenced <= 0 ? [] : greedy ? greedy.added.filter((c) => c.index <= referenced) : gapControllers(domain, referenced);
}

/**
 * A device whose address names a bus only a forced controller provides is checked once that
 * controller exists, as one on an existing bus is (checkInput): nothing will move it, so a hint
 * its address breaks there (numa='0' at 01:00.0 under libvirt's root port) is the input's fault.
 */
function checkForced(domain: Domain, forced: readonly NewController[], policy: Policy): void {
  if (forced.length === 0) return;
  const withForced = { ...domain, devices: [...domain.devices, ...forced.map((c, i) => forcedController(c, domain, domain.devices.length + i))] };
  const before = new Set(inputFaults(domain, policy).map((p) => `${p.rule}|${p.device ?? ''}|${p.message}`));
  refuse(domain, inputFaults(withForced, policy).filter((p) => p.rule.startsWith('hint-') && !before.has(`${p.rule}|${p.device ?? ''}|${p.message}`)));
}

/** No layout: the first conflict on one line, and how many more `explain` would list. */
async function noLayout(input: OptimalInput, opts: AssignOptions): Promise<PciplanError> {
  const { conflicts, stopped } = await explainConflicts(input, { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.solver ? { solver: opts.solver } : {}) });
  if (!conflicts.length) return new PciplanError('invalid', `${input.domain.file}: no layout exists (the conflict was not found again within the time budget: run pciplan explain)`);
  const n = conflicts.length - 1;
  const note =
    stopped === 'max-conflicts' ? `at least ${n + 1} more: run pciplan explain`
    : stopped === 'time' ? `${n ? `${n} more, ` : ''}perhaps others: run pciplan explain`
    : n > 0 ? `${n} more: run pciplan explain`
    : undefined;
  return new ConflictError(conflicts[0]!, input.domain.file, note);
}

/** A layout that stands in when the search runs out of time, and what checking it cost. */
interface Fallback {
  placement: Pick<Placement, 'addresses' | 'added' | 'devices'>;
  source: 'constructive' | 'greedy';
}

/**
 * The optimal search within one time budget for the whole command. Before the search, a quick
 * layout that honours every requirement (the constructive pass, else libvirt's when it happens to
 * honour them); when the budget ends first, that layout is written, marked not proven. Z3's own
 * timeout fires late (a second or more on a busy machine) and cannot cover building the model, so
 * the search is also raced against the deadline, minus what writing and validating the result is
 * measured to cost (the quick layout's check).
 */
async function placeOptimal(doc: XmlDocument, domain: Domain, implicit: ImplicitDevice[], opts: AssignOptions, startedAt: number): Promise<Placement> {
  const budgetMs = opts.timeoutMs ?? 30_000;
  const deadline = startedAt + budgetMs;
  const input = prepareOptimal(domain, implicit, opts.policy);
  const { greedy, forced, forcedDevices, devices } = input;
  let inst;
  try {
    inst = buildInstance(domain, devices, opts.policy, greedy);
  } catch (e) {
    if (e instanceof ConflictError) throw await noLayout(input, opts);
    throw e;
  }
  const checkStart = performance.now();
  const fallback = quickLayout(doc, domain, implicit, inst, input, opts.policy);
  const finishMs = 2 * (performance.now() - checkStart);
  const solveStart = performance.now();
  const progress = progressFilter(opts);
  // Until the search proves more, the part of the analytic bound the search trusts holds.
  const model = buildModel(inst);
  const trusted = model.trusted;
  let bound = trusted;
  const solveBudget = Math.max(1, deadline - finishMs - solveStart);
  const outcome = await withDeadline(
    solveInstance(inst, {
      model,
      timeoutMs: solveBudget,
      onProgress: (p) => {
        bound = p.bound;
        progress?.(p);
      },
      ...(opts.solver ? { solver: opts.solver } : {}),
      ...(opts.solverSeed !== undefined ? { seed: opts.solverSeed } : {}),
    }),
    solveBudget,
    () => ({ status: 'unknown' as const, lowerBound: bound, bound }),
  );
  const solveMs = performance.now() - solveStart;
  // The quick layout: proven optimal when it meets the proven bound.
  const quick = (lowerBound: number): Placement => ({ ...fallback!.placement, lowerBound, proven: fallback!.placement.added.length <= lowerBound, solveMs, canonical: false });
  if (outcome.status === 'unsat') {
    // A validated layout refutes "no layout exists": the count model missed it (a known limit of
    // its reading), so the layout is written and nothing is claimed beyond the trusted bound.
    if (fallback) return quick(trusted + forced.length);
    const limit = expanderLimitMayBind(inst);
    if (limit) throw new PciplanError('invalid', `${domain.file}: no layout found, and none is proven impossible: ${limit}`);
    throw await noLayout(input, opts);
  }
  if (outcome.status === 'unknown') {
    if (fallback) return quick(outcome.bound + forced.length);
    throw new PciplanError('invalid', `${domain.file}: no layout found within the time budget of ${budgetMs / 1000} s (raise --timeout)`);
  }
  if (!outcome.proven && fallback && fallback.placement.added.length < outcome.added + forced.length) {
    // Cut short with a worse layout than the quick one: the quick one is the best found.
    return quick(outcome.bound + forced.length);
  }
  const decoded = decodeLayout(inst, outcome.values, outcome.vars);
  for (const d of forcedDevices) decoded.addresses.delete(d.index);
  // Forced controllers without an address (index gaps) take the one the instance placed them at.
  const placedForced = forced.map((c, i) => (c.address ? c : newController(c.model, c.index, inst.placed.get(forcedDevices[i]!.index))));
  return {
    addresses: decoded.addresses,
    added: [...placedForced, ...decoded.added],
    devices,
    lowerBound: outcome.bound + forced.length,
    proven: outcome.proven,
    solveMs,
    canonical: outcome.canonical,
  };
}

/** The constructive layout when it validates, else libvirt's when it meets the requirements. */
function quickLayout(doc: XmlDocument, domain: Domain, implicit: ImplicitDevice[], inst: Instance, input: OptimalInput, policy: Policy): Fallback | undefined {
  const built = constructLayout(inst);
  if (built.found) {
    for (const d of input.forcedDevices) built.addresses.delete(d.index);
    const placement = { addresses: built.addresses, added: [...input.forced, ...built.added], devices: input.devices };
    if (meets(doc, domain, implicit, placement, policy)) return { placement, source: 'constructive' };
  }
  const g = input.greedy;
  if (g && meets(doc, domain, implicit, g, policy)) return { placement: { addresses: g.addresses, added: g.added, devices: g.devices }, source: 'greedy' };
  return undefined;
}

/**
 * The constructive pass alone on a domain (for tests and the budget benchmark): its layout and the
 * validator's errors on it under the policy, or why it found none.
 */
export function constructiveLayout(parsed: ParsedDomain, policy: Policy): { found: false; reason: string } | { found: true; added: number; errors: Problem[] } {
  const { doc, domain } = parsed;
  checkInput(domain, policy);
  const implicit = implicitOf(parsed);
  const input = prepareOptimal(domain, implicit, policy);
  const built = constructLayout(buildInstance(domain, input.devices, policy, input.greedy));
  if (!built.found) return built;
  for (const d of input.forcedDevices) built.addresses.delete(d.index);
  const layout = { addresses: built.addresses, added: [...input.forced, ...built.added] };
  const disallowed = policy.addControllers ? layout.added.filter((c) => !policy.addControllers!.includes(c.model)) : [];
  const written = readDomain(applyLayout(doc, domain, toLayout(domain, implicit, layout)), domain.file);
  const errors = validateDomain(written, policy).problems.filter((p) => p.severity === 'error');
  return { found: true, added: layout.added.length, errors: [...errors, ...disallowed.map((c) => ({ severity: 'error' as const, rule: 'controller-machine' as const, message: `adds a ${c.model}, which the policy does not allow` }))] };
}

/** `work`, or `late()` once `ms` have passed (the work keeps running to its own end). */
async function withDeadline<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The layout a placement writes: addresses of the domain's own devices (those that change), the
 * controllers added, the implicit devices with their addresses.
 */
function toLayout(domain: Domain, implicit: ImplicitDevice[], placed: { addresses: Map<number, PciAddress>; added: NewController[] }): Layout {
  return {
    addresses: new Map([...placed.addresses].filter(([i, a]) => i < domain.devices.length && !sameAddress(domain.devices[i]!, a))),
    added: placed.added,
    implicit: implicit.map((i) => ({ element: i.element, ...(placed.addresses.has(i.device.index) ? { address: placed.addresses.get(i.device.index)! } : {}) })),
  };
}

/** Whether a layout honours the hints and the policy and passes the validator (then it can stand in). */
function meets(doc: XmlDocument, domain: Domain, implicit: ImplicitDevice[], layout: { addresses: Map<number, PciAddress>; added: NewController[] }, policy: Policy): boolean {
  // The validator checks layouts, not which controllers a plan was allowed to add.
  if (policy.addControllers && layout.added.some((c) => !policy.addControllers!.includes(c.model))) return false;
  const written = readDomain(applyLayout(doc, domain, toLayout(domain, implicit, layout)), domain.file);
  return !validateDomain(written, policy).problems.some((p) => p.severity === 'error');
}

/** The controllers libvirt puts at the indexes 1..upTo nobody wrote (catalog gapModel), unaddressed. */
function gapControllers(domain: Domain, upTo: number): NewController[] {
  const written = new Set(domain.devices.flatMap((d) => (d.pci ? [d.pci.index] : [])));
  const model = gapModel(domain.machine);
  const out: NewController[] = [];
  for (let i = 1; i <= Math.min(upTo, MAX_CONTROLLER_INDEX); i++) if (!written.has(i)) out.push(newController(model, i, undefined, {}));
  return out;
}

/** A controller the input's addresses force, as a device with its address (not written twice). */
function forcedController(c: NewController, domain: Domain, index: number): Device {
  const attrs: [string, string][] = [['type', 'pci'], ['index', String(c.index)], ['model', c.model]];
  const a = c.address;
  const children = a ? [newElement('address', [['type', 'pci'], ['domain', '0'], ['bus', String(a.bus)], ['slot', String(a.slot)], ['function', String(a.function)]])] : [];
  return readDevice(newElement('controller', attrs, children), 'controller', index + 1, index, [], domain.machine, domain.arch, domain.file);
}

/** The devices libvirt adds by itself (USB, SATA, balloon ...), read off the document. */
export function implicitOf({ doc, domain }: ParsedDomain): ImplicitDevice[] {
  const root = rootElement(doc);
  return implicitDevices(domain, domain.devices.map((d) => (root.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement));
}

/** The conflict counting alone proves (countingConflict), before any allocator runs. */
export function countedConflict(parsed: ParsedDomain, implicit: ImplicitDevice[], policy: Policy) {
  return countingConflict(parsed.domain, [...parsed.domain.devices, ...implicit.map((i) => i.device)], policy);
}

/** What the optimal search of `assign` starts from, for `explain` (call it on an input without faults). */
export function optimalInputOf(parsed: ParsedDomain, policy: Policy): OptimalInput {
  return prepareOptimal(parsed.domain, implicitOf(parsed), policy);
}

export async function assignDomain(input: ParsedDomain, opts: AssignOptions): Promise<AssignResult> {
  const start = performance.now();
  // The optimal strategy also chooses i440fx's root bus hotplug (libvirt's algorithm never does),
  // before the earlier layout's addresses are judged against the requirements: whether an old
  // address on pci.0 may stay depends on it. The earlier layout's own choice is kept.
  const optimal = opts.strategy === 'optimal';
  const base = optimal && opts.previous ? keepRootHotplug(input, opts.previous) : input;
  const decided = optimal ? decideRootHotplug(base, opts.policy) : undefined;
  const current = decided?.parsed ?? base;
  const pinned: Pinned | undefined = opts.previous ? pinPrevious(current, opts.previous, opts.policy, { dropUnused: !!opts.dropUnused }) : undefined;
  const parsed = pinned?.parsed ?? current;
  const { doc, domain } = parsed;
  checkInput(domain, opts.policy);
  const implicit = implicitOf(parsed);
  // Counting alone may prove there is no layout: then neither libvirt's algorithm nor the model runs.
  const counted = countedConflict(parsed, implicit, opts.policy);
  if (counted) throw new ConflictError(counted, domain.file);
  let result: Placement;
  let ignoredHints: string[] = [];
  if (opts.strategy === 'greedy') {
    const g = assignGreedy(domain, implicit);
    checkForced(domain, forcedControllers(domain, g), opts.policy);
    result = { addresses: g.addresses, added: g.added, devices: g.devices, lowerBound: 0, proven: false, solveMs: 0, canonical: true };
  } else {
    result = await placeOptimal(doc, domain, implicit, opts, opts.startedAt ?? start);
  }

  const layout = toLayout(domain, implicit, result);
  const out = applyLayout(doc, domain, layout);
  let written = readDomain(out, domain.file);
  if (opts.strategy === 'greedy') {
    // libvirt's algorithm knows no hints or policy: what its layout breaks is written down as
    // waived, so that the file does not carry a requirement it silently breaks (validate warns).
    // The written domain, so that the devices pciplan adds (a USB controller under a policy's
    // hotplug default) can carry their waivers too.
    const waived = waivers(written, validateDomain(written, opts.policy).problems);
    if (waived.lines.length) {
      const outRoot = rootElement(out);
      const els = waived.domain.devices.map((d) => (outRoot.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement);
      moveHintsToMetadata(outRoot, waived.domain.devices, els, waived.domain.sparesWaived);
      written = readDomain(out, domain.file);
      ignoredHints = waived.lines;
    }
  }

  const check = validateDomain(written, opts.policy);
  const errors = check.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    const e = errors[0]!;
    // libvirt's algorithm can produce what libvirt then refuses (a pci-bridge plugged into itself):
    // that is the input's fault as much as libvirt's. An invalid optimal layout is pciplan's bug.
    const where = { file: domain.file, ...(e.line ? { line: e.line } : {}), ...(e.device ? { device: e.device } : {}), rule: e.rule };
    if (opts.strategy === 'greedy') throw new PciplanError('invalid', `${domain.file}: libvirt's algorithm gives no valid layout: ${e.device ? `${e.device}: ` : ''}${e.message} [${e.rule}]`, where);
    throw new PciplanError('internal', `the optimal layout fails validation: ${e.device ?? ''} ${e.message}`, where);
  }

  const devices: PlacedDevice[] = result.devices
    .filter((d) => result.addresses.has(d.index))
    .map((d) => {
      const model = d.pci?.model ?? d.props.model;
      return {
        id: d.id,
        kind: d.kind,
        address: formatAddress(result.addresses.get(d.index)!),
        origin: d.index >= domain.devices.length ? ('added' as const) : d.address.type === 'pci' && d.address.pci ? ('kept' as const) : ('assigned' as const),
        ...(model ? { model } : {}),
      };
    });
  for (const c of result.added) {
    if (c.address && !result.devices.some((d) => d.pci?.index === c.index)) {
      devices.push({ id: `controller[pci ${c.index}]`, kind: 'controller', address: formatAddress(c.address), origin: 'added', model: c.model });
    }
  }
  devices.sort((x, y) => compareAddressText(x.address, y.address));
  const addedControllers = [
    ...implicit.filter((i) => i.device.pci).map((i) => ({ index: i.device.pci!.index, model: i.device.pci!.model as string })),
    ...result.added.map((c) => ({ index: c.index, model: c.model as string, ...(c.address ? { address: formatAddress(c.address) } : {}) })),
  ];
  const busNumbers = guestBusNumbers(written);
  let moved: Move[] | undefined;
  if (pinned) {
    const now = new Map(written.devices.map((d) => [d.id, d.address.type === 'pci' ? d.address.pci : undefined] as const));
    assertNothingMoved('assign --previous', [...pinned.kept].map(([id, before]) => ({ id, before, after: now.get(id) })));
    const why = new Map(pinned.released.map((r) => [r.id, r.why]));
    moved = addressChanges(pinned.released.map((r) => ({ id: r.id, before: r.from, after: now.get(r.id) }))).map((m) => ({ ...m, why: why.get(m.id)! }));
  }
  return {
    strategy: opts.strategy,
    doc: out,
    domain: written,
    devices,
    addedControllers,
    ignoredHints,
    objective: { addedControllers: result.added.length, busNumbers },
    lowerBound: result.lowerBound,
    proven: result.proven,
    ms: performance.now() - start,
    solveMs: result.solveMs,
    canonical: result.canonical,
    settings: decided?.change ? [decided.change] : [],
    ...(moved ? { moved } : {}),
  };
}

/** An address the device already has (a kept address is not rewritten). */
function sameAddress(d: Device, a: PciAddress): boolean {
  const b = d.address.type === 'pci' ? d.address.pci : undefined;
  return !!b && b.bus === a.bus && b.slot === a.slot && b.function === a.function && b.domain === a.domain && b.multifunction === a.multifunction;
}
