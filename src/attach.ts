// `attach`: where new devices go in a domain whose devices all have addresses, without moving any
// of them. The new elements are put into a copy of the domain and the optimal allocator places
// them: every existing device and controller is a fixed input of the instance, so the answer adds
// the fewest controllers (cold plug) or none at all (live: the PCI topology of a running guest
// cannot grow; libvirt hot-plugs no PCI controller). The invariant that nothing already placed
// moves is checked on the result, not assumed.
import { implicitDevices } from './alloc/implicit.js';
import { assignDomain, type AssignResult } from './assign.js';
import { DEVICE_KINDS, ROOT_MODELS, rootRole, type DeviceKind } from './catalog/index.js';
import { inputError, PciplanError } from './errors.js';
import type { AttachRule } from './rules.js';
import { HINTS_ELEMENT } from './model/hints.js';
import { readDevice, readDomain, type ParsedDomain } from './model/parseDomain.js';
import type { Policy } from './model/schemas.js';
import type { SolverChoice } from './solver/session.js';
import { addressOf, buildTopology, busHotpluggable, freeSlots, isPortBus } from './model/topology.js';
import { formatAddress, needsPciAddress, type Device, type Domain, type PciAddress } from './model/types.js';
import { spareCapacity } from './validate/hints.js';
import { assertNothingMoved } from './stable/moves.js';
import { appendChild } from './xml/edit.js';
import { parseXml } from './xml/parseXml.js';
import { attr, cloneDocument, elements, firstElement, newElement, rootElement, type XmlDocument, type XmlElement } from './xml/tree.js';
import { writeXml } from './xml/writeXml.js';

/** A device element to attach, with the file it came from (for messages). */
export interface NewDevice {
  element: XmlElement;
  file: string;
}

export interface AttachOptions {
  /** The guest runs: no controller may be added, every new device must be hot-pluggable. */
  live: boolean;
  policy: Policy;
  timeoutMs?: number;
  /** Which Z3 places the devices (default auto). */
  solver?: SolverChoice;
}

export interface AttachedDevice {
  id: string;
  kind: DeviceKind;
  /** The file it came from; undefined for a device the new ones imply (libvirt would add it). */
  file?: string;
  /** The element to attach: the input's, with its <address> filled in and the hints removed. */
  element: XmlElement;
  /** Its PCI address; undefined for a device that takes none (a USB or SATA disk ...). */
  address?: PciAddress;
  /** 1-based position in the order the elements must be attached (controllers count too). */
  plugOrder: number;
}

export interface AttachResult {
  live: boolean;
  /** Controllers to add, in the order they must be defined (each after the bus it plugs into). */
  addedControllers: AttachedDevice[];
  /** The new devices, in plug order (a multifunction slot's function 0 last). */
  devices: AttachedDevice[];
  /** Things a person must know: what libvirt itself cannot do with this plan. */
  warnings: string[];
  proven: boolean;
  lowerBound: number;
  ms: number;
  /** The document's attribute quote, so that written elements look like the input. */
  quote: "'" | '"';
}

const KINDS = new Set<string>(DEVICE_KINDS);
/** Tags the elements through the allocator, which clones the document (removed on the way out). */
const MARK = 'pciplan-attach-mark';

/**
 * A device file: one device element (as for `virsh attach-device`), or several in a <devices>
 * wrapper (the functions of one multifunction device, say). Anything else is bad input.
 */
export function readDeviceFile(text: string, file: string): NewDevice[] {
  const root = rootElement(parseXml(text, file));
  const els = root.name === 'devices' ? elements(root) : [root];
  if (els.length === 0) throw inputError(`${file}:${root.line}`, '<devices> holds no device element');
  for (const el of els) {
    if (!KINDS.has(el.name)) {
      throw inputError(`${file}:${el.line}`, `<${el.name}> is not a device element (expected one of disk, interface, hostdev, controller, ... or a <devices> wrapper)`);
    }
  }
  return els.map((element) => ({ element, file }));
}

