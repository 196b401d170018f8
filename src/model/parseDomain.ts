// XML tree -> Domain. Reads what PCI placement needs and nothing more; every other part of the
// document stays in the tree untouched. Unreadable values are input errors (exit 2) naming the
// device and line; readable but wrong values are kept for the validator to judge.
import {
  classifyDevice,
  DEFAULT_MACHINE,
  DEVICE_KINDS,
  deviceDefault,
  findMachine,
  gapModel,
  inferredDiskBus,
  isControllerModel,
  MAX_DISK_INDEX,
  parseDiskTarget,
  knownMachineNames,
  type DeviceKind,
  type ControllerModel,
  type DeviceProps,
  type MachineSpec,
} from '../catalog/index.js';
import { inputError } from '../errors.js';
import { parseXml } from '../xml/parseXml.js';
import { attr, childPath, elements, firstElement, rootElement, textOf, type XmlDocument, type XmlElement } from '../xml/tree.js';
import { readMetadataHints, readElementHints, readSparesWaived, HINTS_ELEMENT } from './hints.js';
import { parseBase0, parseDecimal, parseUnsignedDecimal, type Where } from './numbers.js';
import { isOtherAddressType, OTHER_ADDRESS_TYPES, type ControllerTarget, type Device, type DeviceAddress, type Domain, type PciController } from './types.js';
import { formatAddress } from './types.js';

export interface ParsedDomain {
  doc: XmlDocument;
  domain: Domain;
}

export function parseDomain(text: string, file = 'domain.xml'): ParsedDomain {
  const doc = parseXml(text, file);
  return { doc, domain: readDomain(doc, file) };
}

const KINDS = new Set<string>(DEVICE_KINDS);

function at(file: string, el: XmlElement): string {
  return el.line ? `${file}:${el.line}` : file;
}

export function readDomain(doc: XmlDocument, file: string): Domain {
  const root = rootElement(doc);
  if (root.name !== 'domain') throw inputError(at(file, root), `the root element is <${root.name}>, not <domain>: this is not a libvirt domain XML`);

  const osType = childPath(root, 'os', 'type');
  const arch = osType ? attr(osType, 'arch') : undefined;
  if (!osType || !arch) throw inputError(at(file, osType ?? root), '<os><type arch=…> is missing: pciplan needs the guest architecture');
  const machineName = attr(osType, 'machine') ?? DEFAULT_MACHINE[arch];
  if (!machineName) throw inputError(at(file, osType), `no machine given and no default machine known for arch '${arch}'`);
  const machine = findMachine(machineName, arch);
  if (!machine) {
    throw inputError(at(file, osType), `unknown machine '${machineName}' for arch '${arch}' (pciplan knows ${knownMachineNames()})`);
  }

  const numa = childPath(root, 'cpu', 'numa');
  const numaCells = (numa ? elements(numa, 'cell') : []).map(
    (cell, i) => parseUnsignedDecimal(attr(cell, 'id'), 'id', { at: at(file, cell), what: '<cpu><numa><cell>' }) ?? i,
  );

  // libvirt reads the devices of every <devices> element (its XPath is ./devices/KIND), so a
  // second one is not ignored: its pci-root is the domain's root, its disks are disks.
  const devices: Device[] = [];
  const perKind = new Map<string, number>();
  for (const [devicesPos, devicesEl] of root.children.entries()) {
    if (devicesEl.type !== 'element' || devicesEl.name !== 'devices') continue;
    devicesEl.children.forEach((el, pos) => {
      if (el.type !== 'element' || !KINDS.has(el.name)) return;
      const kind = el.name as DeviceKind;
      const n = (perKind.get(kind) ?? 0) + 1;
      perKind.set(kind, n);
      devices.push(readDevice(el, kind, n, devices.length, [devicesPos, pos], machine, arch, file));
    });
  }
  assignControllerIndexes(devices, machine);
  dedupeIds(devices);

  const domain: Domain = {
    file,
    name: textOf(firstElement(root, 'name') ?? root).trim(),
    virtType: attr(root, 'type') ?? '',
    arch,
    machineName,
    machine,
    numaCells,
    devices,
  };
  const metadata = readMetadataHints(root, domain);
  for (const [index, hints] of metadata) {
    const d = devices[index]!;
    for (const [k, v] of Object.entries(hints)) {
      const own = (d.hints as Record<string, unknown>)[k];
      if (own !== undefined && String(own) !== String(v)) {
        throw inputError(at(file, root), `${d.id}: its <${HINTS_ELEMENT}> says ${k}='${String(own)}' but pciplan's metadata says '${String(v)}'`);
      }
    }
    d.hints = { ...hints, ...d.hints };
  }
  if (readSparesWaived(root)) domain.sparesWaived = true;
  return domain;
}

