// The ten PCI controller models libvirt knows, as data. Source: libvirt domain_addr.c
// (virDomainPCIControllerModelToConnectType, virDomainPCIAddressBusSetModel), qemu_validate.c
// (which <target> options each model takes) and qemu_domain_address.c (defaults); summarised in
// docs/pci-rules.md (Controller models; Expander buses and NUMA).
import type { ConnectType } from './connect.js';

export const CONTROLLER_MODELS = [
  'pci-root',
  'pcie-root',
  'pci-bridge',
  'dmi-to-pci-bridge',
  'pcie-root-port',
  'pcie-switch-upstream-port',
  'pcie-switch-downstream-port',
  'pci-expander-bus',
  'pcie-expander-bus',
  'pcie-to-pci-bridge',
] as const;
export type ControllerModel = (typeof CONTROLLER_MODELS)[number];

/**
 * What a controller does, which is what the code outside the catalog branches on (a model is only
 * libvirt's name for it). Code that treats roles differently uses an exhaustive `switch` ending in
 * `assertNever` or a `Record<ControllerRole, …>`, so a new role is a compile error at every place
 * that must learn it (docs/how-to.md, Add a controller model).
 */
export const CONTROLLER_ROLES = [
  /** The root bus of a conventional machine: PCI slots, hot-pluggable, may be several (pSeries). */
  'conventional-root',
  /** The PCIe root complex: integrated endpoints and root ports, no hotplug. */
  'express-root',
  /** A PCI-to-PCI bridge: a hot-pluggable conventional bus in a conventional slot. */
  'conventional-bridge',
  /** A DMI-to-PCI bridge: a conventional bus without hotplug on the root complex (or an expander). */
  'dmi-bridge',
  /** A PCIe root port: one hot-pluggable PCIe slot on the root complex (or a PCIe expander). */
  'root-port',
  /** A PCIe switch's upstream port: sits in a port, holds up to 32 downstream ports. */
  'switch-upstream',
  /** A PCIe switch's downstream port: one hot-pluggable PCIe slot under an upstream port. */
  'switch-downstream',
  /** A PCI expander bus (pxb): a conventional root bus of its own, with a NUMA node. */
  'conventional-expander',
  /** A PCIe expander bus (pxb-pcie): a root complex of its own for root ports, with a NUMA node. */
  'express-expander',
  /** A PCIe-to-PCI bridge: a hot-pluggable conventional bus in a PCIe port. */
  'express-to-conventional-bridge',
] as const;
export type ControllerRole = (typeof CONTROLLER_ROLES)[number];
export type RootRole = Extract<ControllerRole, 'conventional-root' | 'express-root'>;
export type ExpanderRole = Extract<ControllerRole, 'conventional-expander' | 'express-expander'>;

/** Options of `<target>` a model may carry (anything else: "Option '%s' is not valid"). */
export type TargetOption = 'chassisNr' | 'chassis' | 'port' | 'busNr' | 'node' | 'hotplug' | 'index' | 'pcihole64' | 'memReserve';

export interface ControllerSpec {
  model: ControllerModel;
  /** What it does (the code branches on this, not on the model). */
  role: ControllerRole;
  /** What the controller itself is on its upstream side; null for the roots (they have no address). */
  connect: ConnectType | null;
  /** What its own bus accepts downstream. */
  accepts: readonly ConnectType[];
  /** libvirt may auto-place endpoint devices on this bus (AUTOASSIGN). */
  autoAssign: boolean;
  /** The bus supports hotplug (HOTPLUGGABLE) unless `<target hotplug='off'/>` is set. */
  hotpluggable: boolean;
  /** Slots usable on its bus. */
  slots: readonly [min: number, max: number];
  /** Auto-placed instances may share one slot as functions (only root ports). */
  aggregate: boolean;
  /** It creates a bus the guest numbers (uses one of the 256 bus numbers of its PCI domain). */
  guestBus: boolean;
  /** Options allowed in `<target>`. */
  targetOptions: readonly TargetOption[];
  /** QEMU device names libvirt accepts in `<model name=…>`; the first is the default. */
  modelNames: readonly string[];
  /** A NUMA node may be given (`<target><node>`). */
  numa: boolean;
  /** The machines that have it; undefined = any machine whose root accepts its connect type. */
  machines?: readonly MachineScope[];
  /** libvirt's own allocator adds it when capacity runs out (docs/pci-rules.md). */
  libvirtAutoAdds: boolean;
}

