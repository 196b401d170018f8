// The devices libvirt adds to a domain before it assigns addresses (qemu_postparse.c and
// virDomainDefAddImplicitDevices): the root bus, the machine's default USB controller, q35's SATA,
// a virtio memballoon, a virtio-serial controller for virtio consoles and channels, the drive
// controllers (ide, scsi, sata) that disks refer to and the SCSI controllers SCSI host devices sit
// on. pciplan adds them itself, with addresses, so that libvirt finds nothing left to place.
import { deviceDefault, FUNCTIONS_PER_SLOT, GUEST_BUS_NUMBERS } from '../catalog/index.js';
import { PciplanError } from '../errors.js';
import { parseUnsignedDecimal } from '../model/numbers.js';
import { readDevice } from '../model/parseDomain.js';
import { diskIndex } from './order.js';
import type { Device, Domain } from '../model/types.js';
import { attr, childPath, newElement, type XmlElement } from '../xml/tree.js';

export interface ImplicitDevice {
  element: XmlElement;
  device: Device;
}

function controllerEl(type: string, index: number, model?: string): XmlElement {
  return newElement('controller', [['type', type], ['index', String(index)], ...(model ? ([['model', model]] as [string, string][]) : [])]);
}

/** Units one drive controller serves, per disk bus: disks without an address fill them in turn. */
const UNITS_PER_CONTROLLER: Record<string, number> = { scsi: 7, ide: 4, sata: 6 };
/** libvirt adds the drive controllers type by type, in this order (virDomainDefAddImplicitControllers). */
const DRIVE_CONTROLLER_ORDER = ['scsi', 'fdc', 'ide', 'sata'];

/**
 * A domain has at most 256 buses of 32 slots of 8 functions: a drive controller index beyond that
 * many can have no place (libvirt would add every index up to it and then find no slot), so a disk
 * that needs one is refused before a single controller is made (sdzzzzzz would need 45 million).
 */
const MAX_DRIVE_CONTROLLERS = GUEST_BUS_NUMBERS * 32 * FUNCTIONS_PER_SLOT;

/**
 * Drive controllers the disks need: the one an <address type='drive' controller=…> names, or, for
 * a disk without one, its target's index divided by the units per controller (sdh is the 8th SCSI
 * disk: controller 1). Every index up to the highest is added (virDomainDefAddDiskControllersForType).
 */
function driveControllers(domain: Domain, elements: (XmlElement | undefined)[]): [type: string, index: number][] {
  const highest = new Map<string, number>();
  domain.devices.forEach((d, i) => {
    if (d.kind !== 'disk') return;
    const type = d.props.bus;
    if (!type || !(type in UNITS_PER_CONTROLLER)) return;
    const { address, where } = writtenAddress(domain, d, elements[i]);
    const index = driveAddress(address, where)?.controller ?? Math.floor(Math.max(0, diskIndex(d.props.dev)) / UNITS_PER_CONTROLLER[type]!);
    if (index >= MAX_DRIVE_CONTROLLERS) {
      throw new PciplanError(
        'invalid',
        `${where.at}: ${d.id}: it needs ${type} controller ${index}, and every index below it (libvirt adds them all): more than the ${MAX_DRIVE_CONTROLLERS} PCI functions a domain has`,
      );
    }
    highest.set(type, Math.max(highest.get(type) ?? -1, index));
  });
  return DRIVE_CONTROLLER_ORDER.flatMap((type) => Array.from({ length: (highest.get(type) ?? -1) + 1 }, (_, i) => [type, i] as [string, number]));
}

/** A device's own `<address>` element, and where an error about it points. */
function writtenAddress(domain: Domain, d: Device, el: XmlElement | undefined): { address: XmlElement | undefined; where: { at: string; what: string } } {
  const address = el ? childPath(el, 'address') : undefined;
  return { address, where: { at: address?.line ? `${domain.file}:${address.line}` : d.line ? `${domain.file}:${d.line}` : domain.file, what: `${d.id} <address>` } };
}

interface DriveAddress {
  controller: number;
  bus: number;
  target: number;
  unit: number;
}

/** An `<address type='drive'>` as libvirt reads it (an attribute left out is 0); undefined for any other address. */
function driveAddress(address: XmlElement | undefined, where: { at: string; what: string }): DriveAddress | undefined {
  if (!address || attr(address, 'type') !== 'drive') return undefined;
  const n = (name: string) => parseUnsignedDecimal(attr(address, name), name, where) ?? 0;
  return { controller: n('controller'), bus: n('bus'), target: n('target'), unit: n('unit') };
}

