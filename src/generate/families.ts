// The seven families of generated domains, each a situation people run into. A family returns the
// device elements (exactly the requested number), the NUMA cells it needs and the policy it is
// meant to be planned with. Devices carry no PCI address except where the family pins one.
import { CONTROLLERS, modelFor, type ControllerModel, type MachineSpec } from '../catalog/index.js';
import type { Policy } from '../model/schemas.js';
import type { DeviceMaker, GenDevice, HintAttrs, PinnedAddress } from './devices.js';
import { canRefuseHotplug, type Family, type MachineName } from './options.js';
import type { Rng } from './prng.js';

export interface FamilyContext {
  rng: Rng;
  machine: MachineName;
  spec: MachineSpec;
  /** Device elements to write. */
  n: number;
  /** NUMA cells (numa family only). */
  numa: number;
  make: DeviceMaker;
}

export interface FamilyDomain {
  devices: GenDevice[];
  policy: Policy;
  /** vCPUs and memory (MiB) in total; spread over the NUMA cells when there are some. */
  vcpus: number;
  memoryMiB: number;
}

/** The root bus has no hotplug (q35, virt): only there can a family ask for hotplug='no'. */
const pcieMachine = (c: FamilyContext) => canRefuseHotplug(c.spec);

/**
 * `frame` first (as many as fit), then `more(room)` until n elements: `more` returns one device or
 * the functions of one group, never more than `room`.
 */
function fill(n: number, frame: (GenDevice | GenDevice[])[], more: (room: number) => GenDevice[]): GenDevice[] {
  const out: GenDevice[] = [];
  for (const f of frame) {
    const items = Array.isArray(f) ? f : [f];
    if (out.length + items.length <= n) out.push(...items);
  }
  while (out.length < n) out.push(...more(n - out.length));
  return out;
}

// --- hotplug-heavy: a storage or network appliance whose disks and NICs come and go at run time.

function hotplugHeavy(c: FamilyContext): FamilyDomain {
  const yes: HintAttrs = { hotplug: 'yes' };
  const devices = fill(c.n, [], () => [c.rng.chance(0.65) ? c.make.disk({ hints: yes }) : c.make.nic('virtio', yes)]);
  return { devices, policy: {}, vcpus: 4, memoryMiB: 4096 };
}

// --- mixed: a Windows guest whose admin keeps the system disk, GPU and first NIC out of the
// "safely remove hardware" menu, while data disks stay hot-pluggable.

function mixed(c: FamilyContext): FamilyDomain {
  const no: HintAttrs = { hotplug: 'no' };
  const yes: HintAttrs = { hotplug: 'yes' };
  let gpus = 0;
  const gpu = (hotplug: 'yes' | 'no') => {
    const group = `gpu${gpus++}`;
    return c.make.hostCard(2, () => ({ hotplug, group }));
  };
  const frame = [
    c.make.disk({ hints: no }),
    c.make.nic('virtio', no),
    gpu('no'),
    // virt gets no USB controller by default, and libvirt refuses a USB device without one.
    c.machine === 'virt' ? [c.make.controller('usb', 0, 'qemu-xhci'), c.make.tablet()] : c.make.tablet(),
    c.make.video(c.machine === 'virt' ? 'virtio' : 'qxl'),
  ];
  const devices = fill(c.n, frame, (room) => {
    const k = c.rng.weighted({ data: 45, nicYes: 15, nicNo: 10, plain: 15, gpu: room >= 2 ? 10 : 0, e1000: 5 });
    if (k === 'gpu') return gpu(c.rng.chance(0.7) ? 'no' : 'yes');
    if (k === 'data') return [c.make.disk({ hints: yes })];
    if (k === 'nicYes') return [c.make.nic(c.rng.pick(['virtio', 'e1000e'] as const), yes)];
    if (k === 'nicNo') return [c.make.nic(c.rng.pick(['virtio', 'e1000e'] as const), no)];
    if (k === 'e1000') return [c.make.nic('e1000', c.rng.chance(0.5) ? no : yes)];
    return [c.make.disk()];
  });
  return { devices, policy: {}, vcpus: 4, memoryMiB: 8192 };
}

// --- legacy: an old guest image that only drives conventional PCI devices.

function legacy(c: FamilyContext): FamilyDomain {
  let watchdogs = 0;
  let sounds = 0;
  // A conventional device the guest cannot eject needs a bus without hotplug: the machine's
  // dmi-to-pci-bridge (q35). virt has none, so there only its 31 root slots would do.
  const fixedPci = c.spec.preferred.some((p) => p.device === 'dmi-bridge');
  const hints = (): HintAttrs | undefined => {
    const x = c.rng.next();
    if (x < 0.2) return { hotplug: 'yes' };
    if (x < 0.3 && fixedPci) return { hotplug: 'no' };
    return undefined;
  };
  // virt (aarch64) has no i6300esb and no ICH/AC97 audio.
  const x86 = c.machine !== 'virt';
  const devices = fill(c.n, [], () => {
    const k = c.rng.weighted({ e1000: 35, rtl8139: 25, disk: 15, vnic: 15, watchdog: x86 && watchdogs < 1 ? 3 : 0, sound: x86 && sounds < 2 ? 2 : 0 });
    if (k === 'watchdog') {
      watchdogs++;
      return [c.make.watchdog()];
    }
    if (k === 'sound') {
      sounds++;
      return [c.make.sound(c.rng.pick(['ich6', 'ac97'] as const))];
    }
    const h = hints();
    if (k === 'disk') return [c.make.disk({ transitional: true, ...(h ? { hints: h } : {}) })];
    return [c.make.nic(k === 'vnic' ? 'virtio-transitional' : k, h)];
  });
  return { devices, policy: {}, vcpus: 1, memoryMiB: 1024 };
}

