// Whether placement hints and the policy are honoured by the addresses as written. A hint on a
// device without an address is a requirement for the allocator, not a validation failure.
import { FUNCTIONS_PER_SLOT, rootComplexFunction, rootRole, type BusKind } from '../catalog/index.js';
import type { Policy } from '../model/schemas.js';
import { addressOf, busHotpluggable, numaBus, busKind, freeSlots, isPortBus, slotKey, type Bus, type Topology } from '../model/topology.js';
import { formatAddress, type Device, type Domain, type WaivableHint } from '../model/types.js';
import { isOwner } from './addresses.js';
import { error, warning, type Problem, type RuleId } from './problems.js';

/** Devices the chipset or their class pins to bus 0: hotplug policy does not apply to them. */
function pinned(d: Device, domain: Domain): boolean {
  return d.cls.integrated || domain.machine.reserved.some((r) => r.owner && isOwner(d, r.owner));
}

/**
 * What a device is in a slot of this bus: the bus's kind, except on the PCI Express root complex,
 * where it depends on the device model (catalog ROOT_COMPLEX_FUNCTION).
 */
export function slotKind(bus: Bus, d: Device): BusKind | undefined {
  return bus.spec.role === 'express-root' ? rootComplexFunction(d.cls.connect) : busKind(bus);
}

/**
 * A requirement the layout breaks: an error, or a warning of its own rule when the file records
 * that the layout was written without honouring it (greedy's waivers in pciplan's metadata).
 */
function breach(hint: WaivableHint, rule: RuleId, d: Device, message: string, waived = d.hints.waived?.includes(hint) ?? false): Problem {
  return waived ? { ...warning('hint-waived', d, `${message} [${rule}, waived: written by greedy, which does not honour it]`), waives: rule } : error(rule, d, message);
}

const place = (bus: Bus) => `${bus.ctrl.model} (index ${bus.index}${bus.ctrl.target.hotplug === 'off' ? ", hotplug='off'" : ''})`;

export function checkHints(domain: Domain, topo: Topology, policy: Policy): Problem[] {
  const out: Problem[] = [];
  // A hotplug hint on one function of a group speaks for the whole slot.
  const groupHotplug = new Map<string, boolean>();
  for (const d of domain.devices) {
    if (d.hints.group !== undefined && d.hints.hotplug !== undefined && !groupHotplug.has(d.hints.group)) groupHotplug.set(d.hints.group, d.hints.hotplug);
  }
  // The functions of each slot: a slot is hot-plugged and ejected as a whole.
  const bySlot = new Map<string, Device[]>();
  for (const d of topo.used.values()) {
    const k = slotKey(addressOf(d)!);
    const list = bySlot.get(k);
    if (list) list.push(d);
    else bySlot.set(k, [d]);
  }
  const faults = hintFaults(domain, topo);
  out.push(...faults);
  const faulty = new Set(faults.map((p) => p.device));
  for (const d of domain.devices) {
    if (d.pci || faulty.has(d.id)) continue;
    const h = d.hints;
    // Hints the allocator refuses as a conflict of their own (buildInstance, the count model).
    if (h.numa !== undefined && !domain.numaCells.includes(h.numa)) {
      out.push(breach('numa', 'hint-numa', d, `asks for NUMA node ${h.numa}, which is not in <cpu><numa> (cells: ${domain.numaCells.join(', ') || 'none'})`));
    }
    if (h.bus === 'pcie' && rootRole(domain.machine) !== 'express-root') {
      out.push(breach('bus', 'hint-bus', d, `asks for bus='pcie' but machine '${domain.machineName}' has no PCI Express root`));
    }
    const a = addressOf(d);
    const bus = a && topo.buses.get(a.bus);
    if (!a || !bus) continue;
    const fromGroup = h.group !== undefined ? groupHotplug.get(h.group) : undefined;
    const hotplug = h.hotplug ?? fromGroup ?? (policy.hotplug && !pinned(d, domain) ? policy.hotplug === 'yes' : undefined);
    const why = h.hotplug !== undefined ? 'hotplug' : fromGroup !== undefined ? `its group's hotplug` : 'the policy default hotplug';
    if (hotplug === true && !busHotpluggable(bus)) {
      out.push(breach('hotplug', 'hint-hotplug', d, `${why}=yes, but ${formatAddress(a)} is on ${place(bus)}, where the guest cannot hotplug`));
    }
    // QEMU ejects every function of a slot (ACPI _EJ0 per slot; a PCIe port powers off its link):
    // a device that must be hot-pluggable shares its slot only with its own group.
    const stranger = (h.hotplug ?? fromGroup) === true ? bySlot.get(slotKey(a))?.find((x) => x !== d && (h.group === undefined || x.hints.group !== h.group)) : undefined;
    if (stranger) {
      out.push(breach('hotplug', 'hint-hotplug', d, `${why}=yes, but ${formatAddress(a)} shares its slot with ${stranger.id}, which is not in its group: QEMU hot-plugs and ejects a slot as a whole`));
    }
    // A device that must not be hot-pluggable, where the guest can eject it (@rule hotplug-no).
    if (hotplug === false && busHotpluggable(bus)) {
      out.push(
        breach('hotplug', 'hint-hotplug', d,
          `${why}=no, but ${formatAddress(a)} is on ${place(bus)}, where the guest can eject it (use pcie.0 or a port with hotplug='off')`,
        ),
      );
    }
    if (h.numa !== undefined && domain.numaCells.includes(h.numa)) {
      const onNode = numaBus(topo, a.bus);
      if (onNode?.ctrl.target.node !== h.numa) {
        out.push(
          breach(
            'numa',
            'hint-numa',
            d,
            onNode
              ? `asks for NUMA node ${h.numa} but sits under ${onNode.device.id}, which is on node ${onNode.ctrl.target.node}`
              : `asks for NUMA node ${h.numa} but is not under an expander bus with <node>${h.numa}</node>`,
          ),
        );
      }
    }
    const kind = slotKind(bus, d);
    if (h.bus && kind !== h.bus) {
      const what = bus.spec.role === 'express-root' ? `${d.id} is a ${kind === 'pci' ? 'conventional PCI function' : 'PCI Express integrated endpoint'} on the root complex` : `${formatAddress(a)} is a ${kind ?? 'non-endpoint'} slot`;
      out.push(breach('bus', 'hint-bus', d, `asks for bus='${h.bus}' but ${what} (${formatAddress(a)} on ${place(bus)})`));
    }
  }
  out.push(...checkGroups(domain));
  return out;
}

