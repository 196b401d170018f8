/**
 * Seeded generator of small libvirt domain XML layouts with an explicit PCI
 * address on every PCI device and controller, for differential testing of the
 * validator against real libvirt and real QEMU (test/oracle/).
 *
 * About half of the layouts are "good": they follow the strict rules of
 * docs/pci-rules.md (which are stricter than what libvirt
 * or QEMU enforce). The other half carry exactly ONE deliberate fault, named
 * in `fault`. Layouts are built as a small model (controllers and devices with
 * addresses), mutated for the fault, then rendered the way libvirt writes XML.
 *
 * Determinism: layout i of seed s depends only on (s, i), so
 * generateLayouts(s, n) is a prefix of generateLayouts(s, n + k).
 */
import { mix, Rng } from '../helpers/prng.js';

export type Machine = 'q35' | 'pc' | 'virt';

export interface GeneratedLayout {
  name: string;
  xml: string;
  machine: Machine;
  /** The one deliberate rule violation, absent for a good layout. */
  fault?: FaultName;
}

export const FAULTS = [
  'duplicate-address',
  'function-without-zero',
  'multifunction-off-with-functions',
  'slot-nonzero-on-root-port',
  'pci-endpoint-on-pcie-bus',
  'pcie-endpoint-on-pci-bridge',
  'root-port-on-pci-bridge',
  'reserved-slot',
  'missing-bus',
  'bridge-index-not-above-bus',
  'duplicate-chassis-port',
  'duplicate-controller-index',
  'expander-busnr-out-of-range',
  'expander-busnr-duplicate',
  'expander-busnr-too-low',
  'expander-numa-node-missing',
  'slot-zero-on-pci-bridge',
  'integrated-off-bus-zero',
  'pcie-port-on-pci-machine',
  'upstream-port-on-root-bus',
  'endpoint-on-upstream-port',
] as const;
export type FaultName = (typeof FAULTS)[number];

// ---------------------------------------------------------------------------
// Model

interface Address {
  bus: number;
  slot: number;
  fn: number;
  multifunction?: 'on' | 'off';
}

type CtrlModel =
  | 'pcie-root-port'
  | 'pcie-switch-upstream-port'
  | 'pcie-switch-downstream-port'
  | 'pcie-to-pci-bridge'
  | 'dmi-to-pci-bridge'
  | 'pci-bridge'
  | 'pcie-expander-bus'
  | 'pci-expander-bus';

/** What a bus accepts / what a thing needs, in the strict rules' terms. */
type Plug = 'pci-dev' | 'pcie-dev' | CtrlModel;

interface Ctrl {
  kind: 'ctrl';
  model: CtrlModel;
  index: number;
  addr: Address;
  chassis?: number;
  port?: number;
  chassisNr?: number;
  busNr?: number;
  node?: number;
  hotplugOff?: boolean;
}

type DevType =
  | 'disk'
  | 'net-virtio'
  | 'net-e1000e'
  | 'net-e1000'
  | 'net-rtl8139'
  | 'scsi'
  | 'xhci'
  | 'rng'
  | 'balloon'
  | 'video-vga'
  | 'video-virtio'
  | 'video-bochs'
  | 'sound-ich9'
  | 'watchdog'
  | 'iommu';

interface Dev {
  kind: 'dev';
  type: DevType;
  addr: Address;
}

type Item = Ctrl | Dev;

/** Device types that libvirt treats as conventional PCI even on PCIe machines. */
const PCI_ONLY: ReadonlySet<DevType> = new Set(['net-e1000', 'net-rtl8139', 'video-vga', 'sound-ich9', 'watchdog']);
/** At most one of each per domain (keeps the XML simple and libvirt happy). */
const SINGLETONS: ReadonlySet<DevType> = new Set(['balloon', 'video-vga', 'video-virtio', 'video-bochs', 'watchdog', 'iommu', 'sound-ich9']);
const VIDEOS: ReadonlySet<DevType> = new Set(['video-vga', 'video-virtio', 'video-bochs']);

interface BusSpec {
  minSlot: number;
  maxSlot: number;
  accepts: ReadonlySet<Plug>;
}

const PORT_ACCEPTS: ReadonlySet<Plug> = new Set(['pcie-dev', 'pcie-switch-upstream-port', 'pcie-to-pci-bridge']);
const PCI_BUS_ACCEPTS: ReadonlySet<Plug> = new Set(['pci-dev', 'pci-bridge']);

function downstreamSpec(model: CtrlModel, machine: Machine): BusSpec {
  switch (model) {
    case 'pcie-root-port':
    case 'pcie-switch-downstream-port':
      return { minSlot: 0, maxSlot: 0, accepts: PORT_ACCEPTS };
    case 'pcie-switch-upstream-port':
      return { minSlot: 0, maxSlot: 31, accepts: new Set(['pcie-switch-downstream-port']) };
    case 'pcie-to-pci-bridge':
    case 'pci-bridge':
      // Slot 0 is taken by the bridge's SHPC.
      return { minSlot: 1, maxSlot: 31, accepts: PCI_BUS_ACCEPTS };
    case 'dmi-to-pci-bridge':
    case 'pci-expander-bus':
      return { minSlot: 0, maxSlot: 31, accepts: PCI_BUS_ACCEPTS };
    case 'pcie-expander-bus':
      return {
        minSlot: 0,
        maxSlot: 31,
        accepts: new Set<Plug>(machine === 'q35' ? ['pcie-root-port', 'dmi-to-pci-bridge'] : ['pcie-root-port']),
      };
  }
}