const at = (file: string, line: number) => (line ? `${file}:${line}` : file);

/** attach plans around fixed addresses: a device still to be placed would be moved by nobody. */
function requireAddressed(domain: Domain, els: (XmlElement | undefined)[]): void {
  const open = domain.devices.find((d) => needsPciAddress(d) && !addressOf(d));
  if (open) {
    throw inputError(at(domain.file, open.line), `${open.id} has no PCI address: attach needs a domain whose devices all have addresses (run pciplan assign first, or use virsh dumpxml of the defined domain)`);
  }
  const implied = implicitDevices(domain, els).find((i) => needsPciAddress(i.device));
  if (implied) {
    throw inputError(domain.file, `libvirt would add ${implied.device.id} to this domain with an address of its choosing: attach needs a domain whose devices all have addresses (run pciplan assign first, or use virsh dumpxml of the defined domain)`);
  }
}

function deviceEls(doc: XmlDocument, domain: Domain): XmlElement[] {
  const root = rootElement(doc);
  return domain.devices.map((d) => (root.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement);
}

/** A refusal of attach --live: its id ends the message, in brackets, and is the error's rule. */
function refusal(rule: AttachRule, message: string): PciplanError {
  return new PciplanError('invalid', `${message} [${rule}]`, { rule });
}

/**
 * What libvirt refuses to hot-plug, checked before any search. A device that must not be
 * hot-pluggable is never attached live (@rule hotplug-no).
 */
function checkLive(d: Device, file: string): void {
  const where = at(file, d.line);
  if (d.hints.hotplug === false) {
    throw refusal('live-hotplug', `${where}: ${d.id} has hotplug='no' and cannot be attached with --live: a device the guest must not eject goes where nothing is hot-plugged (attach it without --live, then restart the guest)`);
  }
  if (d.kind === 'controller' && d.props.type !== 'scsi') {
    throw refusal('live-controller', `${where}: ${d.id} cannot be attached with --live: libvirt hot-plugs no controller but a SCSI one (attach it without --live, then restart the guest)`);
  }
}

/** A hotplug requirement for the allocator, written as a person would write the hint. */
function setHotplug(el: XmlElement, value: 'yes' | 'no'): void {
  let prefs = firstElement(el, HINTS_ELEMENT);
  if (!prefs) {
    prefs = newElement(HINTS_ELEMENT);
    appendChild(el, prefs);
  }
  prefs.attrs = [...prefs.attrs.filter(([n]) => n !== 'hotplug'), ['hotplug', value]];
}

const implicitKey = (el: XmlElement) => `${el.name}|${attr(el, 'type') ?? ''}|${attr(el, 'index') ?? ''}`;

/** Free places of the existing layout, for the explanation when nothing fits. */
export function freePlaces(domain: Domain): { hpPorts: number; hpSlots: number; offPorts: number; rootSlots: number } {
  const topo = buildTopology(domain);
  const spare = spareCapacity(domain, topo);
  let offPorts = 0;
  let rootSlots = 0;
  for (const bus of topo.buses.values()) {
    if (busHotpluggable(bus)) continue;
    if (isPortBus(bus)) offPorts += freeSlots(domain, topo, bus).length;
    else if (bus.index === 0) rootSlots = freeSlots(domain, topo, bus).length;
  }
  return { hpPorts: spare.pciePorts, hpSlots: spare.pciSlots, offPorts, rootSlots };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function explainNoRoom(domain: Domain, live: boolean): string {
  const f = freePlaces(domain);
  const left = `${plural(f.hpPorts, 'empty hot-pluggable PCIe port')} and ${plural(f.hpSlots, 'free hot-pluggable PCI slot')} left`;
  const off = f.offPorts ? `, ${plural(f.offPorts, 'empty port has', 'empty ports have')} hotplug='off'` : '';
  const root = f.rootSlots ? `, ${plural(f.rootSlots, 'free slot')} of ${rootRole(domain.machine) === 'express-root' ? 'pcie.0 (not hot-pluggable)' : 'the root bus with hotplug off'}` : '';
  if (live) return `attach --live: ${left}${off}${root}; --live forbids adding controllers (attach without --live to add them, then restart the guest)`;
  return `attach: ${left}${off}${root}`;
}

/** Elements of the output: a copy without the marker, without hints libvirt does not know. */
function outputElement(el: XmlElement): XmlElement {
  const copy = structuredClone(el);
  copy.attrs = copy.attrs.filter(([n]) => n !== MARK);
  return copy;
}

function sameSlot(a: PciAddress, b: PciAddress): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot;
}

/**
 * The order to plug the new devices in: as given, except that the functions sharing a slot go
 * together where the first of them was, function 0 last. QEMU exposes a slot to the guest when its
 * function 0 arrives and refuses a function added to a slot whose function 0 is already there.
 */
export function plugOrder<T extends { address?: PciAddress }>(devices: readonly T[]): T[] {
  const out: T[] = [];
  const done = new Set<T>();
  for (const d of devices) {
    if (done.has(d)) continue;
    const a = d.address;
    const slot = a ? devices.filter((x) => x.address && sameSlot(x.address, a)) : [d];
    slot.sort((x, y) => (x.address ? (x.address.function || 8) : 0) - (y.address ? (y.address.function || 8) : 0));
    for (const x of slot) {
      out.push(x);
      done.add(x);
    }
  }
  return out;
}

/** Controllers parents first: each after the controller whose bus it plugs into. */
function parentsFirst(ctrls: Device[]): Device[] {
  const left = [...ctrls].sort((x, y) => x.pci!.index - y.pci!.index);
  const out: Device[] = [];
  while (left.length) {
    const i = left.findIndex((c) => !left.some((p) => p !== c && addressOf(c)?.bus === p.pci!.index));
    out.push(...left.splice(i === -1 ? 0 : i, 1));
  }
  return out;
}

export async function attachDevices(parsed: ParsedDomain, news: readonly NewDevice[], opts: AttachOptions): Promise<AttachResult> {
  const start = performance.now();
  const { doc, domain } = parsed;
  if (news.length === 0) throw inputError(undefined, 'no device to attach');
  requireAddressed(domain, deviceEls(doc, domain));

  // Read each new element on its own first: a fault is reported against its own file and line.
  const alone = news.map((n) => readDevice(n.element, n.element.name as DeviceKind, 1, 0, [], domain.machine, domain.arch, n.file));
  if (opts.live) alone.forEach((d, i) => checkLive(d, news[i]!.file));

  // The merged document: every element tagged, the existing ones 'o<index>', the new ones 'n<k>'.
  const merged = cloneDocument(doc);
  const mergedRoot = rootElement(merged);
  deviceEls(merged, domain).forEach((el, i) => el.attrs.push([MARK, `o${i}`]));
  let devicesEl = firstElement(mergedRoot, 'devices');
  if (!devicesEl) {
    devicesEl = newElement('devices');
    appendChild(mergedRoot, devicesEl);
  }
  // A new device is hot-pluggable unless its hint or --hotplug says otherwise (not what libvirt's
  // first fit would make it: that takes an empty hotplug='off' port as readily as any other). The
  // default goes on the new devices only: the existing ones are placed, whatever the policy says.
  const hotplug = opts.policy.hotplug ?? 'yes';
  if (opts.live && hotplug === 'no') throw inputError(undefined, '--hotplug no contradicts --live: a device plugged into a running guest is hot-plugged');
  const hintedGroups = new Set(alone.flatMap((d) => (d.hints.group !== undefined && d.hints.hotplug !== undefined ? [d.hints.group] : [])));
  const added: { element: XmlElement; file?: string }[] = [];
  const add = (element: XmlElement, file: string | undefined, d: Device) => {
    const el = structuredClone(element);
    el.attrs.push([MARK, `n${added.length}`]);
    const decided = d.hints.hotplug !== undefined || (d.hints.group !== undefined && hintedGroups.has(d.hints.group));
    if (needsPciAddress(d) && !addressOf(d) && !d.cls.integrated && !decided) setHotplug(el, hotplug);
    appendChild(devicesEl!, el);
    added.push({ element: el, file });
  };
  news.forEach((n, i) => add(n.element, n.file, alone[i]!));

  // Controllers libvirt would add for the new devices (a SCSI controller for a SCSI disk ...) are
  // part of what is attached; those the domain itself lacks were refused above.
  // The existing devices are placed and stay where they are: their hints no longer decide
  // anything (a layout libvirt made may break them), and their group names must not capture a
  // new device's group of the same name.
  const readMerged = (): Domain => {
    const m = readDomain(merged, domain.file);
    for (const d of m.devices.slice(0, domain.devices.length)) d.hints = {};
    return m;
  };
  let mergedDomain = readMerged();
  const before = new Set(implicitDevices(domain, deviceEls(doc, domain)).map((i) => implicitKey(i.element)));
  const implied = implicitDevices(mergedDomain, deviceEls(merged, mergedDomain)).filter((i) => !before.has(implicitKey(i.element)));
  for (const i of implied) {
    if (opts.live) checkLive(i.device, domain.file);
    add(i.element, undefined, i.device);
  }
  if (implied.length) mergedDomain = readMerged();

  // Spares default to none: attaching is what spare places are for.
  const { hotplug: _, ...rest } = opts.policy;
  const policy: Policy = { sparePciePorts: 0, sparePciSlots: 0, ...rest, ...(opts.live ? { addControllers: [] } : {}) };
  let result: AssignResult;
  try {
    result = await assignDomain({ doc: merged, domain: mergedDomain }, { strategy: 'optimal', policy, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.solver ? { solver: opts.solver } : {}) });
  } catch (e) {
    if (e instanceof PciplanError && e.kind === 'invalid' && /no layout/.test(e.message)) {
      throw new PciplanError('invalid', `${e.message}; ${explainNoRoom(domain, opts.live)}`);
    }
    throw e;
  }

  // Read the result back by tag.
  const out = result.doc;
  const outEls = deviceEls(out, result.domain);
  const byMark = new Map<string, { el: XmlElement; device: Device }>();
  result.domain.devices.forEach((d, i) => {
    const m = attr(outEls[i]!, MARK);
    if (m) byMark.set(m, { el: outEls[i]!, device: d });
  });
  const warnings: string[] = [];
  assertNothingMoved(
    'attach',
    domain.devices.filter((d) => addressOf(d)).map((d) => ({ id: d.id, before: addressOf(d), after: byMark.get(`o${d.index}`) && addressOf(byMark.get(`o${d.index}`)!.device) })),
  );
  domain.devices.forEach((d, i) => {
    const now = byMark.get(`o${i}`);
    const was = addressOf(d);
    const is = now && addressOf(now.device);
    if (was && is && (was.multifunction ?? 'off') !== (is.multifunction ?? 'off')) {
      // A live attach takes only function 0 of a free slot (checkLive), so no existing slot gains
      // functions: reaching this is pciplan's bug, not a rule the input breaks.
      if (opts.live) throw new PciplanError('internal', `attach --live changed the multifunction of ${d.id} at ${formatAddress(was)} (to '${is.multifunction}')`);
      warnings.push(`${d.id} at ${formatAddress(was)} needs multifunction='${is.multifunction}' now: edit it too`);
    }
  });

  const topo = buildTopology(result.domain);
  const features = firstElement(rootElement(doc), 'features');
  const acpi = !!(features && firstElement(features, 'acpi'));
  const entries = added.map((a, k) => {
    const { el, device } = byMark.get(`n${k}`)!;
    const address = addressOf(device);
    if (opts.live && address && address.bus === 0 && domain.machine.family === 'pc' && !acpi) {
      throw refusal('live-hotplug', `${at(a.file ?? domain.file, a.element.line)}: ${device.id} would go to ${formatAddress(address)} on pci.0, which QEMU hot-plugs through ACPI only, and the domain has no <features><acpi/>`);
    }
    if (opts.live && address && !busHotpluggable(topo.buses.get(address.bus)!)) {
      throw refusal('live-hotplug', `${at(a.file ?? domain.file, a.element.line)}: ${device.id} at ${formatAddress(address)} is on ${topo.buses.get(address.bus)!.ctrl.model} (index ${address.bus}), where nothing is hot-plugged`);
    }
    return { id: device.id, kind: device.kind, ...(a.file ? { file: a.file } : {}), element: outputElement(el), ...(address ? { address } : {}), plugOrder: 0, isController: device.kind === 'controller' };
  });

  const oldIndexes = new Set(domain.devices.flatMap((d) => (d.pci ? [d.pci.index] : [])));
  const newCtrls = parentsFirst(result.domain.devices.filter((d) => d.pci && !oldIndexes.has(d.pci.index) && !ROOT_MODELS.includes(d.pci.model) && !attr(outEls[d.index]!, MARK)));
  if (opts.live && newCtrls.length) {
    throw new PciplanError('invalid', `the domain needs ${newCtrls.map((c) => `${c.id} (${c.pci!.model})`).join(', ')} for the controller indexes it skips, which cannot be added while the guest runs [live-controller]`);
  }
  const pciCtrls: AttachedDevice[] = newCtrls.map((d) => ({
    id: d.id,
    kind: d.kind,
    element: outputElement(outEls[d.index]!),
    ...(addressOf(d) ? { address: addressOf(d)! } : {}),
    plugOrder: 0,
  }));
  const strip = ({ isController: _, ...e }: (typeof entries)[number]): AttachedDevice => e;
  const addedControllers = [...pciCtrls, ...entries.filter((e) => !e.file && e.isController).map(strip)];
  const devices = plugOrder(entries.filter((e) => e.file || !e.isController).map(strip));
  [...addedControllers, ...devices].forEach((d, i) => (d.plugOrder = i + 1));

  const slots = new Map<string, AttachedDevice[]>();
  for (const d of devices) if (d.address) slots.set(`${d.address.bus}:${d.address.slot}`, [...(slots.get(`${d.address.bus}:${d.address.slot}`) ?? []), d]);
  if (opts.live && [...slots.values()].some((s) => s.length > 1)) {
    warnings.push(
      "libvirt (9.0 and current) refuses 'virsh attach-device --live' for a PCI function other than 0 ('Only PCI device addresses with function=0 are supported'): plug a multifunction slot's functions in the order given with QEMU's device_add, or attach them without --live and restart the guest",
    );
  }
  return { live: opts.live, addedControllers, devices, warnings, proven: result.proven, lowerBound: result.lowerBound, ms: performance.now() - start, quote: doc.quote };
}

/** An element as text on its own, indented by `indent` (its indentation in the document removed). */
export function elementText(el: XmlElement, quote: "'" | '"', indent = ''): string {
  const text = writeXml({ nodes: [el], quote }).replace(/\n$/, '');
  const lines = text.split('\n');
  // The closing tag stands at the element's own indentation in the document.
  const strip = lines.length > 1 ? /^\s*/.exec(lines[lines.length - 1]!)![0].length : 0;
  return lines.map((l, i) => indent + (i === 0 ? l : l.slice(Math.min(strip, /^\s*/.exec(l)![0].length)))).join('\n');
}

/**
 * The original domain with the result merged in, as `virsh attach-device --config` of each element
 * in order would leave it: controllers, then devices, appended to <devices>.
 */
export function mergeAttached(doc: XmlDocument, result: AttachResult): XmlDocument {
  const out = cloneDocument(doc);
  const devices = firstElement(rootElement(out), 'devices')!;
  for (const d of [...result.addedControllers, ...result.devices].sort((x, y) => x.plugOrder - y.plugOrder)) {
    appendChild(devices, structuredClone(d.element));
  }
  return out;
}