/**
 * A machine family (as named in machines.ts, which imports this file), or a family on some of its
 * arches only (libvirt's qemuDomainIsARMVirt is virt on ARM).
 */
export type MachineScope = string | { family: string; arches: readonly string[] };

const PCI_ENDPOINT_BUS: readonly ConnectType[] = ['pci-device', 'pci-bridge'];
const PCIE_PORT_BUS: readonly ConnectType[] = ['pcie-device', 'pcie-switch-upstream-port', 'pcie-to-pci-bridge'];

export const CONTROLLERS: Record<ControllerModel, ControllerSpec> = {
  'pci-root': {
    model: 'pci-root',
    role: 'conventional-root',
    connect: null,
    accepts: ['pci-device', 'pci-bridge', 'pci-expander-bus'],
    autoAssign: true,
    hotpluggable: true,
    slots: [1, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: ['pcihole64', 'hotplug', 'index', 'node'],
    modelNames: ['spapr-pci-host-bridge'],
    numa: true,
    libvirtAutoAdds: false,
  },
  'pcie-root': {
    model: 'pcie-root',
    role: 'express-root',
    connect: null,
    accepts: ['pcie-device', 'pcie-root-port', 'dmi-to-pci-bridge', 'pcie-expander-bus'],
    autoAssign: false,
    hotpluggable: false,
    slots: [1, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: ['pcihole64'],
    modelNames: [],
    numa: false,
    libvirtAutoAdds: false,
  },
  'pci-bridge': {
    model: 'pci-bridge',
    role: 'conventional-bridge',
    connect: 'pci-bridge',
    accepts: PCI_ENDPOINT_BUS,
    autoAssign: true,
    hotpluggable: true,
    // Slot 0 holds the bridge's SHPC controller.
    slots: [1, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: ['chassisNr', 'memReserve'],
    modelNames: ['pci-bridge'],
    numa: false,
    libvirtAutoAdds: true,
  },
  'dmi-to-pci-bridge': {
    model: 'dmi-to-pci-bridge',
    role: 'dmi-bridge',
    connect: 'dmi-to-pci-bridge',
    accepts: PCI_ENDPOINT_BUS,
    autoAssign: false,
    hotpluggable: false,
    slots: [0, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: [],
    modelNames: ['i82801b11-bridge'],
    numa: false,
    libvirtAutoAdds: true,
  },
  'pcie-root-port': {
    model: 'pcie-root-port',
    role: 'root-port',
    connect: 'pcie-root-port',
    accepts: PCIE_PORT_BUS,
    autoAssign: true,
    hotpluggable: true,
    slots: [0, 0],
    aggregate: true,
    guestBus: true,
    targetOptions: ['chassis', 'port', 'hotplug', 'memReserve'],
    modelNames: ['pcie-root-port', 'ioh3420'],
    numa: false,
    libvirtAutoAdds: true,
  },
  'pcie-switch-upstream-port': {
    model: 'pcie-switch-upstream-port',
    role: 'switch-upstream',
    connect: 'pcie-switch-upstream-port',
    accepts: ['pcie-switch-downstream-port'],
    autoAssign: false,
    hotpluggable: false,
    slots: [0, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: [],
    modelNames: ['x3130-upstream'],
    numa: false,
    libvirtAutoAdds: false,
  },
  'pcie-switch-downstream-port': {
    model: 'pcie-switch-downstream-port',
    role: 'switch-downstream',
    connect: 'pcie-switch-downstream-port',
    accepts: PCIE_PORT_BUS,
    autoAssign: true,
    hotpluggable: true,
    slots: [0, 0],
    aggregate: false,
    guestBus: true,
    targetOptions: ['chassis', 'port', 'hotplug'],
    modelNames: ['xio3130-downstream'],
    numa: false,
    libvirtAutoAdds: false,
  },
  'pci-expander-bus': {
    model: 'pci-expander-bus',
    role: 'conventional-expander',
    connect: 'pci-expander-bus',
    accepts: PCI_ENDPOINT_BUS,
    autoAssign: true,
    hotpluggable: true,
    slots: [0, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: ['busNr', 'node'],
    modelNames: ['pxb'],
    numa: true,
    machines: ['pc'],
    libvirtAutoAdds: false,
  },
  'pcie-expander-bus': {
    model: 'pcie-expander-bus',
    role: 'express-expander',
    connect: 'pcie-expander-bus',
    accepts: ['pcie-root-port', 'dmi-to-pci-bridge'],
    autoAssign: false,
    hotpluggable: false,
    slots: [0, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: ['busNr', 'node'],
    modelNames: ['pxb-pcie'],
    numa: true,
    // qemuDomainIsQ35 || qemuDomainIsARMVirt: not on the riscv or loongarch virt machines.
    machines: ['q35', { family: 'virt', arches: ['aarch64', 'armv7l'] }],
    libvirtAutoAdds: false,
  },
  'pcie-to-pci-bridge': {
    model: 'pcie-to-pci-bridge',
    role: 'express-to-conventional-bridge',
    connect: 'pcie-to-pci-bridge',
    accepts: PCI_ENDPOINT_BUS,
    autoAssign: true,
    hotpluggable: true,
    // Slot 0 holds the bridge's SHPC controller.
    slots: [1, 31],
    aggregate: false,
    guestBus: true,
    targetOptions: [],
    modelNames: ['pcie-pci-bridge'],
    numa: false,
    libvirtAutoAdds: true,
  },
};

export const ROOT_MODELS: readonly ControllerModel[] = CONTROLLER_MODELS.filter((m) => isRootRole(CONTROLLERS[m].role));
export const EXPANDER_MODELS: readonly ControllerModel[] = CONTROLLER_MODELS.filter((m) => isExpanderRole(CONTROLLERS[m].role));

/** The role of a model. */
export function roleOf(model: ControllerModel): ControllerRole {
  return CONTROLLERS[model].role;
}

/** The one model of each role: what pciplan writes when it adds a controller of that role. */
const MODEL_OF = new Map<ControllerRole, ControllerModel>();
for (const m of CONTROLLER_MODELS) {
  const role = CONTROLLERS[m].role;
  if (MODEL_OF.has(role)) throw new Error(`catalog: two models with the role ${role}; modelFor must learn to choose`);
  MODEL_OF.set(role, m);
}

/** The model that plays `role`, for code that creates a controller (never a model literal). */
export function modelFor(role: ControllerRole): ControllerModel {
  const m = MODEL_OF.get(role);
  if (m === undefined) throw new Error(`catalog: no model with the role ${role}`);
  return m;
}

/** The connect type a controller of `role` has on its upstream side (what a bus must accept to take it). */
export function connectOf(role: Exclude<ControllerRole, RootRole>): ConnectType {
  return CONTROLLERS[modelFor(role)].connect!;
}

export function isRootRole(role: ControllerRole): role is RootRole {
  return role === 'conventional-root' || role === 'express-root';
}

export function isExpanderRole(role: ControllerRole): role is ExpanderRole {
  return role === 'conventional-expander' || role === 'express-expander';
}

/** A one-slot port that takes one device or switch, with `<target chassis port>`. */
export function isPortRole(role: ControllerRole): role is 'root-port' | 'switch-downstream' {
  return role === 'root-port' || role === 'switch-downstream';
}

/** The expander a machine with this root adds for a NUMA node. */
export function expanderRoleFor(root: RootRole): ExpanderRole {
  return root === 'express-root' ? 'express-expander' : 'conventional-expander';
}

/** The end of an exhaustive switch: a value the types say cannot occur (a new role not handled). */
export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${String(x)}`);
}

/** Valid ranges of numeric `<target>` options (libvirt domain_validate.c). */
export const TARGET_RANGES: Partial<Record<TargetOption, readonly [number, number]>> = {
  chassisNr: [1, 255],
  chassis: [0, 255],
  port: [0, 255],
  busNr: [1, 254],
  index: [0, 30],
};

/** Highest controller index, and so the most buses in libvirt's model of one domain. */
export const MAX_CONTROLLER_INDEX = 255;
/** Guest bus numbers in one PCI domain (QEMU docs/pcie.txt section 4). */
export const GUEST_BUS_NUMBERS = 256;
export const SLOTS_PER_BUS = 32;
export const FUNCTIONS_PER_SLOT = 8;

/** Whether a domain of this machine family and arch may have the model (its `machines`). */
export function modelOnMachine(model: ControllerModel, family: string, arch: string): boolean {
  const scopes = CONTROLLERS[model].machines;
  return !scopes || scopes.some((m) => (typeof m === 'string' ? m === family : m.family === family && m.arches.includes(arch)));
}

export function isControllerModel(s: string): s is ControllerModel {
  return (CONTROLLER_MODELS as readonly string[]).includes(s);
}