function readProps(el: XmlElement, kind: DeviceKind, machine: MachineSpec, arch: string): DeviceProps {
  const dflt = (what: Parameters<typeof deviceDefault>[2]) => deviceDefault(machine, arch, what);
  const a = (name: string) => attr(el, name);
  const child = (name: string, key: string) => {
    const c = firstElement(el, name);
    return c ? attr(c, key) : undefined;
  };
  const props: DeviceProps = {};
  const set = (k: keyof DeviceProps, v: string | undefined) => {
    if (v !== undefined) (props as Record<string, unknown>)[k] = v;
  };
  switch (kind) {
    case 'disk':
      // Without a bus, libvirt takes it from the target name (vda: virtio, a PCI device).
      set('bus', child('target', 'bus') ?? inferredDiskBus(child('target', 'dev'), a('device')));
      set('dev', child('target', 'dev'));
      set('model', a('model'));
      set('type', a('type'));
      break;
    case 'interface':
      set('type', a('type'));
      set('model', child('model', 'type') ?? (a('type') === 'hostdev' ? undefined : dflt('nic')));
      break;
    case 'controller': {
      const type = a('type');
      set('type', type);
      set('model', a('model') ?? (type === 'usb' ? dflt('usb') : type === 'scsi' ? dflt('scsi') : undefined));
      break;
    }
    case 'hostdev':
      set('sub', a('mode'));
      set('type', a('type'));
      set('model', a('model'));
      break;
    case 'video':
      set('model', child('model', 'type') ?? dflt('video'));
      break;
    case 'shmem':
      set('model', child('model', 'type'));
      break;
    case 'panic':
      set('model', a('model') ?? dflt('panic'));
      break;
    case 'input':
      set('type', a('type'));
      set('bus', a('bus'));
      set('model', a('model'));
      break;
    case 'serial':
      set('sub', child('target', 'type') ?? dflt('serial'));
      break;
    case 'console':
      set('sub', child('target', 'type'));
      break;
    case 'filesystem':
      set('type', a('type'));
      set('sub', child('driver', 'type'));
      set('model', a('model'));
      break;
    case 'pstore':
      set('model', a('backend'));
      break;
    default:
      set('model', a('model'));
      set('type', a('type'));
  }
  return props;
}

/** A name for messages and for pciplan's metadata: kind[alias or natural key or ordinal]. */
function deviceName(el: XmlElement, kind: DeviceKind, n: number, alias: string | undefined, props: DeviceProps): string {
  if (alias) return `${kind}[${alias}]`;
  const key = (() => {
    switch (kind) {
      case 'disk':
        return childPath(el, 'target') && attr(childPath(el, 'target')!, 'dev');
      case 'interface':
        return childPath(el, 'mac') && attr(childPath(el, 'mac')!, 'address');
      case 'controller':
        return `${props.type ?? '?'} ${attr(el, 'index') ?? '?'}`;
      case 'filesystem':
        return childPath(el, 'target') && attr(childPath(el, 'target')!, 'dir');
      default:
        return undefined;
    }
  })();
  return `${kind}[${key ?? n}]`;
}

const USB2_MODELS = new Set(['ich9-ehci1', 'ich9-uhci1', 'ich9-uhci2', 'ich9-uhci3']);

/** Marks a controller written without an index until assignControllerIndexes gives it one. */
const AUTO_INDEX = Number.NaN;

/**
 * libvirt gives a controller written without an index the lowest index its type does not use
 * yet, in document order (virDomainControllerFindUnusedIndex; the corpus's autoindex test).
 */