function rootSpec(machine: Machine): BusSpec {
  if (machine === 'pc') return { minSlot: 1, maxSlot: 31, accepts: new Set(['pci-dev', 'pci-bridge', 'pci-expander-bus']) };
  const accepts = new Set<Plug>(['pcie-dev', 'pcie-root-port', 'pcie-expander-bus']);
  if (machine === 'q35') accepts.add('dmi-to-pci-bridge');
  return { minSlot: 1, maxSlot: 31, accepts };
}

/** Slots of bus 0 held by the chipset: q35 00:1f (LPC, SATA, SMBus), pc 00:01 (PIIX3). */
function reservedRootSlot(machine: Machine): number | undefined {
  return machine === 'q35' ? 0x1f : machine === 'pc' ? 1 : undefined;
}

const EXPANDERS: ReadonlySet<CtrlModel> = new Set(['pcie-expander-bus', 'pci-expander-bus']);
const PORTS: ReadonlySet<CtrlModel> = new Set(['pcie-root-port', 'pcie-switch-downstream-port']);

// ---------------------------------------------------------------------------
// Builder

class Builder {
  readonly ctrls: Ctrl[] = [];
  readonly devs: Dev[] = [];
  readonly vcpus: number;
  readonly numaCells: number;

  constructor(
    readonly rng: Rng,
    readonly machine: Machine,
  ) {
    this.vcpus = rng.int(1, 4);
    this.numaCells = rng.chance(0.35) ? rng.int(1, Math.min(2, this.vcpus)) : 0;
  }

  get pcie(): boolean {
    return this.machine !== 'pc';
  }

  items(): Item[] {
    return [...this.ctrls, ...this.devs];
  }

  ctrlAt(index: number): Ctrl | undefined {
    return this.ctrls.find((c) => c.index === index);
  }

  spec(bus: number): BusSpec | undefined {
    if (bus === 0) return rootSpec(this.machine);
    const c = this.ctrlAt(bus);
    return c ? downstreamSpec(c.model, this.machine) : undefined;
  }

  /** What a device type needs from its bus on this machine. */
  plugOf(type: DevType): Plug {
    return this.pcie && !PCI_ONLY.has(type) ? 'pcie-dev' : 'pci-dev';
  }

  nextIndex(): number {
    return this.ctrls.reduce((m, c) => Math.max(m, c.index), 0) + 1;
  }

  slotUsed(bus: number, slot: number): boolean {
    return this.items().some((it) => it.addr.bus === bus && it.addr.slot === slot);
  }

  freeSlots(bus: number): number[] {
    const spec = this.spec(bus);
    if (!spec) return [];
    const out: number[] = [];
    for (let s = spec.minSlot; s <= spec.maxSlot; s++) {
      if (bus === 0 && s === reservedRootSlot(this.machine)) continue;
      if (!this.slotUsed(bus, s)) out.push(s);
    }
    return out;
  }

  busIndexes(): number[] {
    return [0, ...this.ctrls.map((c) => c.index)];
  }

  /** Buses that accept `plug` and still have a whole free slot. */
  busesFor(plug: Plug): number[] {
    return this.busIndexes().filter((b) => this.spec(b)?.accepts.has(plug) && this.freeSlots(b).length > 0);
  }

  /** A free slot (function 0) on a random bus accepting plug, or undefined. */
  freeAddressFor(plug: Plug, onBus?: number): Address | undefined {
    const buses = onBus === undefined ? this.busesFor(plug) : this.busesFor(plug).filter((b) => b === onBus);
    if (buses.length === 0) return undefined;
    const bus = this.rng.pick(buses);
    return { bus, slot: this.rng.pick(this.freeSlots(bus)), fn: 0 };
  }

  /** Adds a controller at a free legal place; undefined if there is none. */
  addCtrl(model: CtrlModel, onBus?: number): Ctrl | undefined {
    let addr: Address | undefined;
    // Root ports on pcie-root are usually packed 8 to a slot, as libvirt does.
    if (model === 'pcie-root-port' && onBus === undefined && this.rng.chance(0.5)) addr = this.rootPortGroupSlot();
    addr ??= this.freeAddressFor(model, onBus);
    if (!addr) return undefined;
    return this.placeCtrl(model, addr);
  }

