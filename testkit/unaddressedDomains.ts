/**
 * Seeded generator of libvirt domain XML with UNADDRESSED devices, for differential tests of the
 * greedy allocator against real libvirt (test/oracle/greedy.test.ts) and for benchmarks (bench/).
 *
 * Each domain is what a person or a management tool writes before libvirt has seen it: devices
 * of mixed kinds without <address>, a few controllers, sometimes a handful of devices pinned to
 * a PCI address that libvirt accepts. Machines: q35 and pc (x86_64) and virt (aarch64).
 *
 * Most domains are good (libvirt defines them). A few (`failRate`, 5% by default) are built so
 * that libvirt must refuse them; `expectFailure` says why:
 *   - too-many-pcie-devices: more PCI Express endpoints than pcie-root has root-port functions
 *     (libvirt's greedy pass never adds switches);
 *   - reserved-slot: a device pinned to a chipset function (q35 00:1f.0/.3, pc 00:01.0/.3);
 *   - duplicate-address: two devices pinned to one PCI address;
 *   - pci-bridge-without-slot: a pci-bridge written without an address on a PCIe machine, where
 *     no bus accepts it (libvirt ends up plugging it into itself).
 *
 * Determinism: domain i of seed s depends only on (s, i), so generateDomains(s, n) is a prefix of
 * generateDomains(s, n + k).
 */
import { mix, Rng } from '../src/generate/prng.js';

export type Machine = 'q35' | 'pc' | 'virt';

export const FAILURES = ['too-many-pcie-devices', 'reserved-slot', 'duplicate-address', 'pci-bridge-without-slot'] as const;
export type FailureKind = (typeof FAILURES)[number];

export interface GeneratedDomain {
  name: string;
  xml: string;
  machine: Machine;
  /** Device elements written in <devices> (the emulator not counted). */
  devices: number;
  /** Set when libvirt must refuse the domain: what is wrong with it. */
  expectFailure?: FailureKind;
}

export interface GenerateOptions {
  /** Machines to draw from (default all three). */
  machines?: readonly Machine[];
  /** Share of domains libvirt must refuse (default 0.05; 0 for none). */
  failRate?: number;
  /** Exact number of device elements of every good domain (default: drawn from 1..230). */
  devices?: number;
  /**
   * 'mixed' (default): every kind. 'legacy': conventional PCI endpoints only (e1000, rtl8139,
   * virtio-transitional disks and NICs), which libvirt stacks behind pci-bridges; sizes beyond a
   * PCIe machine's root ports are fine then. Large legacy pc domains (over 200 devices) write
   * their pci-bridges, one per 30 devices (counted in the size), without addresses. On q35, keep
   * legacy domains under about 600 devices.
   */
  profile?: 'mixed' | 'legacy';
}

// ---------------------------------------------------------------------------
// Devices

/** Element kinds in libvirt's <devices> order (the order dumpxml writes them in). */
const KIND_ORDER = [
  'disk', 'controller', 'interface', 'channel', 'input', 'graphics', 'sound', 'video', 'hostdev',
  'watchdog', 'memballoon', 'rng', 'shmem',
] as const;
type ElementKind = (typeof KIND_ORDER)[number];

/** What a device costs on a PCIe machine: a root port, a conventional slot, or nothing. */
type Cost = 'pcie' | 'pci' | 'none';

