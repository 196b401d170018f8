// Domain + layout -> a new XML document. The only changes: <address> elements of the devices the
// layout places, the controllers it adds (inserted where libvirt keeps controllers: grouped by
// type, by index), and hints moved from the devices into pciplan's metadata. Nothing else of the
// user's document moves.
import { appendChild, insertAfter, ownIndent } from '../xml/edit.js';
import { attr, cloneDocument, elements, firstElement, newElement, rootElement, type XmlDocument, type XmlElement } from '../xml/tree.js';
import { assertNever, CONTROLLERS, ROOT_MODELS, type ControllerModel } from '../catalog/index.js';
import { moveHintsToMetadata } from './hints.js';
import type { ControllerTarget, DeviceAddress, Domain, PciAddress } from './types.js';

export interface NewController {
  index: number;
  model: ControllerModel;
  modelName?: string;
  target?: ControllerTarget;
  /** Roots take no address. */
  address?: PciAddress;
}

export interface Layout {
  /** New addresses by device index (Device.index). Devices not listed keep what they have. */
  addresses: ReadonlyMap<number, PciAddress>;
  added: readonly NewController[];
  /** Devices libvirt would add by itself (USB, SATA, balloon ...), written out with their address. */
  implicit?: readonly { element: XmlElement; address?: PciAddress }[];
}

/** The order libvirt writes device kinds in (virDomainDefFormatInternal). */
const DEVICE_ORDER = [
  'emulator', 'disk', 'controller', 'lease', 'filesystem', 'interface', 'smartcard', 'serial', 'parallel', 'console',
  'channel', 'input', 'tpm', 'graphics', 'sound', 'audio', 'video', 'hostdev', 'redirdev', 'redirfilter', 'hub',
  'watchdog', 'memballoon', 'rng', 'nvram', 'panic', 'shmem', 'memory', 'iommu', 'vsock', 'crypto', 'pstore',
];

/**
 * A controller as libvirt adds it: its QEMU model name, and the target defaults libvirt derives
 * from its index and address (chassis and port for ports, chassisNr for a pci-bridge), plus any
 * target options the caller sets.
 */
export function newController(model: ControllerModel, index: number, address: PciAddress | undefined, extra: ControllerTarget = {}): NewController {
  const target: ControllerTarget = {};
  const role = CONTROLLERS[model].role;
  switch (role) {
    case 'root-port':
      if (address) Object.assign(target, { chassis: index, port: address.slot * 8 + address.function });
      break;
    case 'switch-downstream':
      if (address) Object.assign(target, { chassis: index, port: address.slot });
      break;
    case 'conventional-bridge':
      target.chassisNr = index;
      break;
    case 'conventional-root':
    case 'express-root':
    case 'dmi-bridge':
    case 'switch-upstream':
    case 'conventional-expander':
    case 'express-expander':
    case 'express-to-conventional-bridge':
      break;
    default:
      assertNever(role);
  }
  Object.assign(target, extra);
  const modelName = CONTROLLERS[model].modelNames[0];
  return {
    index,
    model,
    ...(modelName && !ROOT_MODELS.includes(model) ? { modelName } : {}),
    ...(Object.keys(target).length ? { target } : {}),
    ...(address ? { address } : {}),
  };
}

/**
 * multifunction='on' on function 0 of every slot that uses more than function 0, unless it was
 * written 'off' (libvirt's virDomainPCIAddressSetAllMulti). Marks the addresses in place.
 */
export function markMultifunction(addresses: Iterable<PciAddress>): void {
  const all = [...addresses];
  const multi = new Set(all.filter((a) => a.function > 0).map((a) => `${a.bus}:${a.slot}`));
  for (const a of all) if (a.function === 0 && multi.has(`${a.bus}:${a.slot}`) && a.multifunction !== 'off') a.multifunction = 'on';
}

const hex = (n: number, width: number) => `0x${n.toString(16).padStart(width, '0')}`;

function addressAttrs(a: PciAddress): [string, string][] {
  const attrs: [string, string][] = [
    ['type', 'pci'],
    ['domain', hex(a.domain, 4)],
    ['bus', hex(a.bus, 2)],
    ['slot', hex(a.slot, 2)],
    ['function', hex(a.function, 1)],
  ];
  if (a.multifunction) attrs.push(['multifunction', a.multifunction]);
  return attrs;
}