function assignControllerIndexes(devices: Device[], machine: MachineSpec): void {
  const used = new Map<string, Set<number>>();
  const controllers = devices.filter((d) => d.kind === 'controller');
  for (const d of controllers) {
    if (Number.isNaN(d.props.index)) continue;
    const type = d.props.type ?? '';
    used.set(type, (used.get(type) ?? new Set()).add(d.props.index!));
  }
  let previousUsb: Device | undefined;
  for (const d of controllers) {
    const type = d.props.type ?? '';
    const prev = previousUsb;
    if (type === 'usb') previousUsb = d;
    if (!Number.isNaN(d.props.index)) continue;
    const taken = used.get(type) ?? new Set<number>();
    let i = 0;
    while (taken.has(i)) i++;
    // A USB2 companion joins the set of the USB2 controller just before it, unless that set already
    // has its model (then it starts a new set).
    const setOf = (x: Device) => controllers.filter((c) => c.props.type === 'usb' && c.props.index === x.props.index);
    if (type === 'usb' && USB2_MODELS.has(d.props.model ?? '') && prev && USB2_MODELS.has(prev.props.model ?? '')) {
      if (!setOf(prev).some((c) => c.props.model === d.props.model)) i = prev.props.index!;
    }
    used.set(type, taken.add(i));
    d.props.index = i;
    if (d.pci) {
      d.pci.index = i;
      if (!d.pci.modelWritten) d.pci.model = defaultControllerModel(i, machine);
    }
    d.id = d.id.replace(/ \?\]$/, ` ${i}]`);
  }
}

/** libvirt's model for a PCI controller written without one: the root at index 0, else the model it fills index gaps with. */
function defaultControllerModel(index: number, machine: MachineSpec): ControllerModel {
  return index === 0 ? machine.root : gapModel(machine);
}

function dedupeIds(devices: Device[]): void {
  const seen = new Map<string, number>();
  for (const d of devices) {
    const k = seen.get(d.id) ?? 0;
    seen.set(d.id, k + 1);
    if (k > 0) d.id = `${d.id}#${k + 1}`;
  }
}

function readAddress(el: XmlElement, where: Where): DeviceAddress {
  const a = firstElement(el, 'address');
  if (!a) return { type: 'none' };
  // Point at the <address> line itself: that is where the fault is.
  where = { ...where, at: a.line ? where.at.replace(/:\d+$/, '') + `:${a.line}` : where.at };
  const type = attr(a, 'type');
  if (!type) throw inputError(where.at, `${where.what}: <address> has no type`);
  if (type !== 'pci') {
    if (!isOtherAddressType(type)) {
      throw inputError(where.at, `${where.what}: unknown address type '${type}' (libvirt knows pci, ${OTHER_ADDRESS_TYPES.join(', ')})`);
    }
    return { type: 'other', name: type };
  }
  const w = { ...where, what: `${where.what} <address>` };
  const domain = parseBase0(attr(a, 'domain'), 'domain', w) ?? 0;
  const bus = parseBase0(attr(a, 'bus'), 'bus', w) ?? 0;
  const slot = parseBase0(attr(a, 'slot'), 'slot', w) ?? 0;
  const fn = parseBase0(attr(a, 'function'), 'function', w) ?? 0;
  const mf = attr(a, 'multifunction');
  if (mf !== undefined && mf !== 'on' && mf !== 'off') {
    throw inputError(where.at, `${w.what}: multifunction='${mf}' must be 'on' or 'off'`);
  }
  // libvirt: domain, bus and slot all zero means "assign one for me", whatever the function.
  if (domain === 0 && bus === 0 && slot === 0) return { type: 'pci' };
  return { type: 'pci', pci: { domain, bus, slot, function: fn, ...(mf ? { multifunction: mf } : {}) } };
}