interface Dev {
  kind: ElementKind;
  /** Opening tag without '<' and '>' (name and attributes). */
  open: string;
  children: string[];
  cost: Cost;
  /** A fixed PCI address (bus, slot); function 0. */
  at?: { bus: number; slot: number };
  /** Devices that may be pinned (endpoints written by the user). */
  pinnable?: boolean;
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/** libvirt's disk naming: 0 -> a, 25 -> z, 26 -> aa (virIndexToDiskName). */
function diskName(prefix: string, i: number): string {
  let s = '';
  for (let n = i; n >= 0; n = Math.floor(n / 26) - 1) s = String.fromCharCode(97 + (n % 26)) + s;
  return prefix + s;
}

function render(d: Dev): string[] {
  const tag = d.open.split(' ')[0]!;
  const children = [...d.children];
  if (d.at) children.push(`<address type='pci' domain='0x0000' bus='${hex(d.at.bus, 2)}' slot='${hex(d.at.slot, 2)}' function='0x0'/>`);
  if (children.length === 0) return [`<${d.open}/>`];
  return [`<${d.open}>`, ...children.map((c) => `  ${c}`), `</${tag}>`];
}

type NicModel = 'virtio' | 'e1000' | 'e1000e' | 'rtl8139' | 'virtio-transitional' | 'default';

/** Builds the devices of one domain; counters keep names, MACs and indexes unique. */
class Builder {
  readonly devs: Dev[] = [];
  private vd = 0;
  private sd = 0;
  private hd = 0;
  private mac = 0;
  private nChannels = 0;
  private nShmem = 0;
  private hostBus = 0x41;
  private scsiIndex = 0;
  private pciIndex = 1;
  /** virtio-scsi controllers written, with the units their disks use. */
  readonly scsiUnits = new Map<number, number>();

  constructor(
    readonly rng: Rng,
    readonly machine: Machine,
    readonly domainNo: number,
  ) {}

  get pcieMachine(): boolean {
    return this.machine !== 'pc';
  }

  add(d: Dev): Dev {
    this.devs.push(d);
    return d;
  }

  disk(transitional = false): Dev {
    const dev = diskName('vd', this.vd++);
    return this.add({
      kind: 'disk',
      open: `disk type='file' device='disk'${transitional ? " model='virtio-transitional'" : ''}`,
      children: [`<driver name='qemu' type='qcow2'/>`, `<source file='/var/lib/libvirt/images/gen${this.domainNo}-${dev}.qcow2'/>`, `<target dev='${dev}' bus='virtio'/>`],
      cost: transitional ? 'pci' : 'pcie',
      pinnable: true,
    });
  }

  /** A SCSI disk: on a written virtio-scsi controller (drive address given) or left to libvirt. */
  scsiDisk(controller?: number): Dev {
    const dev = diskName('sd', this.sd++);
    const children = [`<driver name='qemu' type='raw'/>`, `<source file='/var/lib/libvirt/images/gen${this.domainNo}-${dev}.img'/>`, `<target dev='${dev}' bus='scsi'/>`];
    if (controller !== undefined) {
      const unit = this.scsiUnits.get(controller) ?? 0;
      this.scsiUnits.set(controller, unit + 1);
      children.push(`<address type='drive' controller='${controller}' bus='0' target='0' unit='${unit}'/>`);
    }
    return this.add({ kind: 'disk', open: `disk type='file' device='disk'`, children, cost: 'none' });
  }

  /** A user-mode NIC; model 'default' writes no <model> (libvirt: rtl8139 on x86, virtio on virt). */
  /** A CD-ROM drive left to libvirt's drive addressing: IDE (hdc, hdd), SATA or SCSI (sdN). */
  cdrom(bus: 'ide' | 'sata' | 'scsi'): Dev {
    const dev = bus === 'ide' ? diskName('hd', 2 + this.hd++) : diskName('sd', this.sd++);
    return this.add({
      kind: 'disk',
      open: `disk type='file' device='cdrom'`,
      children: [`<driver name='qemu' type='raw'/>`, `<source file='/var/lib/libvirt/images/gen${this.domainNo}-${dev}.iso'/>`, `<target dev='${dev}' bus='${bus}'/>`, `<readonly/>`],
      cost: 'none',
    });
  }

  nic(model: NicModel): Dev {
    const m = this.mac++;
    const mac = `52:54:00:${hex(this.domainNo & 0xff, 2).slice(2)}:${hex((m >> 8) & 0xff, 2).slice(2)}:${hex(m & 0xff, 2).slice(2)}`;
    const effective = model === 'default' ? (this.machine === 'virt' ? 'virtio' : 'rtl8139') : model;
    const pcie = this.pcieMachine && (effective === 'virtio' || effective === 'e1000e');
    return this.add({
      kind: 'interface',
      open: `interface type='user'`,
      children: [`<mac address='${mac}'/>`, ...(model === 'default' ? [] : [`<model type='${model}'/>`])],
      cost: pcie ? 'pcie' : 'pci',
      pinnable: true,
    });
  }