  placeCtrl(model: CtrlModel, addr: Address): Ctrl {
    const c: Ctrl = { kind: 'ctrl', model, index: this.nextIndex(), addr };
    if (PORTS.has(model)) {
      c.chassis = c.index;
      c.port = model === 'pcie-root-port' ? addr.slot * 8 + addr.fn : addr.slot;
      if (this.rng.chance(0.25)) c.hotplugOff = true;
    }
    if (model === 'pci-bridge') c.chassisNr = c.index;
    if (EXPANDERS.has(model) && this.numaCells > 0 && this.rng.chance(0.7)) c.node = this.rng.int(0, this.numaCells - 1);
    this.ctrls.push(c);
    return c;
  }

  /** Next free function of an existing root-port group on bus 0. */
  private rootPortGroupSlot(): Address | undefined {
    const groups = this.ctrls.filter((c) => c.model === 'pcie-root-port' && c.addr.bus === 0 && c.addr.fn === 0);
    for (const lead of this.rng.shuffle(groups)) {
      const used = new Set(this.items().filter((it) => it.addr.bus === 0 && it.addr.slot === lead.addr.slot).map((it) => it.addr.fn));
      if (used.size >= 8) continue;
      // Only join groups made of root ports.
      const members = this.items().filter((it) => it.addr.bus === 0 && it.addr.slot === lead.addr.slot);
      if (!members.every((m) => m.kind === 'ctrl' && m.model === 'pcie-root-port')) continue;
      let fn = 0;
      while (used.has(fn)) fn++;
      lead.addr.multifunction = 'on';
      return { bus: 0, slot: lead.addr.slot, fn };
    }
    return undefined;
  }

  /** An empty PCIe port (root or downstream), adding a root port if needed. */
  ensureEmptyPort(): number | undefined {
    const empty = this.ctrls.filter((c) => PORTS.has(c.model) && this.freeSlots(c.index).length > 0);
    if (empty.length > 0) return this.rng.pick(empty).index;
    return this.addCtrl('pcie-root-port')?.index;
  }

  /** A conventional PCI bus with a free slot, adding bridges if needed. */
  ensurePciBus(): number | undefined {
    const existing = this.busesFor('pci-dev');
    if (existing.length > 0) return this.rng.pick(existing);
    if (!this.pcie) return this.addCtrl('pci-bridge')?.index;
    if (this.machine === 'q35' && this.rng.chance(0.3)) {
      const dmi = this.addCtrl('dmi-to-pci-bridge', 0);
      if (dmi) return dmi.index;
    }
    const port = this.ensureEmptyPort();
    if (port === undefined) return undefined;
    return this.addCtrl('pcie-to-pci-bridge', port)?.index;
  }

  /** A bus for plug with a free slot, growing the topology if needed. */
  ensureBusFor(plug: Plug): number | undefined {
    const buses = this.busesFor(plug);
    if (buses.length > 0) return this.rng.pick(buses);
    if (plug === 'pci-dev') return this.ensurePciBus();
    if (plug === 'pcie-dev') return this.ensureEmptyPort();
    return undefined;
  }

  addDev(type: DevType, addr: Address): Dev {
    const d: Dev = { kind: 'dev', type, addr };
    this.devs.push(d);
    return d;
  }

  /** Places one device of `type` on a free slot, growing buses if needed. */
  placeDev(type: DevType): Dev | undefined {
    if (type === 'iommu') {
      // Integrated: only bus 0 will do.
      const addr = this.freeAddressFor('pcie-dev', 0);
      return addr ? this.addDev(type, addr) : undefined;
    }
    const bus = this.ensureBusFor(this.plugOf(type));
    if (bus === undefined) return undefined;
    const slots = this.freeSlots(bus);
    if (slots.length === 0) return undefined;
    return this.addDev(type, { bus, slot: this.rng.pick(slots), fn: 0 });
  }

  /** Several devices on the functions of one slot, function 0 marked multifunction. */
  placeGroup(types: DevType[]): void {
    const plug = this.plugOf(types[0]!);
    const bus = this.ensureBusFor(plug);
    if (bus === undefined) return;
    const slots = this.freeSlots(bus);
    if (slots.length === 0) return;
    const slot = this.rng.pick(slots);
    // Functions need not be contiguous, but function 0 must be present.
    const fns = [0, ...this.rng.shuffle([1, 2, 3, 4, 5, 6, 7]).slice(0, types.length - 1)].sort((a, b) => a - b);
    types.forEach((t, k) => {
      const addr: Address = { bus, slot, fn: fns[k]! };
      if (k === 0) addr.multifunction = 'on';
      this.addDev(t, addr);
    });
  }

  deviceTypes(): DevType[] {
    const all: DevType[] = [
      'disk', 'disk', 'disk', 'net-virtio', 'net-e1000e', 'net-e1000', 'net-rtl8139', 'scsi', 'xhci', 'rng',
      'balloon', 'video-vga', 'video-virtio', 'video-bochs', 'sound-ich9', 'watchdog',
    ];
    // virtio-iommu needs ACPI, which libvirt only offers on x86 without UEFI.
    if (this.machine === 'q35') all.push('iommu');
    return all;
  }