// --- numa: a two- or four-socket host's devices passed through to the guest node they sit on.

function numa(c: FamilyContext): FamilyDomain {
  let gpus = 0;
  const node = () => c.rng.int(0, c.numa - 1);
  const hotplug = (): 'yes' | 'no' | undefined => (pcieMachine(c) && c.rng.chance(0.4) ? 'no' : c.rng.chance(0.3) ? 'yes' : undefined);
  const hints = (numaNode: number, hp: 'yes' | 'no' | undefined, group?: string): HintAttrs => ({ numa: numaNode, ...(hp ? { hotplug: hp } : {}), ...(group ? { group } : {}) });
  const devices = fill(c.n, [c.make.disk()], (room) => {
    const k = c.rng.weighted({ hostdev: 55, nic: 25, gpu: room >= 2 ? 10 : 0, disk: 10 });
    if (k === 'hostdev') {
      const h = hints(node(), hotplug());
      return c.make.hostCard(1, () => h);
    }
    if (k === 'gpu') {
      const h = hints(node(), hotplug(), `gpu${gpus++}`);
      return c.make.hostCard(2, () => h);
    }
    if (k === 'nic') return [c.make.nic('virtio', hints(node(), undefined))];
    return [c.make.disk()];
  });
  return { devices, policy: {}, vcpus: 2 * c.numa, memoryMiB: 2048 * c.numa };
}

// --- multifunction: cards whose functions share one slot: GPU + audio, multi-port NICs, and disks
// an admin packs into one slot to save ports.

function multifunction(c: FamilyContext): FamilyDomain {
  let groups = 0;
  const hotplug = (): 'yes' | 'no' | undefined => {
    const x = c.rng.next();
    return x < 0.35 ? 'yes' : x < 0.7 && pcieMachine(c) ? 'no' : undefined;
  };
  const group = (prefix: string, hp: 'yes' | 'no' | undefined): HintAttrs => ({ group: `${prefix}${groups++}`, ...(hp ? { hotplug: hp } : {}) });
  const devices = fill(c.n, [], (room) => {
    if (room === 1) return [c.make.disk()];
    const k = c.rng.weighted({ gpu: 35, nic: 30, disks: 20, e1000: 15 });
    if (k === 'gpu') {
      const h = group('gpu', hotplug());
      return c.make.hostCard(2, () => h);
    }
    if (k === 'nic') {
      const h = group('nic', hotplug());
      return c.make.hostCard(Math.min(room, c.rng.pick([2, 4, 4, 8])), () => h);
    }
    const size = Math.min(room, c.rng.int(2, 8));
    const h = group(k === 'disks' ? 'disks' : 'quad', hotplug());
    return Array.from({ length: k === 'disks' ? size : Math.min(room, 4) }, () => (k === 'disks' ? c.make.disk({ hints: h }) : c.make.nic('e1000', h)));
  });
  return { devices, policy: {}, vcpus: 4, memoryMiB: 8192 };
}

// --- fragmented: a domain edited by hand over the years: controllers and devices at fixed
// addresses with holes between them, the rest left for the planner.

