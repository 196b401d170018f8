// The order in which libvirt places unaddressed devices (qemu_domain_address.c
// qemuDomainAssignDevicePCISlots; docs/pci-rules.md, libvirt's own allocator). It is historical
// (QEMU < 0.12 kept it) and it decides every address greedy produces, so it is kept exactly.
import { parseDiskTarget, type DeviceKind } from '../catalog/index.js';
import type { Device } from '../model/types.js';

const CATEGORY: Partial<Record<DeviceKind, number>> = {
  filesystem: 2,
  interface: 3,
  sound: 4,
  controller: 5,
  disk: 6,
  hostdev: 7,
  memballoon: 8,
  rng: 9,
  watchdog: 10,
  video: 11,
  shmem: 12,
  input: 13,
  serial: 14,
  iommu: 15,
  vsock: 16,
  memory: 17,
  crypto: 18,
  panic: 19,
  pstore: 20,
};

function category(d: Device): number {
  if (d.pci) return 1;
  // A NIC backed by a host device is placed with the hostdevs, before the <hostdev> elements.
  if (d.kind === 'interface' && d.props.type === 'hostdev') return 6.5;
  return CATEGORY[d.kind] ?? 99;
}

/** libvirt's disk name to index: vda -> 0, vdz -> 25, vdaa -> 26 (catalog parseDiskTarget); a name it does not read sorts last. */
export function diskIndex(dev: string | undefined): number {
  const t = dev === undefined ? undefined : parseDiskTarget(dev);
  return t?.ok ? t.index : Number.MAX_SAFE_INTEGER;
}

/**
 * Where a device stands in libvirt's own lists: disks are kept sorted by target name, controllers
 * grouped by type (in order of first appearance) and sorted by index within a type.
 */
function listKey<T extends { device: Device }>(items: readonly T[]): (item: T, i: number) => [number, number, number] {
  const typeRank = new Map<string, number>();
  for (const { device: d } of items) {
    if (d.kind === 'controller' && !typeRank.has(d.props.type ?? '')) typeRank.set(d.props.type ?? '', typeRank.size);
  }
  return ({ device: d }, i) => {
    if (d.kind === 'disk') return [0, diskIndex(d.props.dev), i];
    if (d.kind === 'controller') return [typeRank.get(d.props.type ?? '') ?? 0, d.props.index ?? 0, i];
    return [0, 0, i];
  };
}

/** Devices in libvirt's placement order (within a category, in libvirt's list order). */
export function placementOrder<T extends { device: Device }>(items: readonly T[]): T[] {
  const key = listKey(items);
  return items
    .map((item, i) => ({ item, c: category(item.device), k: key(item, i) }))
    .sort((a, b) => a.c - b.c || a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2])
    .map((x) => x.item);
}
