// libvirt's allocator, computed without libvirt (qemu_domain_address.c qemuDomainAssignPCIAddresses;
// docs/pci-rules.md, libvirt's own allocator). Pass 1 is a dry run that finds how many buses the
// devices need, growing the address set and recording the controllers to add; pass 2 rebuilds the
// set from the final controller list and places everything for real: controllers first, then
// devices in libvirt's category order, first fit. The spare rules (one free root port on a new q35
// domain, one free slot on pci-root machines) come from the dummy reservations pass 1 makes and
// pass 2 does not.
import { roleOf, ROOT_MODELS, rootRole, type ControllerModel, type MachineSpec, type PreferredDevice } from '../catalog/index.js';
import { markMultifunction, newController, type NewController } from '../model/applyLayout.js';
import { readDevice } from '../model/parseDomain.js';
import { addressOf } from '../model/topology.js';
import type { Device, Domain, PciAddress } from '../model/types.js';
import { isOwner } from '../validate/addresses.js';
import { newElement } from '../xml/tree.js';
import { AddressSet, type DeviceFlags } from './addressSet.js';
import { deviceFlags } from './flags.js';
import type { ImplicitDevice } from './implicit.js';
import { placementOrder } from './order.js';

interface Item {
  device: Device;
  flags: DeviceFlags | undefined;
  /** The address written in the XML (kept), if any. */
  given: PciAddress | undefined;
  /** Where this pass put it. */
  placed?: PciAddress;
}

export interface GreedyResult {
  /** Final address of every device that has one, by Device.index (implicit devices included). */
  addresses: Map<number, PciAddress>;
  added: NewController[];
  /** Devices libvirt would add itself (root, USB, SATA, balloon ...), with their elements. */
  implicit: ImplicitDevice[];
  /** Every device of the result: the domain's, the implicit ones, the added controllers. */
  devices: Device[];
}

const PCI_ENDPOINT: DeviceFlags = { connect: 'pci-device', autoAssign: true, integrated: false, aggregate: false };
const PCIE_ENDPOINT: DeviceFlags = { connect: 'pcie-device', autoAssign: true, integrated: false, aggregate: false };
const USB2_FUNCTION: Record<string, number> = { 'ich9-ehci1': 7, 'ich9-uhci1': 0, 'ich9-uhci2': 1, 'ich9-uhci3': 2 };

const addr = (bus: number, slot: number, fn: number): PciAddress => ({ domain: 0, bus, slot, function: fn });

function controllerDevice(index: number, model: ControllerModel, domain: Domain, n: number, deviceIndex: number): Device {
  const el = newElement('controller', [['type', 'pci'], ['index', String(index)], ['model', model]]);
  return readDevice(el, 'controller', n, deviceIndex, [], domain.machine, domain.arch, domain.file);
}

class Pass {
  readonly set: AddressSet;

  constructor(
    readonly domain: Domain,
    readonly machine: MachineSpec,
    readonly items: Item[],
    nbuses: number,
    dryRun: boolean,
  ) {
    this.set = AddressSet.forControllers(machine, dryRun, items.flatMap((it) => (it.device.pci ? [it.device.pci] : [])), nbuses);
  }

  /** Reserve every address the XML gives (libvirt: qemuDomainCollectPCIAddress, fromConfig). */
  collect(): void {
    for (const it of this.items) {
      if (!it.given || !it.flags || this.chipsetOwned(it)) continue;
      this.set.reserve(it.given, it.flags, true, it.device.id);
      it.placed = it.given;
    }
  }

  /** Chipset devices (pc's IDE and PIIX3 USB, q35's SATA) are placed by the chipset step. */
  private chipsetOwned(it: Item): boolean {
    return this.machine.reserved.some((r) => r.owner && isOwner(it.device, r.owner));
  }

  /** Chipset functions and the devices pinned to them (qemuDomainValidateDevicePCISlotsPIIX3/Q35). */
  chipset(): void {
    const owners = this.set.reserveChipset((r) => {
      const it = this.items.find((x) => isOwner(x.device, r.owner!));
      return it?.flags ? { id: it.device.id, flags: it.flags, given: it.given, it } : undefined;
    });
    for (const [{ it }, at] of owners) it.placed = at;
    for (const pref of this.machine.preferred) {
      const it = this.preferredDevice(pref.device);
      if (!it || !it.flags || this.set.isSlotInUse(0, pref.slot)) continue;
      const fn = pref.device === 'usb2-companions' ? USB2_FUNCTION[it.device.props.model ?? '']! : 0;
      const at = addr(0, pref.slot, fn);
      this.set.reserve(at, it.flags, true, it.device.id);
      it.placed = at;
    }
  }

  private wanted(it: Item): boolean {
    return it.flags !== undefined && it.placed === undefined;
  }