  get scsiIndexNext(): number {
    return this.scsiIndex;
  }

  scsiController(model: 'virtio-scsi' | 'lsilogic'): Dev {
    const index = this.scsiIndex++;
    if (model === 'virtio-scsi') this.scsiUnits.set(index, 0);
    return this.add({ kind: 'controller', open: `controller type='scsi' index='${index}' model='${model}'`, children: [], cost: model === 'virtio-scsi' ? 'pcie' : 'pci' });
  }

  get channels(): number {
    return this.nChannels;
  }

  virtioSerial(): Dev {
    return this.add({ kind: 'controller', open: `controller type='virtio-serial' index='0'`, children: [], cost: 'pcie' });
  }

  channel(): Dev {
    const n = this.nChannels++;
    return this.add({ kind: 'channel', open: `channel type='pty'`, children: [`<target type='virtio' name='org.pciplan.gen.${n}'/>`], cost: 'none' });
  }

  rngDevice(): Dev {
    return this.add({ kind: 'rng', open: `rng model='virtio'`, children: [`<backend model='random'>/dev/urandom</backend>`], cost: 'pcie' });
  }

  input(): Dev {
    const type = this.rng.pick(['tablet', 'keyboard', 'mouse']);
    return this.add({ kind: 'input', open: `input type='${type}' bus='virtio'`, children: [], cost: 'pcie' });
  }

  shmem(): Dev {
    const n = this.nShmem++;
    return this.add({ kind: 'shmem', open: `shmem name='gen${this.domainNo}-shm${n}'`, children: [`<model type='ivshmem-plain'/>`, `<size unit='M'>4</size>`], cost: 'pci' });
  }

  sound(): Dev {
    return this.add({ kind: 'sound', open: `sound model='ich9'`, children: [], cost: 'pci' });
  }

  watchdog(): Dev {
    return this.add({ kind: 'watchdog', open: `watchdog model='i6300esb' action='reset'`, children: [], cost: 'pci' });
  }

  hostdev(): Dev {
    // Host addresses this machine does not have: libvirt then assumes a PCI Express device.
    const bus = this.hostBus++;
    return this.add({
      kind: 'hostdev',
      open: `hostdev mode='subsystem' type='pci' managed='yes'`,
      // The driver named: libvirt cannot pick a default backend on a host without VFIO.
      children: [`<driver name='vfio'/>`, `<source>`, `  <address domain='0x0000' bus='${hex(bus, 2)}' slot='0x00' function='0x0'/>`, `</source>`],
      cost: this.pcieMachine ? 'pcie' : 'pci',
      pinnable: true,
    });
  }

