// The domain as pciplan reasons about it. Everything here is read from the XML by parseDomain;
// nothing here is written back except through applyLayout.
import { isRootRole, roleOf, type BusKind, type ControllerModel, type DeviceClass, type DeviceKind, type DeviceProps, type MachineSpec } from '../catalog/index.js';

export interface PciAddress {
  domain: number;
  bus: number;
  slot: number;
  function: number;
  multifunction?: 'on' | 'off';
}

/**
 * The address types libvirt 9 reads besides pci (virDomainDeviceAddressType; 'none' and the
 * removed 'virtio-s390' are refused). A device with one of them gets no PCI address: it is kept as
 * written and takes no PCI place.
 */
export const OTHER_ADDRESS_TYPES = ['drive', 'virtio-serial', 'ccid', 'usb', 'spapr-vio', 'ccw', 'virtio-mmio', 'isa', 'dimm', 'unassigned'] as const;
export type OtherAddressType = (typeof OTHER_ADDRESS_TYPES)[number];

export function isOtherAddressType(name: string): name is OtherAddressType {
  return (OTHER_ADDRESS_TYPES as readonly string[]).includes(name);
}

export type DeviceAddress =
  /** No `<address>` element. */
  | { type: 'none' }
  /** `<address type='pci' …>`; `pci` is undefined when it asks for assignment (empty or all-zero). */
  | { type: 'pci'; pci?: PciAddress }
  /** Any other address type (drive, ccw, virtio-serial, spapr-vio, isa, virtio-mmio ...). */
  | { type: 'other'; name: OtherAddressType };

/** Placement wishes of one device (`<addressPreferences>` or pciplan's metadata). */
export interface Hints {
  /** true: must stay hot-pluggable; false: the guest must not be able to eject it. */
  hotplug?: boolean;
  bus?: BusKind;
  numa?: number;
  /** Devices with the same group share one slot as functions of one multifunction device. */
  group?: string;
  /**
   * Requirements a layout written by `assign --strategy greedy` does not honour, recorded in
   * pciplan's metadata so that the file says so: validate reports them as warnings (hint-waived).
   * 'hotplug' covers the policy's hotplug default as well as the hint.
   */
  waived?: readonly WaivableHint[];
}

export type WaivableHint = 'hotplug' | 'bus' | 'numa' | 'group';
export const WAIVABLE_HINTS: readonly WaivableHint[] = ['hotplug', 'bus', 'numa', 'group'];

export interface ControllerTarget {
  chassisNr?: number;
  chassis?: number;
  port?: number;
  busNr?: number;
  /** `<target><node>`: the NUMA node of an expander bus or pSeries PHB. */
  node?: number;
  hotplug?: 'on' | 'off';
  /** pSeries PHB target index. */
  index?: number;
}

export interface PciController {
  /** Controller index = the bus number used in `<address bus=…>`. */
  index: number;
  model: ControllerModel;
  /** Whether `model=` was written (libvirt fills it in from the index and machine otherwise). */
  modelWritten: boolean;
  modelName?: string;
  target: ControllerTarget;
  /** Which `<target>` options were written, by name (to report options a model does not take). */
  targetOptions: string[];
}

export interface Device {
  /** Position among the domain's devices, in document order. */
  index: number;
  kind: DeviceKind;
  /** Name used in messages and in pciplan's metadata: kind[alias|target|mac|source|n]. */
  id: string;
  /** 1-based line of the device element, 0 when unknown. */
  line: number;
  props: DeviceProps;
  cls: DeviceClass;
  address: DeviceAddress;
  hints: Hints;
  alias?: string;
  /** Set on `<controller type='pci'>` elements. */
  pci?: PciController;
  /** PCI hostdev: the host address it passes through, canonical form. */
  hostSource?: string;
  /** Child positions from the root element down to this device element. */
  path: number[];
}

export interface Domain {
  file: string;
  name: string;
  /** `<domain type=…>`: kvm, qemu ... */
  virtType: string;
  arch: string;
  machineName: string;
  machine: MachineSpec;
  /** Ids of the `<cpu><numa>` cells. */
  numaCells: number[];
  devices: Device[];
  /** The policy's spare ports and slots were waived by a greedy layout (pciplan's metadata says so). */
  sparesWaived?: boolean;
}

/** A device that should carry a PCI address once the layout is complete (roots never do). */
export function needsPciAddress(d: Device): boolean {
  if (d.pci) return !isRootRole(roleOf(d.pci.model));
  return d.cls.connect !== 'none' && d.address.type !== 'other';
}

export function pciControllers(domain: Domain): (Device & { pci: PciController })[] {
  return domain.devices.filter((d): d is Device & { pci: PciController } => d.pci !== undefined);
}

export function formatAddress(a: Pick<PciAddress, 'domain' | 'bus' | 'slot' | 'function'>): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${a.function.toString(16)}`;
}

/**
 * Orders formatted addresses (fixed-width lowercase hex, so code-unit order is address order).
 * Not localeCompare: its order is the ICU locale's, and its first call loads ICU's collator (about
 * 10 ms of every assign).
 */
export function compareAddressText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
