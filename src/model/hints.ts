// Placement hints live in two places. Users write them on the device, in the form proposed on
// libvirt's list: <addressPreferences hotplug='no' bus='pcie' numa='1' group='gpu0'/>. libvirt's
// schema does not know that element, so whatever pciplan writes carries the hints instead in its
// own namespace under <metadata>, keyed by device name, where `virsh define --validate` accepts
// them and pciplan finds them again when it reads its own output.
import { inputError } from '../errors.js';
import { appendChild, insertAfter, removeChild } from '../xml/edit.js';
import { attr, elements, firstElement, newElement, type XmlElement } from '../xml/tree.js';
import type { Where } from './numbers.js';
import { HintAttrsSchema, hintsFromAttrs, zodMessage } from './schemas.js';
import type { Device, Domain, Hints } from './types.js';

export const HINTS_ELEMENT = 'addressPreferences';
export const HINTS_NS = 'http://pciplan.dev/xmlns/placement/1.0';
const PREFIX = 'pciplan';

function attrsRecord(el: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name] of el.attrs) out[name] = attr(el, name)!;
  return out;
}

function parseHintAttrs(record: Record<string, string>, where: Where, element: string): Hints {
  const parsed = HintAttrsSchema.safeParse(record);
  if (!parsed.success) throw inputError(where.at, `${where.what}: <${element}>: ${zodMessage(parsed.error, record)}`);
  return hintsFromAttrs(parsed.data);
}

export function readElementHints(device: XmlElement, where: Where): Hints {
  const els = elements(device, HINTS_ELEMENT);
  if (els.length > 1) throw inputError(where.at, `${where.what}: more than one <${HINTS_ELEMENT}>`);
  const el = els[0];
  if (!el) return {};
  const at = el.line ? where.at.replace(/:\d+$/, '') + `:${el.line}` : where.at;
  return parseHintAttrs(attrsRecord(el), { ...where, at }, HINTS_ELEMENT);
}

/** The element under <metadata> that holds pciplan's hints, with the prefix it is written with. */
function findPlacement(root: XmlElement): { el: XmlElement; prefix: string } | undefined {
  const metadata = firstElement(root, 'metadata');
  if (!metadata) return undefined;
  for (const el of elements(metadata)) {
    const ns = el.attrs.find(([n]) => n.startsWith('xmlns:') && attr(el, n) === HINTS_NS);
    if (ns) return { el, prefix: ns[0].slice('xmlns:'.length) };
  }
  return undefined;
}

/** `<pciplan:spares-waived/>`: a greedy layout does not leave the spares the policy asked for. */
const SPARES_WAIVER = 'spares-waived';

export function readSparesWaived(root: XmlElement): boolean {
  const found = findPlacement(root);
  return !!found && elements(found.el, `${found.prefix}:${SPARES_WAIVER}`).length > 0;
}

/** Hints found in pciplan's metadata, by device index. */
export function readMetadataHints(root: XmlElement, domain: Domain): Map<number, Hints> {
  const out = new Map<number, Hints>();
  const found = findPlacement(root);
  if (!found) return out;
  const byId = new Map(domain.devices.map((d) => [d.id, d]));
  for (const el of elements(found.el, `${found.prefix}:device`)) {
    const where: Where = { at: el.line ? `${domain.file}:${el.line}` : domain.file, what: 'pciplan metadata' };
    const record = attrsRecord(el);
    const name = record.name;
    delete record.name;
    if (!name) throw inputError(where.at, `${where.what}: <${found.prefix}:device> needs a name='kind[…]' attribute`);
    const device = byId.get(name);
    if (!device) throw inputError(where.at, `${where.what}: no device named '${name}' in the domain (its hints cannot be applied)`);
    // One entry per device, as one <addressPreferences> per device: a second would silently win.
    if (out.has(device.index)) throw inputError(where.at, `${where.what}: a second <${found.prefix}:device> for ${name} (one entry per device)`);
    out.set(device.index, parseHintAttrs(record, { ...where, what: `${where.what} for ${name}` }, `${found.prefix}:device`));
  }
  return out;
}

function hintAttrs(h: Hints): [string, string][] {
  const a: [string, string][] = [];
  if (h.hotplug !== undefined) a.push(['hotplug', h.hotplug ? 'yes' : 'no']);
  if (h.bus) a.push(['bus', h.bus]);
  if (h.numa !== undefined) a.push(['numa', String(h.numa)]);
  if (h.group) a.push(['group', h.group]);
  if (h.waived?.length) a.push(['waived', h.waived.join(' ')]);
  return a;
}

/**
 * Move every device's hints into pciplan's metadata (on a document being written): removes the
 * <addressPreferences> elements and writes one metadata entry per device that has hints.
 * `deviceEls` are the device elements of `devices`, in the same order.
 */
export function moveHintsToMetadata(root: XmlElement, devices: readonly Device[], deviceEls: readonly XmlElement[], sparesWaived = false): void {
  for (const el of deviceEls) for (const h of elements(el, HINTS_ELEMENT)) removeChild(el, h);
  const entries = devices
    .filter((d) => hintAttrs(d.hints).length > 0)
    .map((d) => (prefix: string) => newElement(`${prefix}:device`, [['name', d.id], ...hintAttrs(d.hints)]));
  const placement = findPlacement(root);
  if (placement) {
    for (const old of elements(placement.el, `${placement.prefix}:device`)) removeChild(placement.el, old);
    const waiver = elements(placement.el, `${placement.prefix}:${SPARES_WAIVER}`);
    for (const old of waiver) removeChild(placement.el, old);
    for (const make of entries) appendChild(placement.el, make(placement.prefix));
    if (sparesWaived) appendChild(placement.el, newElement(`${placement.prefix}:${SPARES_WAIVER}`, []));
    return;
  }
  if (entries.length === 0 && !sparesWaived) return;
  // A fresh subtree is laid out in one go when it is inserted.
  const children = [...entries.map((make) => make(PREFIX)), ...(sparesWaived ? [newElement(`${PREFIX}:${SPARES_WAIVER}`, [])] : [])];
  const el = newElement(`${PREFIX}:placement`, [[`xmlns:${PREFIX}`, HINTS_NS]], children);
  const metadata = firstElement(root, 'metadata');
  if (metadata) {
    appendChild(metadata, el);
    return;
  }
  // libvirt writes <metadata> after the name/uuid/title/description block.
  const after = ['description', 'title', 'genid', 'uuid', 'name'].map((n) => firstElement(root, n)).find((e) => e !== undefined);
  insertAfter(root, after ?? null, newElement('metadata', [], [el]));
}
