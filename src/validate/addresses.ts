// Rules about the addresses written on devices and controllers (libvirt domain_addr.c
// virDomainPCIAddressValidate and ...FlagsCompatible with fromConfig semantics, the chipset
// reservations of qemu_domain_address.c; docs/pci-rules.md: What plugs where, Machine types).
import { busAccepts, CONNECT_TYPE_WORDING, deviceDefault, FUNCTIONS_PER_SLOT, SERIAL_TARGETS_WITHOUT_PCI, type OwnerSelector, type Reservation } from '../catalog/index.js';
import { addressOf, connectTypeOf, fnKey, slotKey, type Topology } from '../model/topology.js';
import { formatAddress, needsPciAddress, type Device, type Domain, type PciAddress } from '../model/types.js';
import { error, problem, warning, type Problem } from './problems.js';

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;

function syntaxProblems(d: Device, a: PciAddress): Problem[] {
  const out: Problem[] = [];
  if (a.domain !== 0) out.push(error('address-syntax', d, `invalid PCI address ${formatAddress(a)}: only PCI domain 0 is available`));
  if (a.bus > 0xff) out.push(error('address-syntax', d, `invalid PCI address bus='${hex(a.bus)}', must be <= 0xFF`));
  if (a.slot > 0x1f) out.push(error('address-syntax', d, `invalid PCI address slot='${hex(a.slot)}', must be <= 0x1F`));
  if (a.function > 7) out.push(error('address-syntax', d, `invalid PCI address function=${hex(a.function, 1)}, must be <= 7`));
  if (a.bus < 0 || a.slot < 0 || a.function < 0 || a.domain < 0) out.push(error('address-syntax', d, 'invalid PCI address: negative value'));
  return out;
}

export function isOwner(d: Device, owner: OwnerSelector): boolean {
  if (d.kind !== owner.kind) return false;
  if (owner.type !== undefined && d.props.type !== owner.type) return false;
  if (owner.index !== undefined && d.props.index !== owner.index) return false;
  if (owner.models && !owner.models.includes(d.props.model ?? '')) return false;
  return true;
}

/**
 * A domain without <serial> makes its first console (of target type serial, the default) serial 0:
 * libvirt copies it, address included, and then judges that address as the serial's.
 */
function consoleAsSerialProblem(d: Device, domain: Domain): Problem | undefined {
  if (d.kind !== 'console' || d.address.type !== 'pci') return undefined;
  if (domain.devices.some((x) => x.kind === 'serial')) return undefined;
  if (domain.devices.find((x) => x.kind === 'console') !== d) return undefined;
  if (d.props.sub !== undefined && d.props.sub !== 'serial') return undefined;
  const target = deviceDefault(domain.machine, domain.arch, 'serial');
  if (!target || !(SERIAL_TARGETS_WITHOUT_PCI as readonly string[]).includes(target)) return undefined;
  return error('address-type', d, `with no <serial>, this console is serial 0, of target type '${target}', which takes no PCI address (libvirt refuses it)`);
}

export function checkAddresses(domain: Domain, topo: Topology): Problem[] {
  const out: Problem[] = [];
  const taken = new Map<string, Device>();
  // A reservation whose device is absent (pc's PIIX3 USB function without that controller) is free.
  const reserved = domain.machine.reserved.filter((r) => !r.onlyWithOwner || domain.devices.some((d) => isOwner(d, r.owner!)));

  for (const d of domain.devices) {
    const asSerial = consoleAsSerialProblem(d, domain);
    if (asSerial) out.push(asSerial);
    if (d.cls.addressRule === 'mirror') continue;
    // Address types a device refuses.
    if (d.cls.addressRule === 'no-pci' && d.address.type === 'pci') {
      out.push(error('address-type', d, `address not supported for ${d.kind} ${d.props.model ?? ''}: it is not a PCI device`.replace(' :', ':')));
    }
    if (d.cls.addressRule === 'pci-only' && d.address.type === 'other') {
      out.push(error('address-type', d, `only 'pci' addresses are supported for ${d.kind} model '${d.props.model ?? ''}', not '${d.address.name}'`));
    }
    // A PCI controller plugs into a PCI slot: another address type leaves the bus it provides
    // nowhere in the hierarchy (libvirt 9.0 keeps the address; pciplan will not replace it).
    if (d.pci && needsPciAddress(d) && d.address.type === 'other') {
      out.push(error('address-type', d, `a ${d.pci.model} plugs into a PCI slot: its address must be type 'pci' (or absent, for pciplan to assign), not '${d.address.name}'`));
    }

    // Chipset devices that must be at their fixed address.
    for (const r of reserved) {
      const a = addressOf(d);
      if (r.owner && isOwner(d, r.owner) && a && !(a.bus === 0 && a.slot === r.slot && a.function === r.function)) {
        out.push(error('chipset-address', d, r.ownerMessage ?? `${r.what} must be at 0000:00:${hex(r.slot).slice(2)}.${r.function}`));
      }
    }

    const a = addressOf(d);
    if (!a) {
      if (needsPciAddress(d)) {
        out.push(problem('note', 'unassigned', d, 'has no PCI address yet'));
      }
      continue;
    }
    const syntax = syntaxProblems(d, a);
    if (syntax.length) {
      out.push(...syntax);
      continue;
    }
    const where = formatAddress(a);
    if (d.cls.connect === 'none' && !d.pci && d.cls.addressRule === undefined) {
      out.push(warning('address-type', d, `${d.kind} model '${d.props.model ?? ''}' is not a PCI device; libvirt treats its PCI address as a conventional PCI device's`));
    }

    const bus = topo.buses.get(a.bus);
    if (d.cls.integrated && a.bus !== 0) {
      out.push(error('integrated', d, `the device at PCI address ${where} needs to be an integrated device (bus=0)`));
    } else if (!bus) {
      out.push(
        error(
          'bus-missing',
          d,
          a.bus >= topo.nbuses
            ? `invalid PCI address ${where}: only PCI buses up to ${topo.nbuses - 1} are available`
            : `invalid PCI address ${where}: no PCI controller has index ${a.bus}`,
        ),
      );
    } else {
      const connect = connectTypeOf(d, domain);
      if (!d.cls.integrated && !busAccepts(bus.spec.accepts, connect, true)) {
        out.push(
          error(
            'connect-type',
            d,
            `the device at PCI address ${where} cannot be plugged into the PCI controller with index='${a.bus}' (${bus.ctrl.model}). It requires a controller that accepts a ${CONNECT_TYPE_WORDING[connect]}.`,
          ),
        );
      }
      const [min, max] = bus.spec.slots;
      if (a.slot < min) out.push(error('slot-range', d, `invalid PCI address ${where}: slot must be >= ${min} on a ${bus.ctrl.model}`));
      if (a.slot > max) out.push(error('slot-range', d, `invalid PCI address ${where}: slot must be <= ${max} on a ${bus.ctrl.model}`));
    }

    if (a.bus === 0) {
      const r = reserved.find((x) => x.slot === a.slot && x.function === a.function);
      if (r && !(r.owner && isOwner(d, r.owner))) {
        out.push(error('reserved-slot', d, `PCI address ${where} is reserved for ${r.what}`));
      }
    }

    const key = fnKey(a);
    const twin = taken.get(key);
    if (twin) out.push(error('duplicate-address', d, `attempted double use of PCI Address ${where} (also used by ${twin.id})`));
    else taken.set(key, d);
  }

  out.push(...checkMultifunction(domain, taken));
  out.push(...checkChipsetOwners(domain, reserved));
  return out;
}