  /** A random device type that may still be added (singletons once only). */
  pickType(pciOnlyOk = true): DevType | undefined {
    const present = new Set(this.devs.map((d) => d.type));
    const hasVideo = this.devs.some((d) => VIDEOS.has(d.type));
    const options = this.deviceTypes().filter(
      (t) => !(SINGLETONS.has(t) && present.has(t)) && !(VIDEOS.has(t) && hasVideo) && (pciOnlyOk || !PCI_ONLY.has(t)),
    );
    return options.length > 0 ? this.rng.pick(options) : undefined;
  }

  /** Types that can share a slot with each other: same plug, no singletons. */
  groupTypes(n: number): DevType[] {
    const lead = this.rng.pick(['disk', 'net-virtio', 'net-e1000', 'scsi', 'rng', 'net-rtl8139'] as DevType[]);
    const plug = this.plugOf(lead);
    const mates = this.deviceTypes().filter((t) => !SINGLETONS.has(t) && t !== 'iommu' && this.plugOf(t) === plug);
    return [lead, ...Array.from({ length: n - 1 }, () => this.rng.pick(mates))];
  }

  /** A random non-singleton device type with the given plug. */
  mateFor(plug: Plug): DevType {
    const options = this.deviceTypes().filter((t) => !SINGLETONS.has(t) && this.plugOf(t) === plug);
    return options.length > 0 ? this.rng.pick(options) : 'disk';
  }

  /** Controllers in a subtree (the expander itself excluded). */
  descendants(index: number): Ctrl[] {
    const kids = this.ctrls.filter((c) => c.addr.bus === index && c.index !== index);
    return kids.flatMap((k) => [k, ...this.descendants(k.index)]);
  }

  /**
   * Gives expanders busNr values from the top down: each expander's range
   * [busNr, next busNr) holds its own root bus, its bridges and a little
   * slack (pxb needs one extra for its internal bridge).
   */
  assignBusNrs(): void {
    let top = 256 - this.rng.int(0, 3);
    for (const e of this.ctrls.filter((c) => EXPANDERS.has(c.model)).sort((a, b) => a.index - b.index)) {
      const need = 2 + this.descendants(e.index).length;
      e.busNr = top - need - this.rng.int(0, 2);
      top = e.busNr;
    }
  }

  /** Guest bus numbers the root hierarchy needs: bus 0 and one per bridge outside expanders. */
  rootHierarchyBuses(): number {
    const underExpanders = new Set(
      this.ctrls.filter((c) => EXPANDERS.has(c.model)).flatMap((e) => [e.index, ...this.descendants(e.index).map((d) => d.index)]),
    );
    return 1 + this.ctrls.filter((c) => !underExpanders.has(c.index) && c.model !== 'pcie-expander-bus').length;
  }

  /** Swaps two controller indexes everywhere (controllers and addresses). */
  swapIndexes(i: number, j: number): void {
    const map = (n: number): number => (n === i ? j : n === j ? i : n);
    for (const c of this.ctrls) c.index = map(c.index);
    for (const it of this.items()) it.addr.bus = map(it.addr.bus);
  }
}

// ---------------------------------------------------------------------------
// Good layout

function buildGood(b: Builder): void {
  const { rng, machine } = b;
  const models: Array<[CtrlModel, number]> =
    machine === 'pc'
      ? [['pci-bridge', 3], ['pci-expander-bus', 1]]
      : [
          ['pcie-root-port', 5],
          ['pcie-switch-upstream-port', 1],
          ['pcie-to-pci-bridge', 1],
          ['pci-bridge', 1],
          ['pcie-expander-bus', 1],
          ...(machine === 'q35' ? ([['dmi-to-pci-bridge', 1]] as Array<[CtrlModel, number]>) : []),
        ];
  const weighted = models.flatMap(([m, w]) => Array<CtrlModel>(w).fill(m));
  const nCtrls = rng.int(0, 5);
  for (let k = 0; k < nCtrls; k++) {
    const model = rng.pick(weighted);
    if (EXPANDERS.has(model) && b.ctrls.filter((c) => EXPANDERS.has(c.model)).length >= 2) continue;
    if (model === 'pcie-switch-upstream-port') {
      const port = b.ensureEmptyPort();
      const up = port === undefined ? undefined : b.addCtrl(model, port);
      if (up) for (let d = rng.int(1, 3); d > 0; d--) b.addCtrl('pcie-switch-downstream-port', up.index);
    } else if (model === 'pcie-expander-bus') {
      // An expander is useless without something below it.
      const e = b.addCtrl(model, 0);
      if (e) b.addCtrl('pcie-root-port', e.index);
    } else if (model === 'pcie-to-pci-bridge') {
      const port = b.ensureEmptyPort();
      if (port !== undefined) b.addCtrl(model, port);
    } else if (model === 'pci-bridge' && b.pcie && b.busesFor('pci-bridge').length === 0) {
      const parent = b.ensurePciBus();
      if (parent !== undefined) b.addCtrl(model, parent);
    } else {
      b.addCtrl(model);
    }
  }
  const nDevs = rng.int(1, 6);
  for (let k = 0; k < nDevs; k++) {
    if (rng.chance(0.15)) {
      b.placeGroup(b.groupTypes(rng.int(2, 4)));
    } else {
      const t = b.pickType();
      if (t) b.placeDev(t);
    }
  }
  b.assignBusNrs();
}