/**
 * The highest unit a SCSI controller model takes, where that is below the units libvirt's narrow
 * bus gives a controller (virDomainSCSIDriveAddressIsUsed, libvirt:src/conf/domain_conf.c).
 */
const SCSI_MAX_UNIT: Record<string, number> = { lsisas1068: 1 };

/**
 * SCSI controllers the SCSI host devices need (virDomainDefMaybeAddHostdevSCSIcontroller): every
 * index up to the highest a hostdev sits on. A hostdev without an address takes the first free
 * unit of controller 0, 1, ... at bus 0 target 0, after the disks (virDomainHostdevAssignAddress:
 * QEMU's narrow bus, so the units per controller of a disk), whether or not that controller exists
 * yet. The new controllers take the model of the one the highest hostdev sits on, if that one is
 * written with a model, else the machine's default.
 */
function hostdevScsiControllers(domain: Domain, elements: (XmlElement | undefined)[]): { highest: number; model: string | undefined } | undefined {
  const units = UNITS_PER_CONTROLLER.scsi!;
  const used = new Set<string>();
  const key = (a: DriveAddress) => `${a.controller}:${a.bus}:${a.target}:${a.unit}`;
  const written = new Map<number, string | undefined>();
  const hostdevs: { id: string; address: DriveAddress | undefined; where: { at: string; what: string } }[] = [];
  domain.devices.forEach((d, i) => {
    if (d.kind === 'controller' && d.props.type === 'scsi') written.set(d.props.index ?? 0, attr(elements[i]!, 'model'));
    const isScsiHostdev = d.kind === 'hostdev' && d.props.type === 'scsi' && (d.props.sub ?? 'subsystem') === 'subsystem';
    if (d.kind !== 'disk' && !isScsiHostdev) return;
    if (d.kind === 'disk' && d.props.bus !== 'scsi') return;
    const { address, where } = writtenAddress(domain, d, elements[i]);
    const at = driveAddress(address, where);
    if (isScsiHostdev) hostdevs.push({ id: d.id, address: at, where });
    const index = diskIndex(d.props.dev);
    // A disk without an address: libvirt's default mapping, units per controller in turn.
    const disk = d.kind === 'disk' && !at && index !== Number.MAX_SAFE_INTEGER ? { controller: Math.floor(index / units), bus: 0, target: 0, unit: index % units } : undefined;
    if (at ?? disk) used.add(key((at ?? disk)!));
  });
  if (!hostdevs.length) return undefined;
  const free = (controller: number, unit: number) => {
    const model = written.get(controller);
    return !used.has(key({ controller, bus: 0, target: 0, unit })) && !(model !== undefined && model in SCSI_MAX_UNIT && unit > SCSI_MAX_UNIT[model]!);
  };
  let highest = -1;
  let model: string | undefined;
  for (const h of hostdevs) {
    let at = h.address;
    if (!at) {
      for (let controller = 0; !at; controller++) {
        if (controller >= MAX_DRIVE_CONTROLLERS) throw new PciplanError('invalid', `${h.where.at}: ${h.id}: the SCSI host devices need more than the ${MAX_DRIVE_CONTROLLERS} controllers a domain can have`);
        const unit = [...Array(units).keys()].find((u) => free(controller, u));
        if (unit !== undefined) at = { controller, bus: 0, target: 0, unit };
      }
      used.add(key(at));
    }
    if (at.controller >= MAX_DRIVE_CONTROLLERS) {
      throw new PciplanError('invalid', `${h.where.at}: ${h.id}: it needs scsi controller ${at.controller}, and every index below it (libvirt adds them all): more than the ${MAX_DRIVE_CONTROLLERS} PCI functions a domain has`);
    }
    if (at.controller > highest) {
      highest = at.controller;
      model = written.get(at.controller) ?? model;
    }
  }
  return { highest, model };
}

/** Ports a virtio-serial controller has when it does not say (QEMU's default). */
const VIRTIO_SERIAL_PORTS = 31;

/**
 * virtio-serial controllers for virtio consoles and channels: the one each names in its
 * virtio-serial address, controller 0 for one without (virDomainDefMaybeAddVirtioSerialController,
 * even when another controller has free ports: libvirt's channel-virtio-default), and more while
 * the ports of the existing ones do not suffice (virDomainVirtioSerialAddrAutoAssign).
 */