const HINT_RULE = { hotplug: 'hint-hotplug', bus: 'hint-bus', numa: 'hint-numa', group: 'hint-group' } as const;

/** The hints given, as written: `hotplug='no' numa='1'`. */
function hintText(h: Device['hints'], given: readonly (keyof typeof HINT_RULE)[]): string {
  return given.map((k) => `${k}='${h[k] === true ? 'yes' : h[k] === false ? 'no' : String(h[k])}'`).join(' ');
}

/**
 * Hints no placement can honour and the allocator cannot weigh: any hint on a device that takes
 * no PCI address, and, on a device bus 0 or the chipset pins (integrated devices, the chipset's
 * own functions), a hint bus 0 does not meet; and bus='pcie' on a conventional PCI device. These are faults of the input, reported before any
 * placement (assign and explain refuse them as validate does). A NUMA node that is not a cell,
 * or bus='pcie' where there is none, is a conflict the allocator names (checkHints below).
 */
export function hintFaults(domain: Domain, topo: Topology): Problem[] {
  const out: Problem[] = [];
  const root = topo.buses.get(0)!;
  for (const d of domain.devices) {
    const h = d.hints;
    const given = (Object.keys(HINT_RULE) as (keyof typeof HINT_RULE)[]).filter((k) => h[k] !== undefined);
    if (given.length === 0) continue;
    // A PCI controller's place follows from its model (the catalog) and the devices behind it:
    // a hint on one is neither checked nor weighed anywhere, so it is refused, not ignored.
    if (d.pci) {
      out.push(error(HINT_RULE[given[0]!], d, `has ${hintText(h, given)}, but it is a PCI controller (${d.pci.model}): placement hints apply to devices, and a controller's place follows from its model and the devices behind it`));
      continue;
    }
    const a = addressOf(d);
    if (!a && (d.cls.connect === 'none' || d.cls.addressRule === 'mirror')) {
      const what = hintText(h, given);
      out.push(error(HINT_RULE[given[0]!], d, `has ${what}, but ${d.kind}${d.props.bus ? ` on bus '${d.props.bus}'` : d.props.model ? ` model '${d.props.model}'` : ''} takes no PCI address: placement hints apply to PCI devices only`));
      continue;
    }
    // A conventional PCI device is a conventional function in every slot (catalog
    // ROOT_COMPLEX_FUNCTION; behind a port it is still no PCI Express function): no place meets it.
    if (h.bus === 'pcie' && d.cls.connect === 'pci' && rootRole(domain.machine) === 'express-root') {
      out.push(error('hint-bus', d, `asks for bus='pcie' but ${d.kind} model '${d.props.model ?? ''}' is a conventional PCI device`));
      continue;
    }
    if (a) continue;
    // Pinned to bus 0: the hints are checked against the slot it will take there.
    const chipset = domain.machine.reserved.find((r) => r.owner && isOwner(d, r.owner));
    if (!chipset && !d.cls.integrated) continue;
    const where = chipset ? `the chipset fixes its address (00:${chipset.slot.toString(16).padStart(2, '0')}.${chipset.function ?? 0})` : 'it is an integrated device (bus 0 only)';
    if (h.numa !== undefined) {
      out.push(error('hint-numa', d, `asks for NUMA node ${h.numa}, but ${where}, and bus 0 belongs to no NUMA node`));
    }
    if (h.hotplug !== undefined && h.hotplug !== busHotpluggable(root)) {
      out.push(error('hint-hotplug', d, `asks for hotplug='${h.hotplug ? 'yes' : 'no'}', but ${where}, where the guest ${busHotpluggable(root) ? 'can' : 'cannot'} hotplug`));
    } else if (h.hotplug === true && chipset && domain.machine.reserved.some((r) => r !== chipset && r.slot === chipset.slot)) {
      // The chipset's slot holds its other functions too (the ISA bridge at 01.0), and QEMU ejects a slot whole.
      out.push(error('hint-hotplug', d, `asks for hotplug='yes', but ${where}, a slot it shares with the chipset's other functions: QEMU hot-plugs and ejects a slot as a whole`));
    }
    const kind = slotKind(root, d);
    if (h.bus !== undefined && kind !== h.bus && !(h.bus === 'pcie' && rootRole(domain.machine) !== 'express-root')) {
      out.push(error('hint-bus', d, `asks for bus='${h.bus}', but ${where}, where it is a ${kind === 'pci' ? 'conventional PCI' : 'PCI Express'} function`));
    }
    if (h.group !== undefined && chipset) {
      out.push(error('hint-group', d, `has group='${h.group}', but ${where}, in the chipset's slot: a group needs a slot of its own`));
    }
  }
  return out;
}