// ---------------------------------------------------------------------------
// Faults: each returns false when it cannot apply to this layout.

type FaultFn = (b: Builder) => boolean;

/** A device that is alone in its slot (not part of a multifunction group). */
function loneDevices(b: Builder, filter: (d: Dev) => boolean = () => true): Dev[] {
  return b.devs.filter(
    (d) => filter(d) && d.type !== 'iommu' && b.items().filter((it) => it.addr.bus === d.addr.bus && it.addr.slot === d.addr.slot).length === 1,
  );
}

/** A lone device, adding one if the layout has none. */
function someLoneDevice(b: Builder, filter: (d: Dev) => boolean = () => true, type?: DevType): Dev | undefined {
  const lone = loneDevices(b, filter);
  if (lone.length > 0) return b.rng.pick(lone);
  const t = type ?? b.pickType();
  return t ? b.placeDev(t) : undefined;
}

function onPort(b: Builder, d: Item): boolean {
  const c = b.ctrlAt(d.addr.bus);
  return c !== undefined && PORTS.has(c.model);
}

function ensureExpanders(b: Builder, n: number): Ctrl[] {
  const model: CtrlModel = b.pcie ? 'pcie-expander-bus' : 'pci-expander-bus';
  while (b.ctrls.filter((c) => EXPANDERS.has(c.model)).length < n) {
    const e = b.addCtrl(model, 0);
    if (!e) break;
    if (b.pcie) b.addCtrl('pcie-root-port', e.index);
  }
  b.assignBusNrs();
  return b.ctrls.filter((c) => EXPANDERS.has(c.model));
}

/** A conventional PCI bridge (pci-bridge or pcie-to-pci-bridge) with a free slot. */
function ensurePciBridge(b: Builder): number | undefined {
  const bridges = b.ctrls.filter((c) => (c.model === 'pci-bridge' || c.model === 'pcie-to-pci-bridge') && b.freeSlots(c.index).length > 0);
  if (bridges.length > 0) return b.rng.pick(bridges).index;
  if (!b.pcie) return b.addCtrl('pci-bridge', 0)?.index;
  const port = b.ensureEmptyPort();
  return port === undefined ? undefined : b.addCtrl('pcie-to-pci-bridge', port)?.index;
}

