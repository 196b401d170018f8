// `assign`: a domain in, the same domain out with every PCI address filled in and the controllers
// it needs added. The given layout is validated first (a broken input is not "fixed" silently),
// and the result is validated again before it is returned.
import { implicitDevices, type ImplicitDevice } from './alloc/implicit.js';
import { assignGreedy, type GreedyResult } from './alloc/greedy.js';
import { decodeLayout } from './optimal/decode.js';
import { buildInstance } from './optimal/instance.js';
import { solveInstance, type Progress } from './optimal/solve.js';
import type { SolverChoice } from './solver/session.js';
import { ConflictError, PciplanError } from './errors.js';
import { explainConflict } from './explain/explainConflict.js';
import { inputFaults } from './explain/validationConflicts.js';
import { applyLayout, type Layout, type NewController } from './model/applyLayout.js';
import type { ParsedDomain } from './model/parseDomain.js';
import { readDevice, readDomain } from './model/parseDomain.js';
import type { Policy } from './model/schemas.js';
import { formatAddress, type Device, type Domain, type PciAddress } from './model/types.js';
import { guestBusNumbers } from './model/topology.js';
import { isRequirementRule, validateDomain } from './validate/validateDomain.js';
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
}

export interface AssignOptions {
  strategy: Strategy;
  policy: Policy;
  /** Budget for the optimal search (default 30 s). */
  timeoutMs?: number;
  onProgress?: (p: Progress) => void;
  /** Which Z3 the optimal strategy uses (default auto). */
  solver?: SolverChoice;
}

/** Refuse a layout that breaks a rule before placing anything around it. */
function checkInput(domain: Domain, policy: Policy): void {
  const errors = inputFaults(domain, policy);
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

function describeHints(d: Device): string[] {
  const out: string[] = [];
  const h = d.hints;
  if (h.hotplug !== undefined) out.push(`hotplug='${h.hotplug ? 'yes' : 'no'}'`);
  if (h.bus) out.push(`bus='${h.bus}'`);
  if (h.numa !== undefined) out.push(`numa='${h.numa}'`);
  if (h.group) out.push(`group='${h.group}'`);
  return out;
}

interface Placement {
  addresses: Map<number, PciAddress>;
  added: NewController[];
  devices: Device[];
  lowerBound: number;
  proven: boolean;
  solveMs: number;
}

/** What the optimal search works on: the devices (implicit and forced ones included) and libvirt's layout for defaults. */
export interface OptimalInput {
  domain: Domain;
  devices: Device[];
  policy: Policy;
  greedy: GreedyResult | undefined;
  /** Controllers the input's addresses force, taken from libvirt's layout as given. */
  forced: NewController[];
  forcedDevices: Device[];
}

export function prepareOptimal(domain: Domain, implicit: ImplicitDevice[], policy: Policy): OptimalInput {
  let greedy: GreedyResult | undefined;
  try {
    greedy = assignGreedy(domain, implicit);
  } catch (e) {
    if (!(e instanceof PciplanError)) throw e;
  }
  // Addresses on buses no controller provides, and gaps in the controller indexes, force libvirt's
  // controllers for them: take those from the greedy layout as given, and optimise the rest.
  const referenced = Math.max(
    0,
    ...domain.devices.map((d) => (d.address.type === 'pci' && d.address.pci ? d.address.pci.bus : 0)),
    ...domain.devices.map((d) => d.pci?.index ?? 0),
  );
  const forced = greedy && referenced > 0 ? greedy.added.filter((c) => c.index <= referenced) : [];
  const base = [...domain.devices, ...implicit.map((i) => i.device)];
  const forcedDevices = forced.map((c, i) => forcedController(c, domain, base.length + i));
  return { domain, devices: [...base, ...forcedDevices], policy, greedy, forced, forcedDevices };
}

async function placeOptimal(doc: XmlDocument, domain: Domain, implicit: ImplicitDevice[], opts: AssignOptions): Promise<Placement> {
  const input = prepareOptimal(domain, implicit, opts.policy);
  const { greedy, forced, forcedDevices, devices } = input;
  let inst;
  try {
    inst = buildInstance(domain, devices, opts.policy, greedy);
  } catch (e) {
    if (e instanceof ConflictError) throw new ConflictError(e.conflict, domain.file);
    throw e;
  }
  const solveStart = performance.now();
  const outcome = await solveInstance(inst, { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.solver ? { solver: opts.solver } : {}) });
  const solveMs = performance.now() - solveStart;
  if (outcome.status === 'unsat') {
    throw new ConflictError(await explainConflict(input, { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.solver ? { solver: opts.solver } : {}) }), domain.file);
  }
  if (outcome.status === 'unknown') {
    // Out of time before any layout: libvirt's is the fallback, when it meets the requirements.
    if (greedy && greedyMeets(doc, domain, implicit, greedy, opts.policy)) {
      return { addresses: greedy.addresses, added: greedy.added, devices: greedy.devices, lowerBound: outcome.bound, proven: false, solveMs };
    }
    throw new PciplanError('invalid', `${domain.file}: no layout found within the time budget of ${(opts.timeoutMs ?? 30_000) / 1000} s (raise --timeout)`);
  }
  const decoded = decodeLayout(inst, outcome.values, outcome.vars);
  for (const d of forcedDevices) decoded.addresses.delete(d.index);
  return {
    addresses: decoded.addresses,
    added: [...forced, ...decoded.added],
    devices,
    lowerBound: outcome.bound + forced.length,
    proven: outcome.proven,
    solveMs,
  };
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

