// "Nothing of the user's XML is lost or reordered except what pciplan adds": a check of assign's
// output against its input, byte for byte, with the fuzzer's own scanner (scan.ts), not pciplan's
// parser or writer. What assign may change is exactly this (src/model/applyLayout.ts):
//   - the <address type='pci'> of a device (a new one, or an all-zero one filled in); a PCI address
//     the user gave (any of domain/bus/slot/function not zero) stays as written, but may gain
//     multifunction='on';
//   - controllers and the devices libvirt adds by itself (memballoon, video) inserted in <devices>,
//     and <devices> itself when the domain has none;
//   - <addressPreferences> hints moved into pciplan's metadata element (created in <metadata>, or
//     <metadata> created for it), which holds the same hints.
// Everything else, including whitespace, quotes and the spelling of every tag, must be identical.
import { attrsOf, childElements, scanXml, type ScanElement, type ScanNode } from './scan.js';

export const HINTS_NS = 'http://pciplan.dev/xmlns/placement/1.0';

interface Item {
  /** The whitespace-only text before the node ('' when none). */
  ws: string;
  node: ScanNode;
}

const isWs = (n: ScanNode) => n.kind === 'text' && n.raw.trim() === '';
const attr = (el: ScanElement, name: string) => attrsOf(el).find((a) => a.name === name)?.value;
const isPlacement = (el: ScanElement) => attrsOf(el).some((a) => a.name.startsWith('xmlns:') && a.value === HINTS_NS);
/** A start tag without its closing '>' or '/>': `<devices/>` and `<devices>` are the same start. */
const openKey = (el: ScanElement) => (el.selfClosing ? el.open.slice(0, -2) : el.open.slice(0, -1));
const snippet = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 117)}...` : s);

function items(children: ScanNode[], drop: (el: ScanElement) => boolean): { items: Item[]; tail: string; dropped: number } {
  const out: Item[] = [];
  let dropped = 0;
  let ws = '';
  for (const c of children) {
    if (isWs(c)) {
      ws += (c as { raw: string }).raw;
      continue;
    }
    if (c.kind === 'el' && drop(c)) {
      ws = '';
      dropped++;
      continue;
    }
    out.push({ ws, node: c });
    ws = '';
  }
  return { items: out, tail: ws, dropped };
}

type Ctx = 'doc' | 'domain' | 'devices' | 'device' | 'metadata' | 'other';
const childCtx = (ctx: Ctx, el: ScanElement): Ctx =>
  ctx === 'doc' && el.name === 'domain' ? 'domain'
  : ctx === 'domain' && el.name === 'devices' ? 'devices'
  : ctx === 'domain' && el.name === 'metadata' ? 'metadata'
  : ctx === 'devices' && el.name !== 'emulator' ? 'device'
  : 'other';

/** Elements pciplan may change or move, left out on both sides. */
function dropped(ctx: Ctx, el: ScanElement): boolean {
  if (ctx === 'device') return (el.name === 'address' && attr(el, 'type') === 'pci') || el.name === 'addressPreferences';
  if (ctx === 'metadata') return isPlacement(el);
  return false;
}

/** What pciplan may add where nothing matches in the input. */
function addition(ctx: Ctx, el: ScanElement, input: ScanElement | undefined): boolean {
  if (ctx === 'devices') return ['controller', 'memballoon', 'video'].includes(el.name);
  if (ctx === 'domain' && el.name === 'devices') return !input || !childElements(input, 'devices').length;
  if (ctx === 'domain' && el.name === 'metadata') return (!input || !childElements(input, 'metadata').length) && childElements(el).every(isPlacement);
  return false;
}

/**
 * Whether the values of a user's PCI address say it is placed: libvirt fills one whose domain, bus
 * and slot are zero whatever its function (virsh 9.0: function='0x1' multifunction='on' with no
 * slot comes back as 00:01.1, multifunction dropped), and so does pciplan.
 */
function placed(el: ScanElement): boolean {
  return ['domain', 'bus', 'slot'].some((n) => {
    const v = attr(el, n);
    if (v === undefined) return false;
    const num = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? parseInt(v, 10) : Number.NaN;
    return num !== 0;
  });
}

/** A user-placed PCI address must come out as written (multifunction='on' may be added). */
function keptAddress(input: ScanElement, output: ScanElement, path: string, out: string[]): void {
  const a = childElements(input, 'address').find((e) => attr(e, 'type') === 'pci');
  if (!a || !placed(a)) return;
  const b = childElements(output, 'address').find((e) => attr(e, 'type') === 'pci');
  if (!b) {
    out.push(`${path}: the user's PCI address ${snippet(a.open)} is gone`);
    return;
  }
  const ia = attrsOf(a);
  const ib = attrsOf(b);
  const same = ia.every((x) => ib.some((y) => y.name === x.name && y.value === x.value)) && ib.every((y) => ia.some((x) => x.name === y.name) || (y.name === 'multifunction' && y.value === 'on'));
  if (!same) out.push(`${path}: the user's PCI address ${snippet(a.open)} became ${snippet(b.open)}`);
}

