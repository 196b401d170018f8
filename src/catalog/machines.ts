// Machine types: which root bus they have, which root slots their chipset takes, and what libvirt
// adds to every domain of the type. Source: libvirt qemu_domain_address.c
// (qemuDomainValidateDevicePCISlotsPIIX3 / ...Q35), qemu_postparse.c (implicit devices);
// docs/pci-rules.md (Machine types).
import { isRootRole, roleOf, type ControllerModel, type RootRole } from './controllers.js';
import type { DeviceKind } from './devices.js';

export type MachineFamily = 'q35' | 'pc' | 'virt' | 'pseries' | 's390-ccw' | 'versatile' | 'powermac';

export type PreferredDevice = 'primary-video' | 'ich9-sound' | 'usb2-companions' | 'dmi-bridge';

export interface Preference {
  slot: number;
  what: string;
  device: PreferredDevice;
}

export interface Implicit {
  /** The root controller at index 0 (always). */
  root: true;
  /** Model of the USB controller added when the domain has none; '' = none added. */
  usb: string;
  /** q35's SATA controller at 00:1f.2. */
  sata: boolean;
  /** A virtio memballoon when no <memballoon> is written. */
  memballoon: boolean;
  /**
   * Arches of the family that get no default memballoon: qemuDomainDefAddDefaultDevices
   * (libvirt:src/qemu/qemu_postparse.c) sets addDefaultMemballoon for neither ARM nor LoongArch
   * (riscv does get one in libvirt 11.3: its corpus pair riscv64-virt-acpi).
   */
  noMemballoonArches?: readonly string[];
  /** A video device of the default model when <graphics> is given without <video>. */
  videoWithGraphics: boolean;
}

/** A device the chipset pins to one address, or owns there. */
export interface OwnerSelector {
  kind: DeviceKind;
  type?: string;
  index?: number;
  /** Models that make the owner; '' = no model written. */
  models?: readonly string[];
}

export interface Reservation {
  slot: number;
  function: number;
  what: string;
  /** The device that lives there; if it has an address it must be this one. */
  owner?: OwnerSelector;
  /** libvirt's message when the owner is placed elsewhere. */
  ownerMessage?: string;
  /** The function is taken only when the owner exists (QEMU creates the device only then). */
  onlyWithOwner?: true;
}

export interface MachineSpec {
  family: MachineFamily;
  /** Machine names of the family, as written in `<os><type machine=…>`. */
  names: RegExp;
  arches: readonly string[];
  root: Extract<ControllerModel, 'pci-root' | 'pcie-root'>;
  /** Functions of bus 0 the chipset uses; a device there must be the owner. */
  reserved: readonly Reservation[];
  /** Slots of bus 0 libvirt gives a device when the slot is free (not reserved: anything may take them). */
  preferred: readonly Preference[];
  /** Devices libvirt adds to every domain of the machine that lacks them (qemuDomainDefAddDefaultDevices). */
  implicit: Implicit;
  /** More than one root bus (pSeries PHBs, each its own PCI domain in the guest). */
  multipleRoots: boolean;
  /** Whether libvirt can give this machine's devices PCI addresses at all. */
  pci: boolean;
  /**
   * Models libvirt fills in when a device names none (qemuDomainDefaultNetModel, the default
   * video/USB/SCSI/panic models; they depend on arch and QEMU's capabilities: these are the ones
   * libvirt 11.3 chose with current QEMU, as its own tests show). '' = no default.
   */
  defaults: DeviceDefaults;
  /** Per-arch differences from `defaults`. */
  archDefaults?: Readonly<Record<string, Partial<DeviceDefaults>>>;
}

/**
 * The controller libvirt puts at a controller index nobody wrote (below the highest one): pci-root
 * on pSeries, pcie-root-port where bus 0 is pcie-root, else pci-bridge (qemu_domain_address.c,
 * qemuDomainPCIAddressSetCreate).
 */
