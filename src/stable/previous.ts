// `assign --previous OLD.xml`: the addresses of an earlier layout become fixed inputs of this one.
// Every device of OLD that is still in the domain gets its old address back, every PCI controller
// of OLD that the domain no longer writes is carried over (with --drop-unused: only those with a
// kept device somewhere below them), and so are the devices libvirt would add by itself (USB,
// SATA, balloon ...) that OLD holds. A kept address that breaks a requirement now (a hint changed,
// a device turned hotplug='no', a group formed) is released, with the validator's reason: that
// device, and only it, is placed again. The allocator then sees fixed addresses, exactly as for
// `attach`, so the new devices get the fewest added controllers around what is kept.
import { implicitDevices } from '../alloc/implicit.js';
import { inputFaults } from '../validate/inputFaults.js';
import { applyLayout } from '../model/applyLayout.js';
import { readDomain, type ParsedDomain } from '../model/parseDomain.js';
import type { Policy } from '../model/schemas.js';
import { addressOf } from '../model/topology.js';
import { formatAddress, needsPciAddress, type Device, type Domain, type PciAddress } from '../model/types.js';
import { attr, childPath, rootElement, type XmlDocument, type XmlElement } from '../xml/tree.js';

export interface PreviousOptions {
  /** Old controllers that nothing kept sits under are dropped instead of carried. */
  dropUnused?: boolean;
}

/** A device whose old address is released, with the requirement it breaks. */
export interface Released {
  id: string;
  from: PciAddress;
  why: string;
}

export interface Pinned {
  /** The domain with the old addresses written in and the old controllers carried over. */
  parsed: ParsedDomain;
  /** Every address that must come out unchanged, by device id. */
  kept: Map<string, PciAddress>;
  released: Released[];
}