  private preferredDevice(kind: PreferredDevice): Item | undefined {
    const candidates = this.items.filter((it) => this.wanted(it));
    switch (kind) {
      case 'primary-video': {
        const video = this.items.find((it) => it.device.kind === 'video');
        return video && this.wanted(video) ? video : undefined;
      }
      case 'ich9-sound':
        return candidates.find((it) => it.device.kind === 'sound' && it.device.props.model === 'ich9');
      case 'dmi-bridge':
        return candidates.find((it) => it.device.pci && roleOf(it.device.pci.model) === 'dmi-bridge');
      case 'usb2-companions':
        return candidates.find((it) => it.device.kind === 'controller' && it.device.props.model === 'ich9-uhci1');
    }
  }

  /** Place every device still without an address, in libvirt's order. */
  assignAll(): void {
    for (const it of placementOrder(this.items)) {
      if (!this.wanted(it)) continue;
      const model = it.device.props.model ?? '';
      if (it.device.kind === 'controller' && it.device.props.type === 'usb' && model in USB2_FUNCTION) {
        this.assignCompanion(it, USB2_FUNCTION[model]!);
        continue;
      }
      it.placed = this.set.reserveNext(it.flags!, -1, it.device.id);
    }
  }

  /** ICH9 USB2 sets share one slot at fixed functions (docs/pci-rules.md, Multifunction). */
  private assignCompanion(it: Item, fn: number): void {
    const mate = this.items.find(
      (o) => o !== it && o.placed && o.device.kind === 'controller' && o.device.props.type === 'usb' && o.device.props.index === it.device.props.index,
    );
    if (mate) {
      const at = addr(mate.placed!.bus, mate.placed!.slot, fn);
      this.set.reserve(at, it.flags!, true, it.device.id);
      it.placed = at;
    } else {
      it.placed = this.set.reserveNext(it.flags!, fn, it.device.id);
    }
  }
}

/** The greedy layout of a domain, as libvirt would produce it. */
export function assignGreedy(domain: Domain, implicit: ImplicitDevice[]): GreedyResult {
  const machine = domain.machine;
  const all: Device[] = [...domain.devices, ...implicit.map((i) => i.device)];
  const makeItems = (devices: Device[]): Item[] => devices.map((device) => ({ device, flags: deviceFlags(device, domain), given: addressOf(device) }));

  const controllers = all.filter((d) => d.pci);
  const maxIdx = Math.max(-1, ...controllers.map((d) => d.pci!.index));

  // Pass 1: a dry run that counts buses.
  const dry = new Pass(domain, machine, makeItems(all), maxIdx + 1, true);
  dry.collect();
  dry.chipset();
  if (rootRole(machine) === 'conventional-root' && dry.set.buses.some((b) => !b.fullyReserved())) {
    // Keep a conventional slot free so that a pci-bridge can still be plugged in later.
    dry.set.reserveNext(PCI_ENDPOINT, -1, 'spare PCI slot');
  }
  dry.assignAll();
  if (maxIdx <= 0 && dry.set.buses.length > maxIdx + 1 && rootRole(machine) === 'express-root') {
    // libvirt's one spare hot-pluggable root port on new PCIe domains.
    dry.set.reserveNext(PCIE_ENDPOINT, -1, 'spare PCIe port');
  }
  const added: Device[] = [];
  const haveIndex = new Set(controllers.map((d) => d.pci!.index));
  for (let i = 1; i < dry.set.buses.length; i++) {
    if (haveIndex.has(i)) continue;
    const model = dry.set.buses[i]!.model;
    const device = controllerDevice(i, model, domain, controllers.length + added.length + 1, all.length + added.length);
    added.push(device);
    haveIndex.add(i);
    if (!ROOT_MODELS.includes(model)) dry.set.reserveNext(deviceFlags(device, domain)!, -1, device.id);
  }
  const nbuses = dry.set.buses.length;

  // Pass 2: the real placement, PCI controllers first (in libvirt's controller-list order: the
  // added ones after the last PCI controller with a lower index).
  const ordered = orderControllers(all, added);
  const items = makeItems(ordered);
  const real = new Pass(domain, machine, items, nbuses, false);
  real.collect();
  real.chipset();
  real.assignAll();

  const addresses = new Map<number, PciAddress>();
  for (const it of items) if (it.placed) addresses.set(it.device.index, { ...it.placed });
  markMultifunction(addresses.values());
  return { addresses, added: added.map((d) => newController(d.pci!.model, d.pci!.index, addresses.get(d.index))), implicit, devices: [...all, ...added] };
}

function orderControllers(all: Device[], added: Device[]): Device[] {
  const out = [...all];
  for (const d of [...added].sort((a, b) => a.pci!.index - b.pci!.index)) {
    let at = -1;
    out.forEach((x, i) => {
      if (x.pci && x.pci.index < d.pci!.index) at = i;
    });
    out.splice(at + 1, 0, d);
  }
  return out;
}