export function gapModel(machine: Pick<MachineSpec, 'multipleRoots' | 'root'>): ControllerModel {
  return machine.multipleRoots ? 'pci-root' : machine.root === 'pcie-root' ? 'pcie-root-port' : 'pci-bridge';
}

/** The role of the machine's root bus (what the code branches on; `root` is libvirt's model). */
export function rootRole(machine: Pick<MachineSpec, 'root'>): RootRole {
  const role = roleOf(machine.root);
  if (!isRootRole(role)) throw new Error(`catalog: the root ${machine.root} of a machine has the role ${role}`);
  return role;
}

export interface DeviceDefaults {
  nic: string;
  video: string;
  /** A <controller type='usb'> written without a model. */
  usb: string;
  scsi: string;
  panic: string;
  /** A <serial> (or the console that stands for serial 0) written without a target type. */
  serial: string;
}

const X86_DEFAULTS: DeviceDefaults = { nic: 'rtl8139', video: 'cirrus', usb: 'piix3-uhci', scsi: 'lsilogic', panic: 'isa', serial: 'isa-serial' };

const PIIX3_USB = ['piix3-uhci', ''] as const;

export const MACHINES: readonly MachineSpec[] = [
  {
    family: 'q35',
    names: /^(q35|pc-q35-[\w.]+)$/,
    arches: ['x86_64', 'i686'],
    root: 'pcie-root',
    reserved: [
      { slot: 0x1f, function: 0, what: 'the ICH9 ISA/LPC bridge' },
      {
        slot: 0x1f,
        function: 2,
        what: 'the primary SATA controller',
        owner: { kind: 'controller', type: 'sata', index: 0 },
        ownerMessage: 'Primary SATA controller must have PCI address 0:0:1f.2',
      },
      { slot: 0x1f, function: 3, what: 'the ICH9 SMBus controller' },
    ],
    preferred: [
      { slot: 0x01, what: 'primary video', device: 'primary-video' },
      { slot: 0x1d, what: 'first ich9 USB2 companion set', device: 'usb2-companions' },
      { slot: 0x1a, what: 'second ich9 USB2 companion set', device: 'usb2-companions' },
      { slot: 0x1e, what: 'dmi-to-pci-bridge', device: 'dmi-bridge' },
      { slot: 0x1b, what: 'first ich9 sound device', device: 'ich9-sound' },
    ],
    implicit: { root: true, usb: 'qemu-xhci', sata: true, memballoon: true, videoWithGraphics: true },
    multipleRoots: false,
    pci: true,
    defaults: X86_DEFAULTS,
  },
  {
    family: 'pc',
    names: /^(pc|pc-i440fx-[\w.]+|pc-\d[\w.]*)$/,
    arches: ['x86_64', 'i686'],
    root: 'pci-root',
    reserved: [
      { slot: 0x01, function: 0, what: 'the PIIX3 ISA bridge' },
      {
        slot: 0x01,
        function: 1,
        what: 'the primary IDE controller',
        owner: { kind: 'controller', type: 'ide', index: 0 },
        ownerMessage: 'Primary IDE controller must have PCI address 0:0:1.1',
      },
      {
        slot: 0x01,
        function: 2,
        what: 'the PIIX3 USB controller',
        owner: { kind: 'controller', type: 'usb', index: 0, models: PIIX3_USB },
        ownerMessage: 'PIIX3 USB controller at index 0 must have PCI address 0:0:1.2',
        onlyWithOwner: true,
      },
      { slot: 0x01, function: 3, what: 'the PIIX4 ACPI/PM bridge' },
    ],
    preferred: [{ slot: 0x02, what: 'primary video', device: 'primary-video' }],
    implicit: { root: true, usb: 'piix3-uhci', sata: false, memballoon: true, videoWithGraphics: true },
    multipleRoots: false,
    pci: true,
    defaults: X86_DEFAULTS,
  },
  {
    family: 'virt',
    names: /^virt(-[\w.]+)?$/,
    arches: ['aarch64', 'armv7l', 'riscv64', 'riscv32', 'loongarch64'],
    root: 'pcie-root',
    reserved: [],
    preferred: [],
    implicit: { root: true, usb: '', sata: false, memballoon: true, noMemballoonArches: ['aarch64', 'armv7l', 'loongarch64'], videoWithGraphics: true },
    multipleRoots: false,
    pci: true,
    defaults: { nic: 'virtio', video: 'virtio', usb: 'qemu-xhci', scsi: 'lsilogic', panic: 'pvpanic', serial: 'system-serial' },
    archDefaults: {
      riscv64: { usb: 'piix3-uhci', panic: '' },
      loongarch64: { scsi: 'virtio-scsi', panic: '' },
    },
  },
  {
    family: 'pseries',
    names: /^pseries(-[\w.]+)?$/,
    arches: ['ppc64', 'ppc64le'],
    root: 'pci-root',
    reserved: [],
    preferred: [],
    implicit: { root: true, usb: 'pci-ohci', sata: false, memballoon: true, videoWithGraphics: true },
    multipleRoots: true,
    pci: true,
    defaults: { nic: 'spapr-vlan', video: 'vga', usb: 'pci-ohci', scsi: 'ibmvscsi', panic: 'pseries', serial: 'spapr-vio-serial' },
  },
  {
    family: 's390-ccw',
    names: /^s390-ccw-virtio(-[\w.]+)?$/,
    arches: ['s390x'],
    root: 'pci-root',
    reserved: [],
    preferred: [],
    implicit: { root: true, usb: '', sata: false, memballoon: true, videoWithGraphics: false },
    multipleRoots: false,
    pci: true,
    defaults: { nic: 'virtio', video: 'virtio', usb: 'none', scsi: 'virtio-scsi', panic: 's390', serial: 'sclp-serial' },
  },
  {
    family: 'versatile',
    names: /^(versatilepb|realview-eb[\w-]*)$/,
    arches: ['aarch64', 'armv7l', 'armv6l'],
    root: 'pci-root',
    reserved: [],
    preferred: [],
    implicit: { root: true, usb: 'pci-ohci', sata: false, memballoon: false, videoWithGraphics: true },
    multipleRoots: false,
    pci: true,
    defaults: { nic: 'smc91c111', video: 'vga', usb: 'pci-ohci', scsi: 'lsilogic', panic: '', serial: '' },
  },
  {
    family: 'powermac',
    names: /^(mac99|g3beige)$/,
    arches: ['ppc', 'ppc64'],
    root: 'pci-root',
    reserved: [],
    preferred: [],
    implicit: { root: true, usb: 'pci-ohci', sata: false, memballoon: true, videoWithGraphics: true },
    multipleRoots: false,
    pci: true,
    defaults: { nic: 'rtl8139', video: 'vga', usb: 'pci-ohci', scsi: 'lsilogic', panic: '', serial: '' },
  },
];

/** libvirt's default machine when `<os><type>` names none (per arch). */
export const DEFAULT_MACHINE: Readonly<Record<string, string>> = {
  x86_64: 'pc',
  i686: 'pc',
  aarch64: 'virt',
  armv7l: 'virt',
  riscv64: 'virt',
  loongarch64: 'virt',
  ppc64: 'pseries',
  ppc64le: 'pseries',
  s390x: 's390-ccw-virtio',
};

export function findMachine(machine: string, arch: string): MachineSpec | undefined {
  return MACHINES.find((m) => m.names.test(machine) && m.arches.includes(arch));
}

export function knownMachineNames(): string {
  return 'q35, pc (i440fx), virt (aarch64/armv7l/riscv64/loongarch64), pseries, s390-ccw-virtio, versatilepb, mac99, g3beige';
}

export function deviceDefault(machine: MachineSpec, arch: string, what: keyof DeviceDefaults): string | undefined {
  const v = machine.archDefaults?.[arch]?.[what] ?? machine.defaults[what];
  return v === '' ? undefined : v;
}