export function deviceElements(doc: XmlDocument, domain: Domain): XmlElement[] {
  const root = rootElement(doc);
  return domain.devices.map((d) => (root.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement);
}

/** The keys a device is recognised by across two versions of a domain, strongest first. */
function matchKeys(d: Device, el: XmlElement): string[] {
  const keys: string[] = [];
  if (d.alias) keys.push(`alias|${d.kind}|${d.alias}`);
  const natural = (() => {
    switch (d.kind) {
      case 'disk':
        return childPath(el, 'target') && attr(childPath(el, 'target')!, 'dev');
      case 'interface':
        return childPath(el, 'mac') && attr(childPath(el, 'mac')!, 'address')?.toLowerCase();
      case 'controller':
        return `${d.props.type ?? ''} ${d.props.index ?? ''}`;
      case 'filesystem':
        return childPath(el, 'target') && attr(childPath(el, 'target')!, 'dir');
      case 'hostdev':
        return d.hostSource;
      default:
        return undefined;
    }
  })();
  if (natural) keys.push(`key|${d.kind}|${natural}`);
  return keys;
}

/**
 * Old device for each new one: by alias, then by natural key (disk target, MAC, controller
 * type+index, filesystem target, host source), then the rest of a kind in document order.
 */
export function matchDevices(current: ParsedDomain, previous: ParsedDomain): Map<number, Device> {
  const newEls = deviceElements(current.doc, current.domain);
  const oldEls = deviceElements(previous.doc, previous.domain);
  const newKeys = current.domain.devices.map((d) => matchKeys(d, newEls[d.index]!));
  const oldKeys = previous.domain.devices.map((d) => matchKeys(d, oldEls[d.index]!));
  const match = new Map<number, Device>();
  const taken = new Set<number>();
  for (const level of ['alias|', 'key|']) {
    const byKey = new Map<string, Device>();
    for (const o of previous.domain.devices) {
      const k = oldKeys[o.index]!.find((x) => x.startsWith(level));
      if (k && !byKey.has(k)) byKey.set(k, o);
    }
    for (const d of current.domain.devices) {
      if (match.has(d.index)) continue;
      const k = newKeys[d.index]!.find((x) => x.startsWith(level));
      const o = k && byKey.get(k);
      if (o && !taken.has(o.index)) {
        match.set(d.index, o);
        taken.add(o.index);
      }
    }
  }
  // The rest, kind by kind in document order; a device with a natural key only matches by it.
  const keyed = (keys: string[]) => keys.some((k) => k.startsWith('key|'));
  for (const d of current.domain.devices) {
    if (match.has(d.index) || keyed(newKeys[d.index]!)) continue;
    const o = previous.domain.devices.find((x) => !taken.has(x.index) && x.kind === d.kind && !keyed(oldKeys[x.index]!));
    if (o) {
      match.set(d.index, o);
      taken.add(o.index);
    }
  }
  return match;
}

const implicitKey = (el: XmlElement) => `${el.name}|${attr(el, 'type') ?? ''}|${attr(el, 'index') ?? ''}`;

/** The new domain with the previous layout's addresses as fixed inputs. */
export function pinPrevious(current: ParsedDomain, previous: ParsedDomain, policy: Policy, opts: PreviousOptions = {}): Pinned {
  const match = matchDevices(current, previous);
  const oldEls = deviceElements(previous.doc, previous.domain);
  const matchedOld = new Set([...match.values()].map((o) => o.index));

  // Old addresses for the devices that have none now (an address the user wrote wins).
  const pins = new Map<number, PciAddress>();
  for (const d of current.domain.devices) {
    const o = match.get(d.index);
    const old = o && addressOf(o);
    if (old && needsPciAddress(d) && !addressOf(d)) pins.set(d.index, { ...old });
  }

  // Devices libvirt would add to the new domain, where OLD has them already.
  const implied = new Set(implicitDevices(current.domain, deviceElements(current.doc, current.domain)).map((i) => implicitKey(i.element)));
  const carriedImplicit = previous.domain.devices.filter((o) => !matchedOld.has(o.index) && !o.pci && implied.has(implicitKey(oldEls[o.index]!)));
  // Old PCI controllers the domain no longer writes.
  const oldCtrls = previous.domain.devices.filter((o) => !matchedOld.has(o.index) && o.pci && needsPciAddress(o));

  const build = (pinned: ReadonlyMap<number, PciAddress>) => {
    const carried = new Set([...carriedImplicit, ...(opts.dropUnused ? [] : oldCtrls)]);
    if (opts.dropUnused) {
      // Controllers with something kept below them, transitively.
      const buses = new Set<number>();
      const note = (a: PciAddress | undefined) => a && buses.add(a.bus);
      for (const d of current.domain.devices) note(pinned.get(d.index) ?? addressOf(d));
      for (const o of carriedImplicit) note(addressOf(o));
      for (let grew = true; grew; ) {
        grew = false;
        for (const c of oldCtrls) {
          if (carried.has(c) || !buses.has(c.pci!.index)) continue;
          carried.add(c);
          note(addressOf(c));
          grew = true;
        }
      }
    }
    const implicit = previous.domain.devices.filter((o) => carried.has(o)).map((o) => ({ element: structuredClone(oldEls[o.index]!) }));
    const doc = applyLayout(current.doc, current.domain, { addresses: pinned, added: [], implicit });
    return { doc, domain: readDomain(doc, current.domain.file), carried: [...carried] };
  };

  // Release what a kept address no longer allows, until the pinned layout breaks no requirement.
  const released: Released[] = [];
  const release = (index: number, why: string) => {
    const d = current.domain.devices[index]!;
    released.push({ id: d.id, from: pins.get(index)!, why });
    pins.delete(index);
  };
  let built = build(pins);
  for (let guard = 0; guard <= current.domain.devices.length; guard++) {
    const byId = new Map(current.domain.devices.filter((d) => pins.has(d.index)).map((d) => [d.id, d.index]));
    const before = released.length;
    // A group is one slot: kept functions stay together only if the whole group is kept in one.
    const groups = new Map<string, Device[]>();
    for (const d of built.domain.devices) if (d.hints.group !== undefined) groups.set(d.hints.group, [...(groups.get(d.hints.group) ?? []), d]);
    for (const [name, members] of groups) {
      const pinnedMembers = members.filter((m) => byId.has(m.id));
      const slots = new Set(members.map((m) => { const a = addressOf(m); return a ? `${a.bus}:${a.slot}` : 'none'; }));
      if (pinnedMembers.length === 0 || slots.size === 1) continue;
      for (const m of pinnedMembers) release(byId.get(m.id)!, `group='${name}' is one slot now (${members.map((x) => x.id).join(', ')}) [hint-group]`);
    }
    if (released.length === before) {
      for (const p of inputFaults(built.domain, policy)) {
        const index = p.device !== undefined ? byId.get(p.device) : undefined;
        if (index === undefined || !pins.has(index)) continue;
        release(index, `${p.message} [${p.rule}]`);
      }
    }
    if (released.length === before) break;
    built = build(pins);
  }

  const kept = new Map<string, PciAddress>();
  for (const d of current.domain.devices) if (pins.has(d.index)) kept.set(d.id, pins.get(d.index)!);
  for (const o of built.carried) if (addressOf(o)) kept.set(o.id, addressOf(o)!);
  return { parsed: { doc: built.doc, domain: built.domain }, kept, released };
}

export const addressText = (a: PciAddress | undefined) => (a ? formatAddress(a) : 'nowhere');