function virtioSerialControllers(domain: Domain, deviceEls: (XmlElement | undefined)[]): XmlElement[] {
  const existing = new Map<number, number>();
  domain.devices.forEach((d, i) => {
    if (d.kind === 'controller' && d.props.type === 'virtio-serial') {
      existing.set(d.props.index ?? 0, Number(attr(deviceEls[i]!, 'ports') ?? VIRTIO_SERIAL_PORTS));
    }
  });
  const named = new Set<number>();
  let ports = 0;
  domain.devices.forEach((d, i) => {
    if (d.kind !== 'console' && d.kind !== 'channel') return;
    const el = deviceEls[i];
    const target = el ? childPath(el, 'target') : undefined;
    if (!target || attr(target, 'type') !== 'virtio') return;
    ports++;
    const address = childPath(el!, 'address');
    named.add(address && attr(address, 'type') === 'virtio-serial' ? Number(attr(address, 'controller') ?? 0) : 0);
  });
  const out: XmlElement[] = [];
  const indexes = new Set(existing.keys());
  for (const index of [...named].sort((a, b) => a - b)) {
    if (indexes.has(index)) continue;
    indexes.add(index);
    existing.set(index, VIRTIO_SERIAL_PORTS);
    out.push(controllerEl('virtio-serial', index));
  }
  let capacity = [...existing.values()].reduce((a, b) => a + b, 0);
  while (ports > capacity) {
    let index = 0;
    while (indexes.has(index)) index++;
    indexes.add(index);
    capacity += VIRTIO_SERIAL_PORTS;
    out.push(controllerEl('virtio-serial', index));
  }
  return out;
}

export function implicitDevices(domain: Domain, deviceEls: (XmlElement | undefined)[]): ImplicitDevice[] {
  const { machine, arch } = domain;
  const has = (pred: (d: Device) => boolean) => domain.devices.some(pred);
  // Controllers by type and by type:index, read once (a domain may have 100,000 devices).
  const ctrlTypes = new Set<string>();
  const ctrlKeys = new Set<string>();
  for (const d of domain.devices) {
    if (d.kind !== 'controller') continue;
    ctrlTypes.add(d.props.type ?? '');
    ctrlKeys.add(`${d.props.type ?? ''}:${d.props.index}`);
  }
  const hasController = (type: string, index?: number) => (index === undefined ? ctrlTypes.has(type) : ctrlKeys.has(`${type}:${index}`));
  const els: XmlElement[] = [];
  // In the order libvirt adds them: it matters for the order devices are then placed in.
  if (!has((d) => d.pci?.index === 0)) els.push(controllerEl('pci', 0, machine.root));
  if (machine.implicit.usb && !hasController('usb')) els.push(controllerEl('usb', 0, machine.implicit.usb));
  if (machine.implicit.sata && !hasController('sata', 0)) els.push(controllerEl('sata', 0));
  const added = new Set(els.map((e) => `${attr(e, 'type')}:${attr(e, 'index')}`));
  for (const [type, index] of driveControllers(domain, deviceEls)) {
    if (hasController(type, index) || added.has(`${type}:${index}`)) continue;
    added.add(`${type}:${index}`);
    els.push(controllerEl(type, index, type === 'scsi' ? deviceDefault(machine, arch, 'scsi') : undefined));
  }
  els.push(...virtioSerialControllers(domain, deviceEls));
  const hostdevScsi = hostdevScsiControllers(domain, deviceEls);
  for (let index = 0; hostdevScsi && index <= hostdevScsi.highest; index++) {
    if (hasController('scsi', index) || added.has(`scsi:${index}`)) continue;
    added.add(`scsi:${index}`);
    els.push(controllerEl('scsi', index, hostdevScsi.model ?? deviceDefault(machine, arch, 'scsi')));
  }
  const balloon = machine.implicit.memballoon && !machine.implicit.noMemballoonArches?.includes(arch);
  if (balloon && !has((d) => d.kind === 'memballoon')) els.push(newElement('memballoon', [['model', 'virtio']]));
  const video = deviceDefault(machine, arch, 'video');
  if (machine.implicit.videoWithGraphics && video && deviceEls.some((el) => el?.name === 'graphics') && !has((d) => d.kind === 'video')) {
    els.push(newElement('video', [], [newElement('model', [['type', video]])]));
  }

  const counts = new Map<string, number>();
  for (const d of domain.devices) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
  return els.map((element, i) => {
    const kind = element.name as Device['kind'];
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    const device = readDevice(element, kind, n, domain.devices.length + i, [], machine, arch, domain.file);
    return { element, device };
  });
}