function checkGroups(domain: Domain): Problem[] {
  const out: Problem[] = [];
  const groups = new Map<string, Device[]>();
  for (const d of domain.devices) {
    if (d.hints.group === undefined) continue;
    groups.set(d.hints.group, [...(groups.get(d.hints.group) ?? []), d]);
  }
  for (const [name, members] of groups) {
    const first = members[0]!;
    const waived = members.some((m) => m.hints.waived?.includes('group'));
    if (members.length > FUNCTIONS_PER_SLOT) {
      out.push(breach('group', 'hint-group', first, `group '${name}' has ${members.length} devices; one slot has ${FUNCTIONS_PER_SLOT} functions`, waived));
      continue;
    }
    const placed = members.filter((m) => addressOf(m));
    if (placed.length === 0) continue;
    const slots = new Set(placed.map((m) => slotKey(addressOf(m)!)));
    if (slots.size > 1 || placed.length < members.length) {
      out.push(breach('group', 'hint-group', first, `group '${name}' (${members.map((m) => m.id).join(', ')}) must share one slot; its devices are at ${members.map((m) => (addressOf(m) ? formatAddress(addressOf(m)!) : 'no address')).join(', ')}`, waived));
      continue;
    }
    const f0 = addressOf(first)!;
    if (f0.function !== 0) {
      out.push(breach('group', 'hint-group', first, `group '${name}': the first device in document order must be function 0, but ${first.id} is at ${formatAddress(f0)}`, waived));
    }
  }
  return out;
}

/** Free hot-pluggable PCIe ports and conventional PCI slots, as the policy counts them. */
export function spareCapacity(domain: Domain, topo: Topology): { pciePorts: number; pciSlots: number } {
  let pciePorts = 0;
  let pciSlots = 0;
  for (const bus of topo.buses.values()) {
    if (!busHotpluggable(bus)) continue;
    if (isPortBus(bus)) pciePorts += freeSlots(domain, topo, bus).length;
    else if (busKind(bus) === 'pci') pciSlots += freeSlots(domain, topo, bus).length;
  }
  return { pciePorts, pciSlots };
}

export function checkPolicySpares(domain: Domain, topo: Topology, policy: Policy): Problem[] {
  if (policy.sparePciePorts === undefined && policy.sparePciSlots === undefined) return [];
  const unassigned = domain.devices.some((d) => d.address.type === 'pci' && !d.address.pci);
  if (unassigned) return [];
  const have = spareCapacity(domain, topo);
  const out: Problem[] = [];
  const report = (message: string) =>
    domain.sparesWaived
      ? { ...warning('hint-waived', undefined, `${message} [policy-spares, waived: written by greedy, which does not honour it]`), waives: 'policy-spares' as const }
      : error('policy-spares', undefined, message);
  if (policy.sparePciePorts !== undefined && have.pciePorts < policy.sparePciePorts) {
    out.push(report(`the policy asks for ${policy.sparePciePorts} free hot-pluggable PCIe ports; the layout leaves ${have.pciePorts}`));
  }
  if (policy.sparePciSlots !== undefined && have.pciSlots < policy.sparePciSlots) {
    out.push(report(`the policy asks for ${policy.sparePciSlots} free hot-pluggable PCI slots; the layout leaves ${have.pciSlots}`));
  }
  return out;
}