function readController(el: XmlElement, machine: MachineSpec, where: Where): PciController {
  const index = parseDecimal(attr(el, 'index'), 'index', where) ?? AUTO_INDEX;
  const written = attr(el, 'model');
  if (written !== undefined && !isControllerModel(written)) {
    throw inputError(where.at, `${where.what}: unknown PCI controller model '${written}'`);
  }
  const model = written ?? defaultControllerModel(index, machine);
  const t = firstElement(el, 'target');
  const target: ControllerTarget = {};
  const targetOptions: string[] = [];
  if (t) {
    const tw = { ...where, what: `${where.what} <target>` };
    for (const [name] of t.attrs) targetOptions.push(name);
    const num = (name: 'chassisNr' | 'chassis' | 'port' | 'busNr' | 'index', decimal: boolean) => {
      const v = decimal ? parseDecimal(attr(t, name), name, tw) : parseBase0(attr(t, name), name, tw);
      if (v !== undefined) target[name] = v;
    };
    num('chassisNr', false);
    num('chassis', false);
    num('port', false);
    num('busNr', false);
    num('index', false);
    const hp = attr(t, 'hotplug');
    if (hp !== undefined) {
      if (hp !== 'on' && hp !== 'off') throw inputError(where.at, `${tw.what}: hotplug='${hp}' must be 'on' or 'off'`);
      target.hotplug = hp;
    }
    const node = firstElement(t, 'node');
    if (node) {
      targetOptions.push('node');
      const v = parseUnsignedDecimal(textOf(node).trim(), 'node', tw);
      if (v !== undefined) target.node = v;
    }
  }
  const modelName = childPath(el, 'model') && attr(childPath(el, 'model')!, 'name');
  return {
    index,
    model: model as PciController['model'],
    modelWritten: written !== undefined,
    ...(modelName ? { modelName } : {}),
    target,
    targetOptions,
  };
}

/**
 * libvirt refuses a disk whose target name it cannot read: without an address it would place the
 * disk by the name's index (the drive controller and unit), with one it still checks the name.
 */
function checkDiskTarget(dev: string | undefined, address: DeviceAddress, where: Where): void {
  if (dev === undefined) throw inputError(where.at, `${where.what}: <target dev=…> is missing (libvirt: "missing target information")`);
  const t = parseDiskTarget(dev);
  if (t.ok) return;
  const shown = JSON.stringify(dev.length > 40 ? `${dev.slice(0, 40)}…` : dev).slice(1, -1);
  const why = t.partition
    ? `invalid disk target '${shown}', partitions can't appear in disk targets`
    : address.type === 'none'
      ? `Unknown disk name '${shown}' and no address specified`
      : `invalid disk target '${shown}'`;
  throw inputError(where.at, `${where.what}: ${why} (libvirt reads fd, hd, vd, sd, xvd or ubd and lowercase letters, at most index ${MAX_DISK_INDEX})`);
}

/** One device element -> Device. `n` is its ordinal among its kind, `index` its position among all devices. */
export function readDevice(
  el: XmlElement,
  kind: DeviceKind,
  n: number,
  index: number,
  path: number[],
  machine: MachineSpec,
  arch: string,
  file: string,
): Device {
  const family = machine.family;
  const props = readProps(el, kind, machine, arch);
  const aliasEl = firstElement(el, 'alias');
  const alias = aliasEl ? attr(aliasEl, 'name') : undefined;
  const id = deviceName(el, kind, n, alias, props);
  const where: Where = { at: at(file, el), what: id };
  const address = readAddress(el, where);
  if (kind === 'disk') checkDiskTarget(props.dev, address, where);
  const isPciController = kind === 'controller' && props.type === 'pci';
  const pci = isPciController ? readController(el, machine, where) : undefined;
  if (kind === 'controller') props.index = pci ? pci.index : (parseDecimal(attr(el, 'index'), 'index', where) ?? AUTO_INDEX);
  const pciAddressed = address.type === 'pci' && address.pci !== undefined;
  const cls = classifyDevice(kind, props, family, pciAddressed);
  let hostSource: string | undefined;
  if (kind === 'hostdev' && props.type === 'pci') {
    const src = childPath(el, 'source', 'address');
    if (src) {
      const w = { ...where, what: `${id} <source><address>` };
      hostSource = formatAddress({
        domain: parseBase0(attr(src, 'domain'), 'domain', w) ?? 0,
        bus: parseBase0(attr(src, 'bus'), 'bus', w) ?? 0,
        slot: parseBase0(attr(src, 'slot'), 'slot', w) ?? 0,
        function: parseBase0(attr(src, 'function'), 'function', w) ?? 0,
      });
    }
  }
  return {
    index,
    kind,
    id,
    line: el.line,
    props,
    cls,
    address,
    hints: readElementHints(el, where),
    ...(alias ? { alias } : {}),
    ...(pci ? { pci } : {}),
    ...(hostSource ? { hostSource } : {}),
    path,
  };
}