/**
 * A chipset function has one device: two devices that both are its owner (two PIIX3 USB
 * controllers with index 0 on pc) would both take it, wherever they are written without an
 * address or at it. libvirt: "Attempted double use of PCI Address".
 */
function checkChipsetOwners(domain: Domain, reserved: readonly Reservation[]): Problem[] {
  const out: Problem[] = [];
  for (const r of reserved) {
    if (!r.owner) continue;
    let first: Device | undefined;
    for (const d of domain.devices) {
      if (!isOwner(d, r.owner)) continue;
      const a = addressOf(d);
      if (a && !(a.bus === 0 && a.slot === r.slot && a.function === r.function)) continue;
      if (!first) first = d;
      else if (!a) out.push(error('duplicate-address', d, `attempted double use of PCI Address 0000:00:${hex(r.slot).slice(2)}.${r.function} (also used by ${first.id}): both are ${r.what}`));
    }
  }
  return out;
}

/** Function 0 present and multifunction='on' wherever a slot uses more than function 0. */
function checkMultifunction(domain: Domain, taken: Map<string, Device>): Problem[] {
  const out: Problem[] = [];
  const slots = new Map<string, { bus: number; slot: number; fns: Map<number, Device> }>();
  for (const [, d] of taken) {
    const a = addressOf(d)!;
    const k = slotKey(a);
    const s = slots.get(k) ?? { bus: a.bus, slot: a.slot, fns: new Map() };
    s.fns.set(a.function, d);
    slots.set(k, s);
  }
  for (const s of slots.values()) {
    const others = [...s.fns.keys()].filter((f) => f > 0).sort((x, y) => x - y);
    if (others.length === 0) continue;
    const at = `${formatAddress({ domain: 0, bus: s.bus, slot: s.slot, function: 0 }).slice(0, -2)}`;
    const f0 = s.fns.get(0);
    const chipsetF0 = s.bus === 0 && domain.machine.reserved.some((r) => r.slot === s.slot && r.function === 0);
    const firstOther = s.fns.get(others[0]!)!;
    if (!f0) {
      if (!chipsetF0) {
        out.push(
          error(
            'function-zero',
            firstOther,
            `slot ${at} uses function ${others[0]} but nothing is at function 0: a guest finds the functions of a slot only through function 0 (PCI spec; SeaBIOS and Linux never see it)`,
          ),
        );
      }
      continue;
    }
    const mf = (f0.address.type === 'pci' && f0.address.pci?.multifunction) || undefined;
    if (mf === 'off') {
      out.push(
        error(
          'multifunction',
          f0,
          `has multifunction='off' at ${at}.0 but ${firstOther.id} uses function ${others[0]} of the same slot (QEMU refuses a function > 0 beside a single-function device)`,
        ),
      );
    } else if (mf === undefined) {
      out.push(warning('multifunction', f0, `is function 0 of the multi-function slot ${at} without multifunction='on' (libvirt adds it)`));
    }
    if (s.fns.size > FUNCTIONS_PER_SLOT) out.push(error('duplicate-address', f0, `slot ${at} has more than 8 functions`));
  }
  return out;
}