/** The slots a controller model's bus offers, from the catalog. */
function slotsOf(model: ControllerModel): number[] {
  const [lo, hi] = CONTROLLERS[model].slots;
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Bus-0 slots a family may pin: not the chipset's, not the slots libvirt prefers for its own devices. */
function pinnableRootSlots(spec: MachineSpec): number[] {
  const taken = new Set([...spec.reserved.map((r) => r.slot), ...spec.preferred.map((p) => p.slot)]);
  return slotsOf(spec.root).filter((s) => !taken.has(s));
}

function fragmented(c: FamilyContext): FamilyDomain {
  const { rng, make, n } = c;
  const rootSlots = rng.shuffle(pinnableRootSlots(c.spec));
  const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(x)));
  const pinned: GenDevice[] = [];
  const room = () => n - pinned.length;
  const at = (d: GenDevice, a: PinnedAddress) => ({ ...d, address: a });
  // An endpoint for a fixed place: PCIe-capable where the slot is PCI Express, conventional on bridges.
  const endpoint = (pcie: boolean) => (pcie ? (rng.chance(0.6) ? make.disk() : make.nic('virtio')) : make.nic(rng.pick(['e1000', 'rtl8139'] as const)));
  let index = 1;
  const bridgeSlots: { bus: number; slot: number }[] = [];

  if (pcieMachine(c)) {
    const ports = Math.min(clamp(n / 6, 1, 12), room());
    const portIndexes: number[] = [];
    for (let p = 0; p < ports; p++) {
      portIndexes.push(index);
      pinned.push(make.controller('pci', index++, modelFor('root-port'), { bus: 0, slot: rootSlots.pop()! }));
    }
    // A pcie-to-pci-bridge in the last written port, for the conventional devices.
    const bridgePort = n >= 12 && room() > 0 ? portIndexes.pop() : undefined;
    if (bridgePort !== undefined) {
      const b = index++;
      pinned.push(make.controller('pci', b, modelFor('express-to-conventional-bridge'), { bus: bridgePort, slot: 0 }));
      for (const s of rng.shuffle(slotsOf(modelFor('express-to-conventional-bridge'))).slice(0, clamp(n / 10, 1, 8))) bridgeSlots.push({ bus: b, slot: s });
    }
    for (const port of portIndexes) if (room() > 0 && rng.chance(0.6)) pinned.push(at(endpoint(true), { bus: port, slot: 0 }));
  } else {
    const bridges = Math.min(clamp(n / 25, 1, 6), room());
    // Bridge 1 on the root; later ones on the root or in a slot of bridge 1: fixed places below the root too.
    const nested = new Set<number>();
    for (let b = 0; b < bridges; b++) {
      const i = index++;
      const slot = i > 1 && rng.chance(0.5) ? rng.pick(slotsOf(modelFor('conventional-bridge'))) : undefined;
      const parent = slot !== undefined && !nested.has(slot) ? { bus: 1, slot } : { bus: 0, slot: rootSlots.pop()! };
      if (parent.bus === 1) nested.add(parent.slot);
      pinned.push(make.controller('pci', i, modelFor('conventional-bridge'), parent));
    }
    for (let i = 1; i < index; i++) {
      const free = slotsOf(modelFor('conventional-bridge')).filter((s) => i !== 1 || !nested.has(s));
      for (const s of rng.shuffle(free).slice(0, clamp(n / (5 * bridges), 1, 10))) bridgeSlots.push({ bus: i, slot: s });
    }
  }
  for (const s of bridgeSlots) if (room() > 0) pinned.push(at(endpoint(false), s));
  for (let k = clamp(n / 10, 1, 6); k > 0 && room() > 0 && rootSlots.length > 0; k--) pinned.push(at(endpoint(pcieMachine(c) || rng.chance(0.5)), { bus: 0, slot: rootSlots.pop()! }));

  const devices = fill(n, pinned, () => {
    const k = rng.weighted({ disk: 60, nic: 25, e1000: 15 });
    if (k === 'disk') return [make.disk(rng.chance(0.2) ? { hints: { hotplug: 'yes' } } : {})];
    return [make.nic(k === 'nic' ? 'virtio' : 'e1000')];
  });
  return { devices, policy: {}, vcpus: 2, memoryMiB: 4096 };
}

// --- cloud: an OpenStack or KubeVirt instance: root disk, config drive, ports and volumes that are
// attached and detached at run time, console, agent, a few free hot-plug ports kept in reserve.

function uuid(rng: Rng): string {
  const h = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

function cloud(c: FamilyContext): FamilyDomain {
  const { rng, make } = c;
  const yes: HintAttrs = { hotplug: 'yes' };
  const virt = c.machine === 'virt';
  const frame: (GenDevice | GenDevice[])[] = [
    make.disk({ serial: 'root' }),
    make.nic('virtio', yes),
    // The config drive: SATA on q35, IDE on pc, virtio-scsi on ARM.
    virt ? [make.controller('scsi', 0, 'virtio-scsi'), make.cdrom('scsi')] : make.cdrom(c.machine === 'q35' ? 'sata' : 'ide'),
    make.serialConsole(),
    make.guestAgent(),
    c.machine === 'pc' ? make.tablet() : [make.controller('usb', 0, 'qemu-xhci'), make.tablet()],
    [make.graphics(), make.video(c.machine === 'pc' ? 'cirrus' : 'virtio')],
    make.balloon(),
    make.rng(),
  ];
  if (c.machine === 'q35' && rng.chance(0.5)) frame.push(make.vgpu(uuid(rng), { hotplug: 'no' }));
  const devices = fill(c.n, frame, () => (rng.chance(0.65) ? [make.disk({ hints: yes })] : [make.nic('virtio', yes)]));
  const policy: Policy = pcieMachine(c) ? { sparePciePorts: rng.int(2, 4) } : { sparePciSlots: rng.int(2, 8) };
  return { devices, policy, vcpus: 4, memoryMiB: 8192 };
}

export const FAMILY_BUILDERS: Record<Family, (c: FamilyContext) => FamilyDomain> = {
  'hotplug-heavy': hotplugHeavy,
  mixed,
  legacy,
  numa,
  multifunction,
  fragmented,
  cloud,
};