const faultFns: Record<FaultName, FaultFn> = {
  'duplicate-address': (b) => {
    const d = someLoneDevice(b);
    if (!d) return false;
    // Copy the address of something on a bus that would accept d, so that the
    // duplicate is the only problem.
    const plug = b.plugOf(d.type);
    const targets = b.items().filter((it) => it !== d && b.spec(it.addr.bus)?.accepts.has(plug));
    if (targets.length === 0) {
      const other = b.placeDev(b.mateFor(plug));
      if (!other) return false;
      targets.push(other);
    }
    const t = b.rng.pick(targets);
    d.addr = { bus: t.addr.bus, slot: t.addr.slot, fn: t.addr.fn };
    return true;
  },
  'function-without-zero': (b) => {
    const d = someLoneDevice(b);
    if (!d) return false;
    d.addr = { bus: d.addr.bus, slot: d.addr.slot, fn: b.rng.int(1, 7) };
    return true;
  },
  'multifunction-off-with-functions': (b) => {
    const d = someLoneDevice(b, (x) => !SINGLETONS.has(x.type));
    if (!d) return false;
    b.addDev(b.mateFor(b.plugOf(d.type)), { bus: d.addr.bus, slot: d.addr.slot, fn: b.rng.int(1, 7) });
    d.addr.multifunction = 'off';
    return true;
  },
  'slot-nonzero-on-root-port': (b) => {
    if (!b.pcie) return false;
    let d = loneDevices(b, (x) => onPort(b, x))[0];
    if (!d) {
      const port = b.ensureEmptyPort();
      if (port === undefined) return false;
      d = b.addDev('disk', { bus: port, slot: 0, fn: 0 });
    }
    d.addr.slot = b.rng.int(1, 31);
    return true;
  },
  'pci-endpoint-on-pcie-bus': (b) => {
    if (!b.pcie) return false;
    const type = b.rng.pick(['net-e1000', 'net-rtl8139'] as DevType[]);
    const addr = b.rng.chance(0.5) ? b.freeAddressFor('pcie-dev', 0) : undefined;
    if (addr) {
      b.addDev(type, addr);
      return true;
    }
    const port = b.ensureEmptyPort();
    if (port === undefined) return false;
    b.addDev(type, { bus: port, slot: 0, fn: 0 });
    return true;
  },
  'pcie-endpoint-on-pci-bridge': (b) => {
    if (!b.pcie) return false;
    const bridge = ensurePciBridge(b);
    if (bridge === undefined) return false;
    const addr = b.freeAddressFor('pci-dev', bridge);
    if (!addr) return false;
    b.addDev(b.rng.pick(['disk', 'net-virtio', 'net-e1000e', 'xhci'] as DevType[]), addr);
    return true;
  },
  'root-port-on-pci-bridge': (b) => {
    if (!b.pcie) return false;
    const bridge = ensurePciBridge(b);
    if (bridge === undefined) return false;
    const addr = b.freeAddressFor('pci-dev', bridge);
    if (!addr) return false;
    b.placeCtrl('pcie-root-port', addr);
    return true;
  },
  'reserved-slot': (b) => {
    const slot = reservedRootSlot(b.machine);
    if (slot === undefined) return false;
    // Any lone device that may sit on bus 0, moved into the chipset's slot.
    const d = someLoneDevice(b, (x) => b.plugOf(x.type) === (b.pcie ? 'pcie-dev' : 'pci-dev'), 'disk');
    if (!d) return false;
    d.addr = { bus: 0, slot, fn: b.rng.int(0, 7) };
    return true;
  },
  'missing-bus': (b) => {
    const d = someLoneDevice(b);
    if (!d) return false;
    d.addr = { bus: b.nextIndex() + b.rng.int(0, 2), slot: b.pcie ? 0 : b.rng.int(1, 31), fn: 0 };
    return true;
  },
  'bridge-index-not-above-bus': (b) => {
    // A pci-bridge whose parent is a controller; swapping their indexes puts
    // the bridge's index below its bus's index.
    const find = (): Ctrl | undefined =>
      b.ctrls
        .filter((c) => c.model === 'pci-bridge' && c.addr.bus > 0)
        .sort((x, y) => x.index - y.index)
        .find((c) => c.addr.bus < c.index);
    let br = find();
    if (!br) {
      const parent = b.pcie ? ensurePciBridge(b) : (b.ctrls.find((c) => c.model === 'pci-bridge')?.index ?? b.addCtrl('pci-bridge', 0)?.index);
      if (parent === undefined) return false;
      br = b.addCtrl('pci-bridge', parent);
      if (!br) return false;
    }
    b.swapIndexes(br.index, br.addr.bus);
    // Keep chassisNr = index, as a libvirt-written domain would have it.
    for (const c of b.ctrls) if (c.model === 'pci-bridge') c.chassisNr = c.index;
    return true;
  },
  'duplicate-chassis-port': (b) => {
    if (!b.pcie) return false;
    while (b.ctrls.filter((c) => PORTS.has(c.model)).length < 2) if (!b.addCtrl('pcie-root-port')) return false;
    const [p, q] = b.rng.shuffle(b.ctrls.filter((c) => PORTS.has(c.model)));
    q!.chassis = p!.chassis;
    q!.port = p!.port;
    return true;
  },
  'duplicate-controller-index': (b) => {
    // A new, empty controller re-uses an existing index, so that no device is
    // left on a bus that vanished.
    if (b.ctrls.length === 0 && !b.addCtrl(b.pcie ? 'pcie-root-port' : 'pci-bridge')) return false;
    const taken = b.rng.pick(b.ctrls).index;
    const extra = b.addCtrl(b.pcie ? 'pcie-root-port' : 'pci-bridge');
    if (!extra) return false;
    extra.index = taken;
    if (extra.chassis !== undefined) extra.chassis = 100 + taken;
    if (extra.chassisNr !== undefined) extra.chassisNr = 100 + taken;
    return true;
  },
  'expander-busnr-out-of-range': (b) => {
    const [e] = ensureExpanders(b, 1);
    if (!e) return false;
    e.busNr = b.rng.pick([0, 255, 256, 300]);
    return true;
  },
  'expander-busnr-duplicate': (b) => {
    const es = ensureExpanders(b, 2);
    if (es.length < 2) return false;
    es[1]!.busNr = es[0]!.busNr;
    return true;
  },
  'expander-busnr-too-low': (b) => {
    const es = ensureExpanders(b, 1);
    if (es.length < 1) return false;
    // Make the root hierarchy need more than bus 0, then squeeze an expander below it.
    if (b.rootHierarchyBuses() < 2 && !b.addCtrl(b.pcie ? 'pcie-root-port' : 'pci-bridge', 0)) return false;
    b.rng.pick(es).busNr = b.rng.int(1, b.rootHierarchyBuses() - 1);
    return true;
  },
  'expander-numa-node-missing': (b) => {
    const [e] = ensureExpanders(b, 1);
    if (!e) return false;
    e.node = b.numaCells + b.rng.int(0, 1);
    return true;
  },
  'slot-zero-on-pci-bridge': (b) => {
    const bridge = ensurePciBridge(b);
    if (bridge === undefined || b.slotUsed(bridge, 0)) return false;
    b.addDev(b.rng.pick(['net-e1000', 'net-rtl8139'] as DevType[]), { bus: bridge, slot: 0, fn: 0 });
    return true;
  },
  'integrated-off-bus-zero': (b) => {
    if (b.machine !== 'q35') return false;
    b.devs.splice(0, b.devs.length, ...b.devs.filter((d) => d.type !== 'iommu'));
    const port = b.ensureEmptyPort();
    if (port === undefined) return false;
    b.addDev('iommu', { bus: port, slot: 0, fn: 0 });
    return true;
  },
  'pcie-port-on-pci-machine': (b) => {
    if (b.pcie) return false;
    const addr = b.freeAddressFor('pci-dev', 0);
    if (!addr) return false;
    b.placeCtrl('pcie-root-port', addr);
    return true;
  },
  'upstream-port-on-root-bus': (b) => {
    if (!b.pcie) return false;
    const addr = b.freeAddressFor('pcie-dev', 0);
    if (!addr) return false;
    const up = b.placeCtrl('pcie-switch-upstream-port', addr);
    b.addCtrl('pcie-switch-downstream-port', up.index);
    return true;
  },
  'endpoint-on-upstream-port': (b) => {
    if (!b.pcie) return false;
    let up = b.ctrls.find((c) => c.model === 'pcie-switch-upstream-port' && b.freeSlots(c.index).length > 0);
    if (!up) {
      const port = b.ensureEmptyPort();
      up = port === undefined ? undefined : b.addCtrl('pcie-switch-upstream-port', port);
      if (!up) return false;
    }
    const slots = b.freeSlots(up.index);
    if (slots.length === 0) return false;
    b.addDev('disk', { bus: up.index, slot: b.rng.pick(slots), fn: 0 });
    return true;
  },
};