function compareChildren(input: ScanElement | undefined, inKids: ScanNode[], outKids: ScanNode[], ctx: Ctx, path: string, out: string[]): void {
  const a = items(inKids, (el) => dropped(ctx, el));
  const b = items(outKids, (el) => dropped(ctx, el));
  let j = 0;
  let added = false;
  let addedWs = '';
  for (const x of a.items) {
    for (;;) {
      const y = b.items[j];
      if (!y) {
        out.push(`${path}: ${snippet(raw(x.node))} is missing from the output`);
        return;
      }
      if (same(x.node, y.node)) break;
      if (y.node.kind === 'el' && addition(ctx, y.node, input)) {
        if (!added) addedWs = y.ws;
        j++;
        added = true;
        continue;
      }
      out.push(`${path}: ${snippet(raw(x.node))} became ${snippet(raw(y.node))}`);
      return;
    }
    const y = b.items[j]!;
    // Where pciplan inserted elements, the user's whitespace stays before the next node or moves
    // before the first inserted one (an insertion as the first child); either is kept.
    if (x.ws !== y.ws && !(added && x.ws === addedWs)) out.push(`${path}: whitespace before ${snippet(raw(x.node))} changed from ${snippet(x.ws)} to ${snippet(y.ws)}`);
    added = false;
    if (x.node.kind === 'el' && y.node.kind === 'el') {
      const c = childCtx(ctx, x.node);
      const p = `${path}/${x.node.name}`;
      if (x.node.close !== y.node.close && !(x.node.selfClosing && !y.node.selfClosing) && !(y.node.selfClosing && !x.node.selfClosing))
        out.push(`${p}: end tag ${snippet(x.node.close)} became ${snippet(y.node.close)}`);
      if (x.node.selfClosing !== y.node.selfClosing && !(x.node.selfClosing && y.node.children.length > 0))
        out.push(`${p}: ${snippet(x.node.open + x.node.close)} was written as ${snippet(y.node.open + y.node.close)}`);
      if (c === 'device') keptAddress(x.node, y.node, p, out);
      compareChildren(x.node, x.node.children, y.node.children, c, p, out);
    }
    j++;
  }
  for (; j < b.items.length; j++) {
    const y = b.items[j]!;
    if (!(y.node.kind === 'el' && addition(ctx, y.node, input))) out.push(`${path}: ${snippet(raw(y.node))} was added`);
  }
  // The text before the end tag: only where pciplan appended, removed or changed nothing.
  if (a.tail !== b.tail && !added && b.items.length === a.items.length && !a.dropped && !b.dropped && ctx !== 'doc') out.push(`${path}: whitespace before the end tag changed from ${snippet(a.tail)} to ${snippet(b.tail)}`);
}

function raw(n: ScanNode): string {
  return n.kind === 'el' ? n.open : n.raw;
}

/**
 * Same node at this level: same start tag (up to self-closing), or the same text. A self-closed
 * element that gained a child is opened as `<a x='1'>`, the blank before its `/>` dropped (the
 * writer's one normalisation); everywhere else the tag's bytes must match.
 */
function same(x: ScanNode, y: ScanNode): boolean {
  if (x.kind !== y.kind) return false;
  if (x.kind === 'el' && y.kind === 'el') {
    if (x.name !== y.name) return false;
    const opened = x.selfClosing && !y.selfClosing;
    return opened ? openKey(x).trimEnd() === openKey(y) : openKey(x) === openKey(y);
  }
  return raw(x) === raw(y);
}

/**
 * pciplan's hints of a document, as the set of `name=value` pairs of every <addressPreferences> and
 * metadata entry (device names left out: they are pciplan's to compute). A set, because one device's
 * hints from its element and from the metadata may become one entry, and the same hint given in
 * both places is written once; a hint lost or changed, or two entries that disagree (one wins),
 * still shows as a pair that is missing or new.
 */
function hints(nodes: ScanNode[]): string[] {
  const out: string[] = [];
  // Pairs, not a joined string: a value may hold spaces (waived='hotplug numa').
  const pairs = (el: ScanElement) =>
    attrsOf(el)
      .filter((a) => a.name !== 'name')
      .map((a) => `${a.name}=${a.name === 'numa' && /^\d+$/.test(a.value) ? Number(a.value) : a.value}`);
  const walk = (ns: ScanNode[], ctx: Ctx) => {
    for (const n of ns) {
      if (n.kind !== 'el') continue;
      if (ctx === 'device' && n.name === 'addressPreferences') out.push(...pairs(n));
      else if (ctx === 'metadata' && isPlacement(n)) {
        for (const e of childElements(n)) out.push(...pairs(e));
      } else walk(n.children, childCtx(ctx, n));
    }
  };
  walk(nodes, 'doc');
  return [...new Set(out.filter((h) => h !== ''))].sort();
}

/**
 * The differences between input and output outside what pciplan may change (empty: preserved).
 * Either side failing to scan is itself a difference.
 */
export function preservationProblems(inputText: string, outputText: string): string[] {
  let a: ScanNode[];
  let b: ScanNode[];
  try {
    a = scanXml(inputText);
  } catch (e) {
    return [`the input pciplan accepted is not well-formed: ${(e as Error).message}`];
  }
  try {
    b = scanXml(outputText);
  } catch (e) {
    return [`the output is not well-formed: ${(e as Error).message}`];
  }
  // The writer ends the file with a line break.
  const last = b[b.length - 1];
  if (!inputText.endsWith('\n') && last?.kind === 'text' && last.raw.endsWith('\n')) {
    last.raw = last.raw.slice(0, -1);
    if (last.raw === '') b.pop();
  }
  const out: string[] = [];
  compareChildren(undefined, a, b, 'doc', '', out);
  if (!out.length && inputText.replace(/^\ufeff/, '') !== inputText && !outputText.startsWith('\ufeff')) out.push('the byte order mark was dropped');
  const ha = hints(a);
  // greedy records the hints its layout breaks (waived='...'): pciplan's addition, not the user's hint.
  const hb = hints(b).filter((h) => !h.startsWith('waived=') || ha.includes(h));
  if (ha.join('|') !== hb.join('|')) out.push(`hints changed: [${ha.join('; ')}] became [${hb.join('; ')}]`);
  return out;
}