/** Whether the greedy layout honours the hints and the policy (then it can stand in). */
function greedyMeets(doc: XmlDocument, domain: Domain, implicit: ImplicitDevice[], greedy: GreedyResult, policy: Policy): boolean {
  // The validator checks layouts, not which controllers a plan was allowed to add.
  if (policy.addControllers && greedy.added.some((c) => !policy.addControllers!.includes(c.model))) return false;
  const written = readDomain(applyLayout(doc, domain, toLayout(domain, implicit, greedy)), domain.file);
  return !validateDomain(written, policy).problems.some((p) => p.severity === 'error');
}

/** A controller the input's addresses force, as a device with its address (not written twice). */
function forcedController(c: NewController, domain: Domain, index: number): Device {
  const attrs: [string, string][] = [['type', 'pci'], ['index', String(c.index)], ['model', c.model]];
  const a = c.address;
  const children = a ? [newElement('address', [['type', 'pci'], ['domain', '0'], ['bus', String(a.bus)], ['slot', String(a.slot)], ['function', String(a.function)]])] : [];
  return readDevice(newElement('controller', attrs, children), 'controller', index + 1, index, [], domain.machine, domain.arch, domain.file);
}

export async function assignDomain(parsed: ParsedDomain, opts: AssignOptions): Promise<AssignResult> {
  const start = performance.now();
  const { doc, domain } = parsed;
  checkInput(domain, opts.policy);
  const root = rootElement(doc);
  const deviceEls = domain.devices.map((d) => (root.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement);
  const implicit = implicitDevices(domain, deviceEls);
  let result: Placement;
  let ignoredHints: string[] = [];
  if (opts.strategy === 'greedy') {
    const g = assignGreedy(domain, implicit);
    result = { addresses: g.addresses, added: g.added, devices: g.devices, lowerBound: 0, proven: false, solveMs: 0 };
    ignoredHints = domain.devices.flatMap((d) => describeHints(d).map((h) => `greedy ignores ${h} on ${d.id}: libvirt's algorithm cannot express it`));
  } else {
    result = await placeOptimal(doc, domain, implicit, opts);
  }

  const out = applyLayout(doc, domain, toLayout(domain, implicit, result));
  const written = readDomain(out, domain.file);

  const check = validateDomain(written, opts.strategy === 'optimal' ? opts.policy : {});
  const ignorable = (rule: string) => opts.strategy === 'greedy' && isRequirementRule(rule);
  const errors = check.problems.filter((p) => p.severity === 'error' && !ignorable(p.rule));
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
  devices.sort((x, y) => x.address.localeCompare(y.address));
  const addedControllers = [
    ...implicit.filter((i) => i.device.pci).map((i) => ({ index: i.device.pci!.index, model: i.device.pci!.model as string })),
    ...result.added.map((c) => ({ index: c.index, model: c.model as string, ...(c.address ? { address: formatAddress(c.address) } : {}) })),
  ];
  const busNumbers = guestBusNumbers(written);
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
  };
}

/** An address the device already has (a kept address is not rewritten). */
function sameAddress(d: Device, a: PciAddress): boolean {
  const b = d.address.type === 'pci' ? d.address.pci : undefined;
  return !!b && b.bus === a.bus && b.slot === a.slot && b.function === a.function && b.domain === a.domain && b.multifunction === a.multifunction;
}
