/*
 * What the count model reads: the units to place, grouped into classes of interchangeable units,
 * and the free capacity of the topology that already exists, per location, as numbers. The
 * encodings (and exact.ts) read this and nothing else: no XML, no addresses, no devices beyond
 * their names for messages. src/optimal/instance.ts builds it from a domain, together with what
 * only the decode reads; a test can write one by hand.
 *
 * The type lives with the encodings, not with its builder: the encodings are below src/optimal
 * (which builds the model from them), so what they read must not come from above them.
 */
import type { BusKind, ControllerModel, RootRole } from '../src/catalog/index.js';

/** What a unit asks of its place (the same for every unit of a class). */
export interface Requirements {
  kind: BusKind;
  /** true: must be hot-pluggable; false: must not be; undefined: either. */
  hotplug: boolean | undefined;
  numa: number | undefined;
  /** Must sit on bus 0 (integrated devices). */
  integrated: boolean;
  /**
   * May sit straight on pcie.0: no bus hint, or the hinted kind is what every function is on the
   * root complex (catalog ROOT_COMPLEX_FUNCTION: virtio is conventional there, vfio PCI Express).
   */
  onRoot: boolean;
  /** May share a slot with other packable units (policy packFunctions, single function, not hotplug). */
  packable: boolean;
}

/** A device as the model's messages name it: its id, or its group's name. */
export interface NamedDevice {
  id: string;
  hints: { group?: string };
}

export interface CountUnit extends Requirements {
  /** One device, or the functions of a multifunction group (function 0 first); read for names only. */
  devices: readonly NamedDevice[];
}

export interface CountClass extends Requirements {
  key: string;
  units: readonly CountUnit[];
}

/** A location: the root hierarchy 'R', or the hierarchy of an expander bus on a NUMA node (or none). */
export interface Location {
  id: string;
  /** undefined for R; the node for expander locations ('none' = an expander without a node). */
  node: number | 'none' | undefined;
  /** Free ports that already exist: hot-pluggable, and hotplug='off'. */
  hpPorts: number;
  offPorts: number;
  /** Free slots on existing switch upstream ports (room for new downstream ports). */
  upstreamFree: number;
  /** Free slots on existing hot-pluggable PCI buses (bridges, pci-expander-bus) and on dmi-to-pci-bridges. */
  hpSlots: number;
  offSlots: number;
  /** Existing PCI buses (bridges) a new pci-bridge could hang from. */
  pciBuses: number;
  /** Expander locations: an expander exists already (with this many free slots), or one may be added. */
  expander?: { existing: boolean; freeSlots: number; busNr?: number; range?: number; subtree: number };
}

export interface CountInstance {
  rootKind: RootRole;
  units: readonly CountUnit[];
  /** The units by class, in a stable order (class key order). */
  classes: readonly CountClass[];
  locations: readonly Location[];
  root: {
    /** Empty slots of bus 0 pciplan may use. */
    freeSlots: number;
    /** Free functions in bus-0 slots that already hold root ports (more root ports can join). */
    rootPortFns: number;
    /** Whether devices on bus 0 can be hot(un)plugged (pci-root with ACPI hotplug). */
    hotplug: boolean;
  };
  /** Existing root ports that have no address and found no slot on bus 0 (they need an expander). */
  overflowRootPorts: readonly { id: string }[];
  spares: { ports: number; slots: number };
  /** Controller indexes left for new controllers: they are numbered above the highest in use, up to 255. */
  freeIndexes: number;
  buses: { used: number; rootRegion: number; lowestBusNr: number };
  allowed: ReadonlySet<ControllerModel>;
}
