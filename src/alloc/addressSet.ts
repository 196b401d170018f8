// libvirt's address set, rebuilt from the catalog: one record per bus (a PCI controller index) with
// what it accepts and which functions of its 32 slots are used. The greedy allocator drives it
// exactly as libvirt does (domain_addr.c: reserve, find the next free slot first-fit, and in a
// dry run grow the set by adding buses); docs/pci-rules.md (What plugs where; libvirt's own
// allocator).
import { busAccepts, CONNECT_TYPE_WORDING, connectOf, CONTROLLERS, gapModel, modelFor, rootRole, type ConnectType, type ControllerModel, type MachineSpec, type Reservation } from '../catalog/index.js';
import { PciplanError } from '../errors.js';
import { formatAddress, type PciAddress, type PciController } from '../model/types.js';

/** What a device needs from a bus (libvirt's device-side connect flags). */
export interface DeviceFlags {
  connect: ConnectType;
  /** An endpoint being auto-placed: only buses that allow auto-assignment take it. */
  autoAssign: boolean;
  /** Must sit on bus 0. */
  integrated: boolean;
  /** May share a slot with others of its kind, one per function (root ports). */
  aggregate: boolean;
}

export interface SlotState {
  /** Bit f set = function f in use. */
  fns: number;
  /** The first function reserved here was an aggregating device: more of them may join. */
  aggregate: boolean;
}

export class BusState {
  accepts: readonly ConnectType[];
  autoAssign: boolean;
  hotplug: boolean;
  readonly minSlot: number;
  readonly maxSlot: number;
  readonly slots: SlotState[];

  constructor(
    readonly index: number,
    readonly model: ControllerModel,
    hotplugOff = false,
  ) {
    const spec = CONTROLLERS[model];
    this.accepts = spec.accepts;
    this.autoAssign = spec.autoAssign;
    this.hotplug = spec.hotpluggable && !hotplugOff;
    [this.minSlot, this.maxSlot] = spec.slots;
    this.slots = Array.from({ length: 32 }, () => ({ fns: 0, aggregate: false }));
  }

  /** Every usable slot has at least one function in use (virDomainPCIAddressBusIsFullyReserved). */
  fullyReserved(): boolean {
    for (let s = this.minSlot; s <= this.maxSlot; s++) if (this.slots[s]!.fns === 0) return false;
    return true;
  }

  isEmpty(): boolean {
    return this.slots.every((s) => s.fns === 0);
  }
}

export class AddressSet {
  readonly buses: BusState[] = [];

  constructor(
    readonly machine: MachineSpec,
    public dryRun: boolean,
  ) {}

  /** One bus per controller index below `nbuses`; gaps get the model libvirt fills them with. */
  static forControllers(machine: MachineSpec, dryRun: boolean, controllers: readonly PciController[], nbuses: number): AddressSet {
    const set = new AddressSet(machine, dryRun);
    const byIndex = new Map<number, PciController>();
    for (const c of controllers) if (!byIndex.has(c.index)) byIndex.set(c.index, c);
    const fill = gapModel(machine);
    for (let i = 0; i < nbuses; i++) {
      const c = byIndex.get(i);
      set.buses.push(new BusState(i, c ? c.model : i === 0 ? machine.root : fill, c?.target.hotplug === 'off'));
    }
    return set;
  }

  /**
   * The chipset's functions on bus 0 (qemuDomainValidateDevicePCISlotsPIIX3/Q35): each is reserved,
   * for its owner device when there is one (whose written address must be that one), returned.
   */
  reserveChipset<T extends { id: string; flags: DeviceFlags; given?: PciAddress | undefined }>(ownerOf: (r: Reservation) => T | undefined): [T, PciAddress][] {
    const placed: [T, PciAddress][] = [];
    const endpoint: DeviceFlags = { connect: rootRole(this.machine) === 'express-root' ? 'pcie-device' : 'pci-device', autoAssign: true, integrated: false, aggregate: false };
    for (const r of this.machine.reserved) {
      const owner = r.owner ? ownerOf(r) : undefined;
      const at: PciAddress = { domain: 0, bus: 0, slot: r.slot, function: r.function };
      if (owner) {
        const g = owner.given;
        if (g && (g.bus !== 0 || g.slot !== r.slot || g.function !== r.function)) {
          throw new PciplanError('invalid', `${owner.id}: ${r.ownerMessage ?? `${r.what} must be at 00:${r.slot.toString(16)}.${r.function}`}`);
        }
        this.reserve(at, owner.flags, true, owner.id);
        placed.push([owner, at]);
      } else if (!r.onlyWithOwner) {
        this.reserve(at, endpoint, true, r.what);
      }
    }
    return placed;
  }

  /** Whether `flags` may sit on `bus`; the reason when not (libvirt's wording). */
  compatible(bus: BusState, flags: DeviceFlags, fromConfig: boolean): string | undefined {
    let accepts = bus.accepts;
    let autoAssign = bus.autoAssign;
    if (flags.integrated) {
      if (bus.index !== 0) return 'needs to be an integrated device (bus=0)';
      accepts = [...accepts, 'pci-device'];
      autoAssign = true;
    }
    if (!fromConfig && flags.autoAssign && !autoAssign) {
      return `was auto-assigned this address, but the PCI controller with index='${bus.index}' doesn't allow auto-assignment`;
    }
    if (!busAccepts(accepts, flags.connect, fromConfig)) {
      return `cannot be plugged into the PCI controller with index='${bus.index}'. It requires a controller that accepts a ${CONNECT_TYPE_WORDING[flags.connect]}.`;
    }
    return undefined;
  }