const BUSNR_FAULTS: ReadonlySet<FaultName> = new Set(['expander-busnr-out-of-range', 'expander-busnr-duplicate', 'expander-busnr-too-low']);

// ---------------------------------------------------------------------------
// Rendering (libvirt style: 2-space indent, single-quoted attributes)

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');

function addressXml(a: Address): string {
  const mf = a.multifunction ? ` multifunction='${a.multifunction}'` : '';
  return `<address type='pci' domain='0x0000' bus='${hex(a.bus, 2)}' slot='${hex(a.slot, 2)}' function='${hex(a.fn, 1)}'${mf}/>`;
}

/** Renders an element whose children are already-indented lines. */
function element(open: string, children: string[], close: string): string[] {
  return [open, ...children.map((c) => `  ${c}`), close];
}

function ctrlXml(c: Ctrl): string[] {
  const body: string[] = [];
  if (PORTS.has(c.model)) {
    const hp = c.hotplugOff ? ` hotplug='off'` : '';
    body.push(`<target chassis='${c.chassis}' port='${hex(c.port ?? 0, 1)}'${hp}/>`);
  } else if (c.model === 'pci-bridge') {
    body.push(`<target chassisNr='${c.chassisNr}'/>`);
  } else if (EXPANDERS.has(c.model)) {
    if (c.node === undefined) body.push(`<target busNr='${c.busNr}'/>`);
    else body.push(...element(`<target busNr='${c.busNr}'>`, [`<node>${c.node}</node>`], '</target>'));
  }
  body.push(addressXml(c.addr));
  return element(`<controller type='pci' index='${c.index}' model='${c.model}'>`, body, '</controller>');
}

interface Counters {
  disk: number;
  mac: number;
  scsi: number;
  usb: number;
}

function devXml(d: Dev, n: Counters): string[] {
  const addr = addressXml(d.addr);
  const net = (model: string): string[] => {
    const mac = `52:54:00:00:${hex(n.mac >> 8, 2).slice(2)}:${hex(n.mac & 0xff, 2).slice(2)}`;
    n.mac++;
    return element(`<interface type='user'>`, [`<mac address='${mac}'/>`, `<model type='${model}'/>`, addr], '</interface>');
  };
  switch (d.type) {
    case 'disk': {
      const dev = `vd${String.fromCharCode(97 + (n.disk % 26))}${n.disk >= 26 ? Math.floor(n.disk / 26) : ''}`;
      n.disk++;
      return element(
        `<disk type='file' device='disk'>`,
        [`<driver name='qemu' type='raw'/>`, `<source file='/var/lib/libvirt/images/pciplan-${dev}.img'/>`, `<target dev='${dev}' bus='virtio'/>`, addr],
        '</disk>',
      );
    }
    case 'net-virtio':
      return net('virtio');
    case 'net-e1000e':
      return net('e1000e');
    case 'net-e1000':
      return net('e1000');
    case 'net-rtl8139':
      return net('rtl8139');
    case 'scsi':
      return element(`<controller type='scsi' index='${n.scsi++}' model='virtio-scsi'>`, [addr], '</controller>');
    case 'xhci':
      return element(`<controller type='usb' index='${n.usb++}' model='qemu-xhci'>`, [addr], '</controller>');
    case 'rng':
      return element(`<rng model='virtio'>`, [`<backend model='random'>/dev/urandom</backend>`, addr], '</rng>');
    case 'balloon':
      return element(`<memballoon model='virtio'>`, [addr], '</memballoon>');
    case 'video-vga':
      return element('<video>', [`<model type='vga' vram='16384' heads='1' primary='yes'/>`, addr], '</video>');
    case 'video-virtio':
      return element('<video>', [`<model type='virtio' heads='1' primary='yes'/>`, addr], '</video>');
    case 'video-bochs':
      return element('<video>', [`<model type='bochs' vram='16384' heads='1' primary='yes'/>`, addr], '</video>');
    case 'sound-ich9':
      return element(`<sound model='ich9'>`, [addr], '</sound>');
    case 'watchdog':
      return element(`<watchdog model='i6300esb' action='reset'>`, [addr], '</watchdog>');
    case 'iommu':
      return element(`<iommu model='virtio'>`, [addr], '</iommu>');
  }
}

