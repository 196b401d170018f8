// i440fx's root bus hotplug as a setting pciplan may choose (docs/pci-rules.md, Hotplug).
//
// Since libvirt 7.9, `<target hotplug='off'/>` on the pc machine's pci-root turns off ACPI hotplug
// of pci.0 (QEMU's PIIX4_PM.acpi-root-pci-hotplug=off); the slots of pci-bridges stay
// hot-pluggable (SHPC). Those are the only slots of a pc machine the guest cannot eject: pci.0
// with hotplug on, pci-bridges and pci-expander-buses are all hot-pluggable. So a device that must
// not be ejectable (hotplug='no', or the policy's default) has a place exactly when pci.0's
// hotplug is off, and turning it off gains nothing otherwise (it only takes places from
// hot-pluggable devices). Whether to turn it off is therefore decided before the search, exactly:
// off when such a device exists and the user wrote no setting of their own (a written one is a
// fixed input). Devices nobody said anything about then take libvirt's default for the domain
// as written, with pci.0's hotplug off.
import { cloneDocument, elements, firstElement, newElement, rootElement, type XmlElement } from '../xml/tree.js';
import { appendChild, insertAfter } from '../xml/edit.js';
import { nameList } from '../conflict.js';
import { roleOf, rootRole } from '../catalog/index.js';
import { readDomain, type ParsedDomain } from './parseDomain.js';
import type { Policy } from './schemas.js';
import type { Device, Domain } from './types.js';

/** A machine setting pciplan chose, and what made it choose so. */
export interface SettingChange {
  /** The controller it is set on, as devices are named (ROOT_CONTROLLER). */
  device: string;
  /** The attribute and value written: `<target hotplug='off'/>`. */
  target: { hotplug: 'off' };
  /** The devices that need it; empty when the policy's default asks it of every device. */
  devices: string[];
  why: string;
}

/** How the root controller a setting is made on is named (as devices are): controller[pci 0]. */
export const ROOT_CONTROLLER = 'controller[pci 0]';

/** The conventional root (pci.0) the domain writes, if it writes one. */
export function pciRoot(domain: Domain): Device | undefined {
  return domain.devices.find((d) => d.pci?.index === 0 && roleOf(d.pci.model) === 'conventional-root');
}

/** An i440fx machine: pc, whose root is conventional PCI (the only machine with the setting). */
function isI440fx(domain: Domain): boolean {
  return domain.machine.family === 'pc' && rootRole(domain.machine) === 'conventional-root';
}

/**
 * Whether pci.0's hotplug could be turned off for this domain (@rule hotplug-no: on i440fx it is
 * what gives such a device a place): a pc machine whose pci-root has no
 * hotplug setting written (or, with `written: 'lift'`, none but 'on': explain's fix lifts the
 * user's), with devices that must not be hot-pluggable. Those devices, or undefined when there is
 * nothing to choose.
 */
export function rootHotplugOffFor(domain: Domain, policy: Policy, written: 'fixed' | 'lift' = 'fixed'): Device[] | undefined {
  if (!isI440fx(domain)) return undefined;
  const setting = pciRoot(domain)?.pci?.target.hotplug;
  if (setting === 'off' || (setting !== undefined && written === 'fixed')) return undefined;
  const hinted = domain.devices.filter((d) => d.hints.hotplug === false);
  if (!hinted.length && policy.hotplug !== 'no') return undefined;
  return hinted;
}

/** The domain with `<target hotplug='off'/>` on its pci-root, written where there is none. */
export function withRootHotplugOff(parsed: ParsedDomain): ParsedDomain | undefined {
  const { domain } = parsed;
  const doc = cloneDocument(parsed.doc);
  const top = rootElement(doc);
  const devicesEl = firstElement(top, 'devices');
  if (!devicesEl) return undefined;
  const root = pciRoot(domain);
  const target = newElement('target', [['hotplug', 'off']]);
  if (root) {
    const el = (top.children[root.path[0]!] as XmlElement).children[root.path[1]!] as XmlElement;
    const t = elements(el, 'target')[0];
    if (t) t.attrs = [...t.attrs.filter(([n]) => n !== 'hotplug'), ['hotplug', 'off']];
    else appendChild(el, target);
  } else {
    // libvirt adds the pci-root itself; written out, it goes with the other controllers.
    const el = newElement('controller', [['type', 'pci'], ['index', '0'], ['model', domain.machine.root]], [target]);
    const last = elements(devicesEl, 'controller').at(-1);
    if (last) insertAfter(devicesEl, last, el);
    else appendChild(devicesEl, el);
  }
  return { doc, domain: readDomain(doc, domain.file) };
}

/**
 * With an earlier layout of the domain: pci.0's hotplug='off' that layout has and the domain does
 * not write (pciplan chose it then) is kept, as its addresses are. Turning it back on would change
 * what the guest may eject of every device on pci.0, and leave the addresses kept for it wrong.
 */
export function keepRootHotplug(current: ParsedDomain, previous: ParsedDomain): ParsedDomain {
  const { domain } = current;
  if (!isI440fx(domain)) return current;
  if (pciRoot(domain)?.pci?.target.hotplug !== undefined || pciRoot(previous.domain)?.pci?.target.hotplug !== 'off') return current;
  return withRootHotplugOff(current) ?? current;
}

/**
 * The root bus hotplug pciplan chooses for an optimal layout: the domain to plan, and the change
 * it made, if any (see the top of this file).
 */
export function decideRootHotplug(parsed: ParsedDomain, policy: Policy): { parsed: ParsedDomain; change?: SettingChange } {
  const need = rootHotplugOffFor(parsed.domain, policy);
  const off = need && withRootHotplugOff(parsed);
  if (!need || !off) return { parsed };
  const devices = need.map((d) => d.id);
  const who = devices.length ? `hotplug='no' on ${nameList(devices, 8)}` : "the policy's hotplug='no'";
  return {
    parsed: off,
    change: {
      device: ROOT_CONTROLLER,
      target: { hotplug: 'off' },
      devices,
      why: `${who} ${devices.length > 1 ? 'need' : 'needs'} slots the guest cannot eject, and on i440fx only pci.0 has them once its ACPI hotplug is off (libvirt 7.9 or later); hot-pluggable devices go behind pci-bridges`,
    },
  };
}

/** The change as one line: what was set where, and why. */
export function settingLine(c: Pick<SettingChange, 'device' | 'target' | 'why'>): string {
  return `${c.device}: <target hotplug='${c.target.hotplug}'/> set: ${c.why}`;
}