  /** Reserve one function (virDomainPCIAddressReserveAddrInternal); grows the set in a dry run. */
  reserve(addr: PciAddress, flags: DeviceFlags, fromConfig: boolean, who: string): void {
    if (this.dryRun && addr.bus >= this.buses.length) this.grow(addr, flags);
    const where = formatAddress(addr);
    const bus = this.buses[addr.bus];
    if (!bus) throw new PciplanError('invalid', `${who}: invalid PCI address ${where}: only PCI buses up to ${this.buses.length - 1} are available`);
    const why = this.compatible(bus, flags, fromConfig);
    if (why) throw new PciplanError('invalid', `${who}: the device at PCI address ${where} ${why}`);
    if (addr.slot < bus.minSlot || addr.slot > bus.maxSlot) {
      throw new PciplanError('invalid', `${who}: invalid PCI address ${where}: slot must be ${addr.slot < bus.minSlot ? `>= ${bus.minSlot}` : `<= ${bus.maxSlot}`}`);
    }
    const slot = bus.slots[addr.slot]!;
    const bit = 1 << addr.function;
    if (slot.fns & bit) throw new PciplanError('invalid', `${who}: attempted double use of PCI Address ${where}`);
    if (slot.fns === 0 && flags.aggregate) slot.aggregate = true;
    slot.fns |= bit;
  }

  isSlotInUse(bus: number, slot: number): boolean {
    return (this.buses[bus]?.slots[slot]?.fns ?? 0) !== 0;
  }

  /** First fit over buses by index and slots in order (virDomainPCIAddressGetNextAddr). */
  nextAddr(flags: DeviceFlags, fn: number, who: string): PciAddress {
    for (const bus of this.buses) {
      if (this.compatible(bus, flags, false)) continue;
      for (let s = bus.minSlot; s <= bus.maxSlot; s++) {
        const slot = bus.slots[s]!;
        if (slot.fns === 0) return { domain: 0, bus: bus.index, slot: s, function: Math.max(fn, 0) };
        if (flags.aggregate && slot.aggregate) {
          if (fn >= 0) {
            if (!(slot.fns & (1 << fn))) return { domain: 0, bus: bus.index, slot: s, function: fn };
            continue;
          }
          for (let f = 0; f < 8; f++) if (!(slot.fns & (1 << f))) return { domain: 0, bus: bus.index, slot: s, function: f };
        }
      }
    }
    if (!this.dryRun) throw new PciplanError('invalid', `${who}: No more available PCI slots`);
    const a: PciAddress = { domain: 0, bus: this.buses.length, slot: 0, function: Math.max(fn, 0) };
    this.grow(a, flags);
    a.slot = this.buses[a.bus]!.minSlot;
    return a;
  }

  reserveNext(flags: DeviceFlags, fn: number, who: string): PciAddress {
    const a = this.nextAddr(flags, fn, who);
    this.reserve(a, flags, false, who);
    return a;
  }

  /**
   * Add buses so that `addr.bus` exists (virDomainPCIAddressSetGrow). The model follows the
   * device: pci-bridges for conventional devices (behind a pcie-to-pci-bridge on a pure PCIe
   * machine), root ports for PCIe devices; nothing else can be added.
   */
  grow(addr: PciAddress, flags: DeviceFlags): void {
    let add = addr.bus - this.buses.length + 1;
    if (add <= 0) return;
    let model: ControllerModel;
    if (flags.connect === 'pci-device') {
      if (this.machine.multipleRoots) model = modelFor('conventional-root');
      else {
        model = modelFor('conventional-bridge');
        if (!this.buses.some((b) => b.accepts.includes(connectOf('conventional-bridge')))) {
          // A pure PCIe machine: a root port that only a pcie-to-pci-bridge may use, then the bridge.
          const port = new BusState(this.buses.length, modelFor('root-port'));
          port.accepts = [connectOf('express-to-conventional-bridge')];
          port.autoAssign = false;
          port.hotplug = false;
          this.buses.push(port);
          model = modelFor('express-to-conventional-bridge');
          if (add === 1) addr.bus++;
          else add--;
        }
      }
    } else if (flags.connect === 'pcie-device' || flags.connect === connectOf('switch-upstream')) {
      model = modelFor('root-port');
    } else if (CONTROLLERS[flags.connect as ControllerModel]) {
      throw new PciplanError(
        'invalid',
        `a PCI slot is needed to connect a PCI controller model='${flags.connect}', but none is available, and it cannot be automatically added`,
      );
    } else {
      throw new PciplanError('invalid', `cannot automatically add a new PCI bus for a ${CONNECT_TYPE_WORDING[flags.connect]}`);
    }
    for (let i = 0; i < add; i++) this.buses.push(new BusState(this.buses.length, model));
  }
}