/** libvirt's device order, so the XML reads like a dumpxml. */
const DEV_ORDER: DevType[] = [
  'disk', 'scsi', 'xhci', 'net-virtio', 'net-e1000e', 'net-e1000', 'net-rtl8139', 'sound-ich9', 'video-vga', 'video-virtio',
  'video-bochs', 'watchdog', 'balloon', 'rng', 'iommu',
];

function render(b: Builder, name: string): string {
  const arch = b.machine === 'virt' ? 'aarch64' : 'x86_64';
  const memKiB = 262144;
  const lines: string[] = [];
  lines.push(`<name>${esc(name)}</name>`);
  lines.push(`<memory unit='KiB'>${memKiB}</memory>`);
  lines.push(`<vcpu placement='static'>${b.vcpus}</vcpu>`);
  lines.push(...element('<os>', [`<type arch='${arch}' machine='${b.machine}'>hvm</type>`], '</os>'));
  // ACPI is what virtio-iommu needs; aarch64 would only get it with UEFI.
  if (arch === 'x86_64') lines.push(...element('<features>', ['<acpi/>', '<apic/>'], '</features>'));
  const cells: string[] = [];
  for (let c = 0; c < b.numaCells; c++) {
    // Spread the vCPUs over the cells; every cell gets at least one.
    const per = Math.floor(b.vcpus / b.numaCells);
    const first = c * per;
    const last = c === b.numaCells - 1 ? b.vcpus - 1 : first + per - 1;
    const cpus = first === last ? `${first}` : `${first}-${last}`;
    cells.push(`<cell id='${c}' cpus='${cpus}' memory='${memKiB / b.numaCells}' unit='KiB'/>`);
  }
  const numa = cells.length > 0 ? element('<numa>', cells, '</numa>') : [];
  if (arch === 'aarch64') {
    lines.push(...element(`<cpu mode='custom' match='exact' check='none'>`, [`<model fallback='forbid'>cortex-a57</model>`, ...numa], '</cpu>'));
  } else if (numa.length > 0) {
    lines.push(...element('<cpu>', numa, '</cpu>'));
  }
  const devices: string[] = [`<emulator>/usr/bin/qemu-system-${arch}</emulator>`];
  const counters: Counters = { disk: 0, mac: 0, scsi: 0, usb: 0 };
  const devs = [...b.devs].sort((x, y) => DEV_ORDER.indexOf(x.type) - DEV_ORDER.indexOf(y.type));
  for (const d of devs) devices.push(...devXml(d, counters));
  // Nothing may be left for libvirt to place: no implicit USB controller or balloon.
  if (counters.usb === 0) devices.push(`<controller type='usb' index='0' model='none'/>`);
  devices.push(`<controller type='pci' index='0' model='${b.pcie ? 'pcie-root' : 'pci-root'}'/>`);
  for (const c of [...b.ctrls].sort((x, y) => x.index - y.index)) devices.push(...ctrlXml(c));
  if (!b.devs.some((d) => d.type === 'balloon')) devices.push(`<memballoon model='none'/>`);
  lines.push(...element('<devices>', devices, '</devices>'));
  return [`<domain type='qemu'>`, ...lines.map((l) => `  ${l}`), '</domain>', ''].join('\n');
}

// ---------------------------------------------------------------------------

function generateOne(seed: number, i: number): GeneratedLayout {
  const rng = new Rng(mix(seed, i));
  const machine = rng.pick<Machine>(['q35', 'q35', 'pc', 'virt']);
  const b = new Builder(rng, machine);
  buildGood(b);
  let fault: FaultName | undefined;
  if (rng.chance(0.5)) {
    for (const f of rng.shuffle(FAULTS)) {
      if (faultFns[f](b)) {
        fault = f;
        break;
      }
    }
    // Structure added for the fault may have grown an expander's subtree.
    if (fault && !BUSNR_FAULTS.has(fault)) b.assignBusNrs();
  }
  const name = `pciplan-gen-${seed}-${i}`;
  return { name, xml: render(b, name), machine, ...(fault ? { fault } : {}) };
}

/** `count` layouts for `seed`; the same arguments always give the same layouts. */
export function generateLayouts(seed: number, count: number): GeneratedLayout[] {
  return Array.from({ length: count }, (_, i) => generateOne(seed, i));
}