  /**
   * An explicit PCI controller without an address: a root port (PCIe machines) or a pci-bridge.
   * `skip` leaves that many indexes unused before it.
   */
  pciController(model: 'pcie-root-port' | 'pci-bridge', skip = 0): { dev: Dev; index: number } {
    this.pciIndex += skip;
    const index = this.pciIndex++;
    const dev = this.add({ kind: 'controller', open: `controller type='pci' index='${index}' model='${model}'`, children: [], cost: model === 'pcie-root-port' ? 'none' : 'pci' });
    return { dev, index };
  }
}

// ---------------------------------------------------------------------------
// Domains

const EMULATOR: Record<Machine, string> = { q35: '/usr/bin/qemu-system-x86_64', pc: '/usr/bin/qemu-system-x86_64', virt: '/usr/bin/qemu-system-aarch64' };
const ARCH: Record<Machine, string> = { q35: 'x86_64', pc: 'x86_64', virt: 'aarch64' };

/** Root-port functions of pcie-root: 30 free slots on q35 (0x1f is the chipset's), 31 on virt. */
const ROOT_SLOTS: Record<Machine, number> = { q35: 30, pc: 31, virt: 31 };

function drawSize(rng: Rng): number {
  const band = rng.weighted({ small: 50, medium: 30, large: 20 });
  return band === 'small' ? rng.int(1, 16) : band === 'medium' ? rng.int(17, 64) : rng.int(65, 230);
}

interface Frame {
  usb: 'implicit' | 'qemu-xhci' | 'none' | 'no-model';
  balloon: 'implicit' | 'virtio' | 'none';
  video: 'absent' | 'qxl' | 'virtio' | 'vga' | 'none' | 'graphics-only';
}

function drawFrame(rng: Rng, machine: Machine): Frame {
  const usb = rng.weighted({ implicit: 35, 'qemu-xhci': 35, none: 20, 'no-model': 10 });
  const balloon = rng.weighted({ virtio: 55, implicit: 30, none: 15 });
  const video =
    machine === 'virt'
      ? rng.weighted({ absent: 50, virtio: 30, none: 10, 'graphics-only': 10 })
      : rng.weighted({ absent: 30, qxl: 20, virtio: 20, vga: 15, none: 5, 'graphics-only': 10 });
  return { usb, balloon, video };
}

/** usb, balloon and video elements; returns how many root ports they cost and whether video takes 00:01. */
function addFrame(b: Builder, f: Frame): { pcie: number; bus0Slots: number } {
  let pcie = 0;
  let bus0Slots = 0;
  if (f.usb === 'qemu-xhci') b.add({ kind: 'controller', open: `controller type='usb' index='0' model='qemu-xhci'`, children: [], cost: 'pcie' });
  if (f.usb === 'none') b.add({ kind: 'controller', open: `controller type='usb' index='0' model='none'`, children: [], cost: 'none' });
  if (f.usb === 'no-model') b.add({ kind: 'controller', open: `controller type='usb' index='0'`, children: [], cost: 'pcie' });
  // On q35 libvirt's implicit USB controller is a qemu-xhci; virt adds none; pc's sits at 00:01.2.
  if (f.usb === 'qemu-xhci' || f.usb === 'no-model' || (f.usb === 'implicit' && b.machine === 'q35')) pcie++;
  if (f.balloon === 'virtio') b.add({ kind: 'memballoon', open: `memballoon model='virtio'`, children: [], cost: 'pcie' });
  if (f.balloon === 'none') b.add({ kind: 'memballoon', open: `memballoon model='none'`, children: [], cost: 'none' });
  if (f.balloon === 'virtio' || (f.balloon === 'implicit' && b.machine !== 'virt')) pcie++;
  if (f.video === 'graphics-only') b.add({ kind: 'graphics', open: `graphics type='vnc' port='-1' autoport='yes'`, children: [], cost: 'none' });
  else if (f.video !== 'absent') b.add({ kind: 'video', open: 'video', children: [`<model type='${f.video}'/>`], cost: f.video === 'none' ? 'none' : f.video === 'virtio' ? 'pcie' : 'pci' });
  // q35 puts the primary video at 00:01.0 whatever its model; virt has no such preference.
  if (b.machine === 'q35' && f.video !== 'absent' && f.video !== 'none') bus0Slots++;
  else if (b.machine === 'virt' && f.video === 'virtio') pcie++;
  else if (b.machine === 'virt' && f.video === 'graphics-only') pcie++; // default video on aarch64: virtio
  return { pcie, bus0Slots };
}

/** Slots of bus 0 a device may be pinned to (chipset and preferred slots avoided). */
function pinSlots(machine: Machine): number[] {
  const all = Array.from({ length: 31 }, (_, i) => i + 1);
  if (machine === 'pc') return all.filter((s) => s >= 3);
  if (machine === 'q35') return all.filter((s) => s >= 2 && s <= 0x1e && s !== 0x1b && s !== 0x1d && s !== 0x1a);
  return all;
}

type Kind = 'disk' | 'disk-transitional' | 'scsi-disk' | 'cdrom' | 'nic' | 'scsi-controller' | 'channel' | 'rng' | 'input' | 'shmem' | 'sound' | 'watchdog' | 'hostdev' | 'pci-controller';

const MIXED_WEIGHTS: Record<Kind, number> = {
  disk: 30,
  'disk-transitional': 2,
  'scsi-disk': 8,
  cdrom: 3,
  nic: 20,
  'scsi-controller': 4,
  channel: 7,
  rng: 4,
  input: 5,
  shmem: 2,
  sound: 2,
  watchdog: 2,
  hostdev: 4,
  'pci-controller': 3,
};

function buildGood(b: Builder, size: number, profile: 'mixed' | 'legacy'): void {
  const { rng, machine } = b;
  if (profile === 'legacy') {
    if (rng.chance(0.5)) b.add({ kind: 'controller', open: `controller type='usb' index='0' model='none'`, children: [], cost: 'none' });
    // libvirt adds the pci-bridges a pc domain needs in one pass only while the last bridge has a
    // free slot for each new one: beyond about 650 conventional devices define fails ("a PCI slot
    // is needed to connect a PCI controller model='pci-bridge'"). Large pc domains therefore
    // write their bridges (without addresses: libvirt still places them), one per 30 devices.
    if (machine === 'pc' && size > 200) for (let k = Math.ceil(size / 30); k > 0; k--) b.pciController('pci-bridge');
    while (b.devs.length < size) {
      const k = rng.weighted({ e1000: 35, rtl8139: 25, 'virtio-transitional': 20, disk: 20 });
      if (k === 'disk') b.disk(true);
      else b.nic(k);
    }
    return;
  }

  const frame = drawFrame(rng, machine);
  const base = addFrame(b, frame);
  let pcie = base.pcie;
  let bus0Slots = base.bus0Slots;
  // Root-port budget on PCIe machines, with room for the spare port and the legacy bridge's port.
  const budget = () => 8 * (ROOT_SLOTS[machine] - bus0Slots) - 10;
  const explicitPorts: number[] = [];
  const bridges: number[] = [];
  let watchdogs = 0;
  let sounds = 0;
  let hostdevs = 0;
  let cdroms = 0;

  const scsiAddressed = rng.chance(0.5);
  const nicModel = (): NicModel => rng.weighted({ virtio: 45, e1000: 20, e1000e: 15, rtl8139: 15, default: 5 });
  // A few domains number their PCI controllers with gaps, which libvirt fills with default ones.
  const gaps = rng.chance(0.04);

  while (b.devs.length < size) {
    let kind = rng.weighted(MIXED_WEIGHTS);
    if (kind === 'watchdog' && (watchdogs >= 1 || machine === 'virt')) kind = 'disk';
    if (kind === 'sound' && (sounds >= 2 || machine === 'virt')) kind = 'nic';
    if (kind === 'hostdev' && hostdevs >= 4) kind = 'disk';
    if (kind === 'pci-controller' && explicitPorts.length + bridges.length >= 3) kind = 'channel';
    const pcieKinds: Kind[] = ['disk', 'nic', 'rng', 'input', 'hostdev', 'scsi-controller', 'pci-controller'];
    if (b.pcieMachine && pcieKinds.includes(kind) && pcie >= budget()) {
      // pcie-root is full: only devices that need no root port of their own.
      kind = rng.pick(['scsi-disk', 'channel', 'disk-transitional'] as Kind[]);
    }
    switch (kind) {
      case 'disk':
        b.disk();
        pcie++;
        break;
      case 'disk-transitional':
        b.disk(true);
        break;
      case 'scsi-disk': {
        // In half of the domains SCSI disks name a virtio-scsi controller and unit; in the others
        // libvirt picks (controller = n / 7, unit = n % 7 for disk sdN, adding the controllers,
        // lsilogic on these machines). Never both in one domain: libvirt's picks would collide.
        if (scsiAddressed) {
          const controllers = [...b.scsiUnits.keys()];
          if (controllers.length === 0) {
            controllers.push(b.scsiIndexNext);
            b.scsiController('virtio-scsi');
            if (b.pcieMachine) pcie++;
          }
          b.scsiDisk(rng.pick(controllers));
        } else {
          b.scsiDisk();
        }
        break;
      }
      case 'cdrom':
        // At most two: IDE or SATA on pc, SATA on q35 (libvirt: controller n / 6, unit n % 6 for
        // sdN), SCSI on virt (only where libvirt also picks the other SCSI disks' units).
        if (cdroms >= 2 || (machine === 'virt' && scsiAddressed)) b.channel();
        else b.cdrom(machine === 'q35' ? 'sata' : machine === 'virt' ? 'scsi' : rng.chance(0.7) ? 'ide' : 'sata');
        cdroms++;
        break;
      case 'nic': {
        const d = b.nic(nicModel());
        if (d.cost === 'pcie') pcie++;
        break;
      }
      case 'scsi-controller': {
        const d = b.scsiController(rng.chance(0.7) ? 'virtio-scsi' : 'lsilogic');
        if (d.cost === 'pcie' && b.pcieMachine) pcie++;
        break;
      }
      case 'channel':
        // A virtio-serial controller has 31 ports; libvirt adds one more whenever they run out.
        if (b.channels === 0 && rng.chance(0.5)) b.virtioSerial();
        if (b.channels % 31 === 0) pcie++;
        b.channel();
        break;
      case 'rng':
        b.rngDevice();
        pcie++;
        break;
      case 'input':
        b.input();
        pcie++;
        break;
      case 'shmem':
        b.shmem();
        break;
      case 'sound':
        b.sound();
        sounds++;
        // The first ich9 sound device takes 00:1b.0 on q35.
        if (machine === 'q35' && sounds === 1) bus0Slots++;
        break;
      case 'watchdog':
        b.watchdog();
        watchdogs++;
        break;
      case 'hostdev':
        b.hostdev();
        hostdevs++;
        if (b.pcieMachine) pcie++;
        break;
      case 'pci-controller':
        {
          const skip = gaps ? rng.int(1, 2) : 0;
          // Gaps become controllers too: root ports on PCIe machines, pci-bridges on pc.
          if (b.pcieMachine) {
            explicitPorts.push(b.pciController('pcie-root-port', skip).index);
            pcie += 1 + skip;
          } else {
            bridges.push(b.pciController('pci-bridge', skip).index);
          }
        }
        break;
    }
  }

  // A quarter of the domains pin one to three endpoints to addresses libvirt accepts: a free slot
  // of bus 0, slot 0 of a written root port, or a slot of a written pci-bridge.
  if (rng.chance(0.25)) {
    const candidates = rng.shuffle(b.devs.filter((d) => d.pinnable));
    const slots = rng.shuffle(pinSlots(machine));
    const ports = rng.shuffle(explicitPorts);
    const bridgeSlots = rng.shuffle(bridges.flatMap((bus) => Array.from({ length: 31 }, (_, s) => ({ bus, slot: s + 1 }))));
    for (const d of candidates.slice(0, rng.int(1, 3))) {
      const where = rng.weighted({ bus0: 60, port: ports.length ? 25 : 0, bridge: bridgeSlots.length ? 15 : 0 });
      if (where === 'port') d.at = { bus: ports.pop()!, slot: 0 };
      else if (where === 'bridge') d.at = bridgeSlots.pop()!;
      else if (pcie + 8 <= budget() || !b.pcieMachine) {
        d.at = { bus: 0, slot: slots.pop()! };
        bus0Slots++;
      }
    }
  }
}

function buildFailure(b: Builder, kind: FailureKind): void {
  const { rng, machine } = b;
  switch (kind) {
    case 'too-many-pcie-devices': {
      // q35: 240 root-port functions; virt: 248. Both machines run out before all are placed.
      b.add({ kind: 'controller', open: `controller type='usb' index='0' model='none'`, children: [], cost: 'none' });
      b.add({ kind: 'memballoon', open: `memballoon model='none'`, children: [], cost: 'none' });
      const n = 8 * ROOT_SLOTS[machine] + rng.int(0, 12);
      for (let k = 0; k < n; k++) {
        if (rng.chance(0.8)) b.disk();
        else b.nic('virtio');
      }
      return;
    }
    case 'reserved-slot': {
      buildGood(b, rng.int(1, 12), 'mixed');
      const slot = machine === 'q35' ? 0x1f : 0x01;
      const fn = rng.pick([0, 3]);
      const d = b.disk();
      d.children.push(`<address type='pci' domain='0x0000' bus='0x00' slot='${hex(slot, 2)}' function='${hex(fn, 1)}'/>`);
      return;
    }
    case 'duplicate-address': {
      buildGood(b, rng.int(1, 12), 'mixed');
      const slot = rng.pick(pinSlots(machine).filter((s) => s !== 2));
      for (const d of [b.disk(), rng.chance(0.5) ? b.disk() : b.nic('e1000')]) {
        d.at = undefined;
        d.children.push(`<address type='pci' domain='0x0000' bus='0x00' slot='${hex(slot, 2)}' function='0x0'/>`);
      }
      return;
    }
    case 'pci-bridge-without-slot':
      buildGood(b, rng.int(0, 10), 'mixed');
      b.devs.splice(0, b.devs.length, ...b.devs.filter((d) => !d.open.startsWith(`controller type='pci'`) && !d.at));
      b.pciController('pci-bridge');
      return;
  }
}

function failureFor(rng: Rng, machine: Machine): FailureKind {
  const kinds: FailureKind[] = machine === 'pc' ? ['reserved-slot', 'duplicate-address'] : machine === 'virt' ? ['too-many-pcie-devices', 'duplicate-address', 'pci-bridge-without-slot'] : [...FAILURES];
  return rng.pick(kinds);
}

/** Versioned machine names QEMU 7.2 knows, used now and then instead of the alias. */
const VERSIONED: Record<Machine, string> = { q35: 'pc-q35-7.2', pc: 'pc-i440fx-7.2', virt: 'virt-7.2' };

function renderDomain(name: string, machine: Machine, devs: Dev[], interleave: boolean, rng: Rng): string {
  if (rng.chance(0.2)) {
    devs = [{ kind: 'controller', open: `controller type='pci' index='0' model='${machine === 'pc' ? 'pci-root' : 'pcie-root'}'`, children: [], cost: 'none' }, ...devs];
  }
  const machineName = rng.chance(0.1) ? VERSIONED[machine] : machine;
  let ordered = devs;
  if (!interleave) {
    ordered = [...devs].sort((x, y) => KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind));
    // Disks sometimes out of name order: libvirt keeps them sorted, which decides their slots.
    if (rng.chance(0.2)) {
      const disks = rng.shuffle(ordered.filter((d) => d.kind === 'disk'));
      ordered = ordered.map((d) => (d.kind === 'disk' ? disks.shift()! : d));
    }
  }
  const cpu =
    machine === 'virt'
      ? [`<cpu mode='custom' match='exact' check='none'>`, `  <model fallback='forbid'>cortex-a57</model>`, `</cpu>`]
      : [];
  const lines = [
    `<name>${name}</name>`,
    `<memory unit='KiB'>262144</memory>`,
    `<vcpu placement='static'>1</vcpu>`,
    `<os>`,
    `  <type arch='${ARCH[machine]}' machine='${machineName}'>hvm</type>`,
    `</os>`,
    ...cpu,
    `<devices>`,
    `  <emulator>${EMULATOR[machine]}</emulator>`,
    ...ordered.flatMap(render).map((l) => `  ${l}`),
    `</devices>`,
  ];
  return [`<domain type='qemu'>`, ...lines.map((l) => `  ${l}`), '</domain>', ''].join('\n');
}