function setAddress(parent: XmlElement, device: XmlElement, a: PciAddress, given: DeviceAddress): void {
  const existing = firstElement(device, 'address');
  const g = given.type === 'pci' ? given.pci : undefined;
  if (existing && g && g.domain === a.domain && g.bus === a.bus && g.slot === a.slot && g.function === a.function) {
    // The user's address, kept where it is: only multifunction changes, the rest stays as written.
    const rest = existing.attrs.filter(([n]) => n !== 'multifunction');
    existing.attrs = a.multifunction ? [...rest, ['multifunction', a.multifunction]] : rest;
    return;
  }
  if (existing) {
    existing.attrs = addressAttrs(a);
    return;
  }
  appendChild(device, newElement('address', addressAttrs(a)), '  ', ownIndent(parent, device));
}

function controllerElement(c: NewController): XmlElement {
  const children: XmlElement[] = [];
  if (c.modelName) children.push(newElement('model', [['name', c.modelName]]));
  const t = c.target ?? {};
  const targetAttrs: [string, string][] = [];
  if (t.chassisNr !== undefined) targetAttrs.push(['chassisNr', String(t.chassisNr)]);
  if (t.chassis !== undefined) targetAttrs.push(['chassis', String(t.chassis)]);
  if (t.port !== undefined) targetAttrs.push(['port', `0x${t.port.toString(16)}`]);
  if (t.busNr !== undefined) targetAttrs.push(['busNr', String(t.busNr)]);
  if (t.hotplug !== undefined) targetAttrs.push(['hotplug', t.hotplug]);
  if (targetAttrs.length || t.node !== undefined) {
    children.push(newElement('target', targetAttrs, t.node !== undefined ? [newElement('node', [], [{ type: 'text', raw: String(t.node) }])] : []));
  }
  if (c.address) children.push(newElement('address', addressAttrs(c.address)));
  return newElement('controller', [['type', 'pci'], ['index', String(c.index)], ['model', c.model]], children);
}

/**
 * Where libvirt puts a new controller (virDomainControllerInsert): after the last one of its type
 * with a lower index, else before the first of its type with a higher index, else after all
 * controllers; a domain with none gets its controllers after the disks.
 */
function insertionPoint(devices: XmlElement, type: string, index: number): XmlElement | null {
  const controllers = elements(devices, 'controller');
  const pci = controllers.filter((el) => attr(el, 'type') === type);
  const idx = (el: XmlElement) => Number(attr(el, 'index') ?? Number.NaN);
  const lower = pci.filter((el) => idx(el) < index).pop();
  if (lower) return lower;
  const higher = pci.find((el) => idx(el) > index);
  if (higher) {
    const pos = devices.children.indexOf(higher);
    return devices.children.slice(0, pos).reverse().find((c): c is XmlElement => c.type === 'element') ?? null;
  }
  return controllers.pop() ?? elements(devices, 'disk').pop() ?? firstElement(devices, 'emulator') ?? null;
}

/** A new device of another kind goes after the last device that libvirt writes before its kind. */
function kindInsertionPoint(devices: XmlElement, kind: string): XmlElement | null {
  const rank = DEVICE_ORDER.indexOf(kind);
  const before = elements(devices).filter((el) => {
    const r = DEVICE_ORDER.indexOf(el.name);
    return r !== -1 && r <= rank;
  });
  return before.pop() ?? null;
}

export function applyLayout(doc: XmlDocument, domain: Domain, layout: Layout): XmlDocument {
  const out = cloneDocument(doc);
  const root = rootElement(out);
  // Resolve every device element before anything is inserted (insertions shift positions).
  // (A domain may have several <devices> elements; libvirt reads them all.)
  const parentEls = domain.devices.map((d) => root.children[d.path[0]!] as XmlElement);
  const deviceEls = domain.devices.map((d, i) => parentEls[i]!.children[d.path[1]!] as XmlElement);
  for (const [index, address] of layout.addresses) setAddress(parentEls[index]!, deviceEls[index]!, address, domain.devices[index]!.address);

  const implicit = layout.implicit ?? [];
  if (layout.added.length || implicit.length) {
    let devices = firstElement(root, 'devices');
    if (!devices) {
      devices = newElement('devices');
      appendChild(root, devices);
    }
    for (const { element, address } of implicit) {
      const el = structuredClone(element);
      if (address) el.children.push(newElement('address', addressAttrs(address)));
      const at =
        el.name === 'controller'
          ? insertionPoint(devices, attr(el, 'type') ?? '', Number(attr(el, 'index') ?? 0))
          : kindInsertionPoint(devices, el.name);
      insertAfter(devices, at, el);
    }
    for (const c of [...layout.added].sort((x, y) => x.index - y.index)) {
      insertAfter(devices, insertionPoint(devices, 'pci', c.index), controllerElement(c));
    }
  }
  moveHintsToMetadata(root, domain.devices, deviceEls, domain.sparesWaived);
  return out;
}
