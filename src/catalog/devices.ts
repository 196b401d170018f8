// Which device kinds and models take a PCI address, and of which type. Source: libvirt
// qemu_domain_address.c qemuDomainDeviceCalculatePCIConnectFlags (docs/pci-rules.md, Device
// classes). The table is read top to bottom; the first row whose kind and `when` match decides.
//
// Connect classes:
//   pci     conventional PCI only (libvirt's pciFlags): e1000, transitional virtio, qxl, ...
//   pcie    PCI Express where the machine has pcie-root, PCI elsewhere (pcieFlags); such devices
//           also work in a conventional slot, so a bus='pci' hint can move them there
//   virtio  modern virtio-pci: like pcie (libvirt's virtioFlags with a current QEMU)
//   none    no PCI address (ISA, USB, virtio-serial, sysbus devices ...)

import type { BusKind } from './connect.js';

export type ConnectClass = 'pci' | 'pcie' | 'virtio' | 'none';
export type AddressRule = 'pci-only' | 'no-pci' | 'mirror';

export const DEVICE_KINDS = [
  'disk', 'controller', 'lease', 'filesystem', 'interface', 'input', 'sound', 'hostdev', 'graphics',
  'video', 'redirdev', 'smartcard', 'serial', 'parallel', 'console', 'channel', 'hub', 'watchdog',
  'memballoon', 'rng', 'tpm', 'nvram', 'panic', 'shmem', 'memory', 'iommu', 'vsock', 'crypto',
  'audio', 'pstore',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** The attributes of a device element that decide its class, named uniformly across kinds. */
export interface DeviceProps {
  /** `<X model=…>`, `<model type=…>` or `<target><model name=…>` depending on the kind. */
  model?: string;
  /** The `type` attribute of the element (controller type, interface type, hostdev type, ...). */
  type?: string;
  /** Disk and input: the bus the device sits on (`<target bus>` / `<input bus>`). */
  bus?: string;
  /** Hostdev: `mode`. Serial: `<target type>`. Filesystem: `<driver type>`. */
  sub?: string;
  /** Controller index, for the chipset devices that are bound to index 0. */
  index?: number;
  /** Disk target name (vda ...): libvirt keeps disks sorted by it, which decides their order. */
  dev?: string;
}

export interface DeviceRule {
  kind: DeviceKind;
  /** Every listed prop must equal one of the values ('' matches an absent prop). */
  when?: { [K in keyof DeviceProps]?: readonly (string | number)[] };
  /** Only on these machine families (as named in machines.ts). */
  machines?: readonly string[];
  connect: ConnectClass;
  /** Must sit on bus 0 (libvirt's INTEGRATED flag). */
  integrated?: true;
  /**
   * Whether an address of another type is refused ('pci-only'), a PCI address is refused
   * ('no-pci'), or the address is a copy of another device's ('mirror'). By default a PCI address on
   * a 'none' device is tolerated as libvirt does (it then treats the device as conventional PCI).
   */
  addressRule?: AddressRule;
  /** A 'none' device that becomes this class when the user gives it a PCI address (x86 pvpanic). */
  whenPciAddressed?: { connect: ConnectClass; integrated?: true };
  /** Why the row is what it is, when not obvious. */
  why?: string;
}

const TRANSITIONAL = ['virtio-transitional'] as const;

/** Serial target types that take an address of another type, or none (libvirt 9, checked with virsh define). */
export const SERIAL_TARGETS_WITHOUT_PCI = ['isa-serial', 'isa-debug', 'usb-serial', 'spapr-vio-serial', 'system-serial', 'sclp-serial'] as const;

export const DEVICE_RULES: readonly DeviceRule[] = [
  // Disks: only virtio disks are PCI devices.
  { kind: 'disk', when: { bus: ['virtio'], model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'disk', when: { bus: ['virtio'] }, connect: 'virtio' },
  { kind: 'disk', connect: 'none' },

  // Network interfaces.
  { kind: 'interface', when: { type: ['hostdev'] }, connect: 'pcie', why: 'a passed-through VF: classed like a PCI hostdev' },
  { kind: 'interface', when: { model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'interface', when: { model: ['virtio', 'virtio-non-transitional'] }, connect: 'virtio' },
  { kind: 'interface', when: { model: ['e1000e', 'igb', ''] }, connect: 'pcie', why: 'no model left after defaults: a network backed by a hostdev pool; libvirt assumes PCIe' },
  { kind: 'interface', when: { model: ['usb-net', 'spapr-vlan', 'lan9118', 'smc91c111'] }, connect: 'none' },
  { kind: 'interface', connect: 'pci', why: 'rtl8139, e1000, vmxnet3 and older models are conventional PCI' },

  // Controllers other than PCI (PCI controllers are classed by the controller catalog).
  { kind: 'controller', when: { type: ['sata'] }, connect: 'pci' },
  { kind: 'controller', when: { type: ['usb'], model: ['nec-xhci', 'qemu-xhci'] }, connect: 'pcie' },
  { kind: 'controller', when: { type: ['usb'], model: ['qusb1', 'qusb2', 'none'] }, connect: 'none' },
  { kind: 'controller', when: { type: ['usb'] }, connect: 'pci', why: 'uhci, ehci, ohci and the default (-usb) model' },
  { kind: 'controller', when: { type: ['ide'] }, connect: 'pci' },
  { kind: 'controller', when: { type: ['scsi'], model: ['virtio-scsi', 'virtio-non-transitional', ''] }, connect: 'virtio' },
  { kind: 'controller', when: { type: ['scsi'], model: ['ncr53c90', 'ibmvscsi'] }, connect: 'none', why: 'ibmvscsi is a spapr-vio device' },
  { kind: 'controller', when: { type: ['scsi'] }, connect: 'pci' },
  { kind: 'controller', when: { type: ['virtio-serial'], model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'controller', when: { type: ['virtio-serial'] }, connect: 'virtio' },
  { kind: 'controller', when: { type: ['nvme'] }, connect: 'pcie' },
  { kind: 'controller', connect: 'none', why: 'fdc, ccid, xenbus, isa' },

  // Filesystems.
  { kind: 'filesystem', when: { type: ['mount', ''], sub: ['virtiofs'] }, connect: 'virtio' },
  { kind: 'filesystem', when: { type: ['mount', ''], model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'filesystem', when: { type: ['mount', ''], sub: ['', 'path', 'handle'] }, connect: 'virtio' },
  { kind: 'filesystem', connect: 'none', why: 'mtp, loop, nbd, ploop' },

  // Host devices.
  { kind: 'hostdev', when: { sub: ['subsystem', ''], type: ['pci'] }, connect: 'pcie', why: 'libvirt probes the host device; pciplan assumes PCIe as libvirt does when it cannot' },
  { kind: 'hostdev', when: { type: ['mdev'], model: ['vfio-pci'] }, connect: 'pcie' },
  { kind: 'hostdev', when: { type: ['scsi_host'], model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'hostdev', when: { type: ['scsi_host'] }, connect: 'virtio' },
  { kind: 'hostdev', connect: 'none' },

  { kind: 'memballoon', when: { model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'memballoon', when: { model: ['virtio', 'virtio-non-transitional'] }, connect: 'virtio' },
  { kind: 'memballoon', connect: 'none' },

  { kind: 'rng', when: { model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'rng', connect: 'virtio' },

  { kind: 'watchdog', when: { model: ['i6300esb'] }, connect: 'pci' },
  { kind: 'watchdog', connect: 'none' },

  { kind: 'video', when: { model: ['virtio'] }, connect: 'virtio' },
  { kind: 'video', when: { model: ['bochs'] }, connect: 'pcie' },
  { kind: 'video', when: { model: ['ramfb'] }, connect: 'none', addressRule: 'no-pci', why: 'ramfb is not a PCI device' },
  { kind: 'video', when: { model: ['none', 'gop', 'default', ''] }, connect: 'none' },
  { kind: 'video', connect: 'pci', why: 'vga, cirrus, vmvga, qxl, xen, vbox, parallels need a conventional slot' },

  { kind: 'shmem', connect: 'pci', addressRule: 'pci-only' },

  { kind: 'input', when: { bus: ['virtio'], model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'input', when: { bus: ['virtio'] }, connect: 'virtio' },
  { kind: 'input', connect: 'none' },

  { kind: 'serial', when: { sub: ['pci-serial'] }, connect: 'pci' },
  {
    kind: 'serial',
    when: { sub: SERIAL_TARGETS_WITHOUT_PCI },
    connect: 'none',
    addressRule: 'no-pci',
    why: "libvirt refuses a PCI address on these ('requires address type isa', 'cannot have an associated address' ...)",
  },
  { kind: 'serial', connect: 'none' },

  { kind: 'iommu', when: { model: ['virtio'] }, connect: 'virtio', integrated: true },
  { kind: 'iommu', when: { model: ['amd'] }, connect: 'pci', integrated: true },
  { kind: 'iommu', connect: 'none' },

  { kind: 'vsock', when: { model: TRANSITIONAL }, connect: 'pci' },
  { kind: 'vsock', connect: 'virtio' },

  { kind: 'memory', when: { model: ['virtio-pmem', 'virtio-mem'] }, connect: 'virtio' },
  { kind: 'memory', connect: 'none' },

  { kind: 'crypto', when: { model: ['virtio'] }, connect: 'pci', why: 'libvirt gives virtio-crypto plain PCI flags, not virtio flags' },
  { kind: 'crypto', connect: 'none' },

  { kind: 'panic', when: { model: ['pvpanic'] }, machines: ['virt'], connect: 'pci', integrated: true, addressRule: 'pci-only' },
  {
    kind: 'panic',
    when: { model: ['pvpanic'] },
    connect: 'none',
    whenPciAddressed: { connect: 'pci', integrated: true },
    why: 'on x86 pvpanic is an ISA device unless given a PCI address (then pvpanic-pci, on bus 0)',
  },
  { kind: 'panic', connect: 'none' },

  { kind: 'pstore', connect: 'pci' },

  // A console of target type serial is the first serial port again: libvirt copies that serial's
  // address onto it, so it never takes an address of its own.
  { kind: 'console', connect: 'none', addressRule: 'mirror', why: 'mirrors serial 0' },

  { kind: 'sound', when: { model: ['ich6', 'ich9', 'ac97', 'es1370'] }, connect: 'pci' },
  { kind: 'sound', when: { model: ['virtio'] }, connect: 'virtio' },
  { kind: 'sound', connect: 'none' },
];

/**
 * What kind of function a device is when it sits straight on the PCI Express root complex
 * (pcie.0), where no port gives it a link. QEMU decides per device model:
 *   pcie    keeps its PCI Express capability as a root-complex integrated endpoint: vfio-pci
 *           (a passed-through device keeps its own capability), e1000e, igb, nvme, xhci, bochs
 *           (they add the capability whenever their bus is PCI Express, root bus included);
 *   pci     a conventional PCI function: modern virtio-pci adds its PCI Express capability only
 *           behind a port (hw/virtio/virtio-pci.c: `pcie_port` is an express bus that is not a
 *           root bus) and drops it on pcie.0; conventional models never have one.
 * So a bus='pci' hint is met by a virtio device on pcie.0 and a bus='pcie' hint is not; for a
 * PCIe-class device it is the other way round. The validator and the optimal model read this.
 */
export const ROOT_COMPLEX_FUNCTION: Record<Exclude<ConnectClass, 'none'>, BusKind> = {
  pci: 'pci',
  pcie: 'pcie',
  virtio: 'pci',
};

/** The bus kind a device of this class is on pcie.0 (a device with no PCI class: conventional). */
export function rootComplexFunction(connect: ConnectClass): BusKind {
  return connect === 'none' ? 'pci' : ROOT_COMPLEX_FUNCTION[connect];
}

/**
 * Disk target names as libvirt 9 reads them (virDiskNameParse): a prefix, then lowercase letters
 * read as a bijective base-26 number (vda 0, vdz 25, vdaa 26), then nothing (trailing digits are a
 * partition, which libvirt refuses in a target). The prefix also gives the bus of a disk written
 * without one (virDomainDiskDefPostParse: a floppy is on fdc, an unknown prefix on ide). Checked
 * with virsh define: 'HDD' and 'foo' are refused ("Unknown disk name ... and no address
 * specified", or "invalid disk target" when an address is given), 'vda' alone is a virtio disk.
 */
export const DISK_TARGET_PREFIXES: readonly { prefix: string; bus?: string }[] = [
  { prefix: 'fd' },
  { prefix: 'hd', bus: 'ide' },
  { prefix: 'vd', bus: 'virtio' },
  { prefix: 'sd', bus: 'scsi' },
  { prefix: 'xvd', bus: 'xen' },
  { prefix: 'ubd', bus: 'uml' },
];

/** libvirt keeps the index in a C int: a longer name overflows it (libvirt then misreads it), pciplan refuses it. */
export const MAX_DISK_INDEX = 0x7fff_ffff;

export type DiskTarget = { ok: true; index: number } | { ok: false; partition: boolean };

/** A disk target name's index, or why libvirt does not read it as one. */
export function parseDiskTarget(dev: string): DiskTarget {
  const p = DISK_TARGET_PREFIXES.find((x) => dev.startsWith(x.prefix));
  const m = p && /^([a-z]+)([0-9]*)$/.exec(dev.slice(p.prefix.length));
  if (!m) return { ok: false, partition: false };
  if (m[2]) return { ok: false, partition: true };
  let n = 0;
  for (const ch of m[1]!) {
    n = n * 26 + (ch.charCodeAt(0) - 96);
    if (n - 1 > MAX_DISK_INDEX) return { ok: false, partition: false };
  }
  return { ok: true, index: n - 1 };
}

/** The bus libvirt gives a disk written without `<target bus>`. */
export function inferredDiskBus(dev: string | undefined, device: string | undefined): string {
  if (device === 'floppy') return 'fdc';
  return (dev !== undefined && DISK_TARGET_PREFIXES.find((x) => dev.startsWith(x.prefix))?.bus) || 'ide';
}

export interface DeviceClass {
  connect: ConnectClass;
  integrated: boolean;
  addressRule?: AddressRule;
  rule: DeviceRule | undefined;
}

function matches(rule: DeviceRule, kind: DeviceKind, props: DeviceProps, family: string): boolean {
  if (rule.kind !== kind) return false;
  if (rule.machines && !rule.machines.includes(family)) return false;
  for (const [key, values] of Object.entries(rule.when ?? {}) as [keyof DeviceProps, readonly (string | number)[]][]) {
    const v = props[key] ?? '';
    if (!values.includes(v)) return false;
  }
  return true;
}

/** The class of a device on a machine family; `pciAddressed` = the user gave it a PCI address. */
export function classifyDevice(kind: DeviceKind, props: DeviceProps, family: string, pciAddressed: boolean): DeviceClass {
  const rule = DEVICE_RULES.find((r) => matches(r, kind, props, family));
  if (!rule) return { connect: 'none', integrated: false, rule };
  if (pciAddressed && rule.whenPciAddressed) {
    return { connect: rule.whenPciAddressed.connect, integrated: !!rule.whenPciAddressed.integrated, rule };
  }
  return {
    connect: rule.connect,
    integrated: !!rule.integrated,
    ...(rule.addressRule ? { addressRule: rule.addressRule } : {}),
    rule,
  };
}