/** Domain i of seed `seed`. */
export function generateDomain(seed: number, i: number, opts: GenerateOptions = {}): GeneratedDomain {
  const rng = new Rng(mix(seed, i));
  const machines = opts.machines ?? (['q35', 'pc', 'virt'] as const);
  const machine = machines.length === 1 ? machines[0]! : rng.weighted(Object.fromEntries(machines.map((m) => [m, m === 'virt' ? 25 : 37.5])) as Record<Machine, number>);
  const name = `gen-${seed}-${i}`;
  const b = new Builder(rng, machine, i);
  const profile = opts.profile ?? 'mixed';
  const fail = profile === 'mixed' && rng.chance(opts.failRate ?? 0.05) ? failureFor(rng, machine) : undefined;
  if (fail) buildFailure(b, fail);
  else buildGood(b, opts.devices ?? drawSize(rng), profile);
  const interleave = rng.chance(0.15);
  const xml = renderDomain(name, machine, b.devs, interleave, rng);
  return { name, xml, machine, devices: b.devs.length, ...(fail ? { expectFailure: fail } : {}) };
}

/** `count` domains of seed `seed`; domain i depends only on (seed, i). */
export function generateDomains(seed: number, count: number, opts: GenerateOptions = {}): GeneratedDomain[] {
  return Array.from({ length: count }, (_, i) => generateDomain(seed, i, opts));
}
