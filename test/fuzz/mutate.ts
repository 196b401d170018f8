// The fuzzer's mutators. Each takes a document's text and the seeded stream (src/generate/prng.ts)
// and returns the changed text with a note saying what it did, or undefined when it does not apply
// (then another is drawn). They are chosen for the faults fuzzing has found in pciplan: numbers out
// of range or spelled the way libvirt refuses, elements deleted, duplicated or moved (controllers,
// addresses, devices), another machine or architecture, placement hints valid and invalid, control
// characters, bad references, invalid UTF-8, deep nesting, truncation, and formatting a writer
// must not normalise.
import type { Rng } from '../../src/generate/prng.js';
import { allElements, attrsOf, childElements, rootOf, scanXml, type ScanElement } from './scan.js';

export interface Mutation {
  text: string;
  note: string;
}
type Mutator = (text: string, rng: Rng) => Mutation | undefined;

const HINTS_NS = 'http://pciplan.dev/xmlns/placement/1.0';

const splice = (text: string, start: number, end: number, insert: string) => text.slice(0, start) + insert + text.slice(end);
const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);

function parsed(text: string): { els: ScanElement[]; root: ScanElement } | undefined {
  try {
    const nodes = scanXml(text);
    const root = rootOf(nodes);
    return root ? { els: allElements(nodes), root } : undefined;
  } catch {
    return undefined;
  }
}

/** Device elements: children of <devices> (the emulator is no device). */
function deviceElements(els: ScanElement[]): ScanElement[] {
  return els.filter((e) => e.parent?.name === 'devices' && e.name !== 'emulator');
}

/** The element's path from the root; iterative, since a mutant may nest 100k levels deep. */
function pathOf(el: ScanElement): string {
  const names: string[] = [];
  for (let e: ScanElement | undefined = el; e; e = e.parent) names.push(e.name);
  return names.reverse().join('/');
}

// Values by attribute, and the spellings of numbers libvirt refuses or reads in another base.
const NUMBERS = [
  '0', '1', '2', '3', '7', '8', '0x0', '0x1', '0x1f', '0x20', '0xff', '0x100', '31', '32', '255', '256', '257', '-1', '-0', '07', '010',
  '08', '0x', 'x1', '1e3', '1.0', '+1', ' 0x05 ', '0x05\n', '\t1', '0x00000001', '00000000000000000001', '4294967295', '4294967296',
  '18446744073709551616', '9007199254740993', '2147483648', '65535', '65536', '0X1F', '0xG', '', 'junk', '\u0661', '&#48;', '&#x31;&#x30;',
  '0x1_0', '1 2', '0b1', '0o7', 'NaN', 'Infinity',
];
const NUMERIC_ATTRS = new Set(['domain', 'bus', 'slot', 'function', 'index', 'chassis', 'chassisNr', 'port', 'busNr', 'id', 'ports', 'vectors', 'queues', 'unit', 'controller', 'target', 'numa', 'cssid', 'ssid', 'devno', 'reg', 'iobase', 'irq']);
const POOLS: Record<string, string[]> = {
  model: [
    'pci-root', 'pcie-root', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-root-port', 'pcie-switch-upstream-port', 'pcie-switch-downstream-port',
    'pci-expander-bus', 'pcie-expander-bus', 'pcie-to-pci-bridge', 'virtio', 'virtio-transitional', 'virtio-non-transitional', 'e1000', 'e1000e',
    'rtl8139', 'qemu-xhci', 'nec-xhci', 'piix3-uhci', 'ich9-ehci1', 'ich9-uhci1', 'none', 'ich6', 'ich9', 'ac97', 'i6300esb', 'qxl', 'vga', 'cirrus',
    'virtio-scsi', 'lsilogic', 'ioh3420', 'x3130-upstream', 'xio3130-downstream', 'pxb', 'pxb-pcie', 'i82801b11-bridge', 'PCIE-ROOT-PORT', 'junk', '',
  ],
  type: ['pci', 'pcie', 'drive', 'ccw', 'usb', 'virtio-serial', 'unassigned', 'spapr-vio', 'isa', 'virtio-mmio', 'ccid', 'none', 'junk', '', 'PCI', 'sata', 'ide', 'scsi', 'virtio', 'file', 'network', 'user'],
  multifunction: ['on', 'off', 'yes', 'no', 'junk', ''],
  hotplug: ['on', 'off', 'yes', 'no', 'junk', ''],
  bus: ['virtio', 'sata', 'ide', 'scsi', 'usb', 'fdc', 'pci', 'pcie', 'junk'],
  machine: ['q35', 'pc', 'pc-q35-7.2', 'pc-i440fx-7.2', 'pc-q35-2.0', 'virt', 'virt-7.2', 's390-ccw-virtio', 'pseries', 'isapc', 'microvm', 'versatilepb', 'junk', '', 'Q35'],
  arch: ['x86_64', 'i686', 'aarch64', 's390x', 'ppc64', 'ppc64le', 'riscv64', 'armv7l', 'loongarch64', 'junk', ''],
};

/** A new value for an attribute: from its pool, a number in or out of range, or plain junk. */
function newValue(name: string, old: string, rng: Rng): string {
  const pool = POOLS[name];
  if (NUMERIC_ATTRS.has(name) || (!pool && /^(0x)?[0-9a-f]+$/i.test(old))) {
    if (rng.chance(0.3)) return rng.chance(0.5) ? String(rng.int(0, 300)) : `0x${rng.int(0, 0x120).toString(16).padStart(2, '0')}`;
    return rng.pick(NUMBERS);
  }
  if (pool && rng.chance(0.85)) return rng.pick(pool);
  return rng.pick(['', 'junk', ` ${old}`, `${old} `, old.toUpperCase(), `${old}x`, '&amp;', '&lt;', 'a\u0001b', 'é', '\u00a0']);
}

/** Elements worth mutating more often: what pciplan reads. */
const FOCUS = new Set(['address', 'controller', 'target', 'model', 'addressPreferences', 'type', 'cell', 'hostdev', 'interface', 'disk', 'node', 'pciplan:device']);
function pickElement(els: ScanElement[], rng: Rng, filter: (e: ScanElement) => boolean = () => true): ScanElement | undefined {
  const xs = els.filter(filter);
  if (!xs.length) return undefined;
  const focus = xs.filter((e) => FOCUS.has(e.name));
  return rng.pick(focus.length && rng.chance(0.75) ? focus : xs);
}

const changeAttr: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => attrsOf(e).length > 0);
  if (!el) return undefined;
  const a = rng.pick(attrsOf(el));
  const v = newValue(a.name, a.value, rng);
  // A value may hold the other quote character; XML needs the value's own quote escaped.
  const safe = v.replaceAll(a.quote, a.quote === "'" ? '&apos;' : '&quot;');
  return { text: splice(text, a.valueStart, a.valueEnd, safe), note: `${pathOf(el)} ${a.name}=${show(a.value)} -> ${show(safe)}` };
};

const deleteAttr: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => attrsOf(e).length > 0);
  if (!el) return undefined;
  const a = rng.pick(attrsOf(el));
  let start = a.start;
  while (start > 0 && /\s/.test(text[start - 1]!)) start--;
  return { text: splice(text, start, a.end, ''), note: `${pathOf(el)} delete ${a.name}` };
};

const duplicateAttr: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => attrsOf(e).length > 0);
  if (!el) return undefined;
  const a = rng.pick(attrsOf(el));
  const v = rng.chance(0.5) ? a.value : newValue(a.name, a.value, rng).replaceAll(a.quote, '');
  return { text: splice(text, a.end, a.end, ` ${a.name}=${a.quote}${v}${a.quote}`), note: `${pathOf(el)} duplicate ${a.name}=${show(v)}` };
};

const ADDED_ATTRS: [string, string[]][] = [
  ['multifunction', ['on', 'off']],
  ['hotplug', ['on', 'off']],
  ['type', ['pci']],
  ['index', ['0', '1', '255', '256']],
  ['bus', ['0x00', '0x01', '0xff']],
  ['slot', ['0x00', '0x1f', '0x20']],
  ['function', ['0x0', '0x7', '0x8']],
  ['busNr', ['0', '254', '255', '256']],
  ['model', ['pcie-root-port', 'pci-bridge']],
];
const addAttr: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng);
  if (!el) return undefined;
  const present = new Set(attrsOf(el).map((a) => a.name));
  const choices = ADDED_ATTRS.filter(([n]) => !present.has(n));
  if (!choices.length) return undefined;
  const [name, values] = rng.pick(choices);
  const v = rng.pick(values);
  const at = el.start + 1 + el.name.length;
  return { text: splice(text, at, at, ` ${name}='${v}'`), note: `${pathOf(el)} add ${name}='${v}'` };
};

/** Start of the line an element stands on, when only whitespace precedes it there. */
function lineStart(text: string, el: ScanElement): number {
  let s = el.start;
  while (s > 0 && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
  return s > 0 && text[s - 1] === '\n' ? s - 1 : el.start;
}

const deleteElement: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => e !== p.root);
  if (!el) return undefined;
  return { text: splice(text, lineStart(text, el), el.end, ''), note: `delete ${pathOf(el)}` };
};

const duplicateElement: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => e !== p.root);
  if (!el) return undefined;
  const copies = rng.weighted({ 1: 8, 2: 3, 10: 2, 100: 1, 300: 0.3 });
  const piece = text.slice(lineStart(text, el), el.end);
  const sep = piece.startsWith('\n') ? '' : '\n';
  return { text: splice(text, el.end, el.end, (sep + piece).repeat(Number(copies))), note: `duplicate ${pathOf(el)} x${copies}` };
};

const moveElement: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => e !== p.root);
  if (!el) return undefined;
  const piece = text.slice(el.start, el.end);
  const start = lineStart(text, el);
  const without = splice(text, start, el.end, '');
  const q = parsed(without);
  const target = q && rng.pick(q.els.filter((e) => !e.selfClosing));
  if (!target) return undefined;
  return { text: splice(without, target.openEnd, target.openEnd, `\n${piece}`), note: `move ${pathOf(el)} into ${pathOf(target)}` };
};

const renameElement: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => e !== p.root);
  if (!el) return undefined;
  const name = rng.pick(['controller', 'address', 'hostdev', 'interface', 'devices', 'junk', 'Address', 'pciplan:device']);
  let out = splice(text, el.start + 1, el.start + 1 + el.name.length, name);
  if (!el.selfClosing) {
    const delta = name.length - el.name.length;
    const closeAt = el.end - el.close.length + delta;
    out = splice(out, closeAt + 2, closeAt + 2 + el.name.length, name);
  }
  return { text: out, note: `rename ${pathOf(el)} to <${name}>` };
};

const changeMachine: Mutator = (text, rng) => {
  const p = parsed(text);
  const type = p?.els.find((e) => e.name === 'type' && e.parent?.name === 'os');
  if (!type) return undefined;
  const attrs = attrsOf(type);
  const which = rng.pick(['machine', 'arch', 'both', 'drop']);
  let out = text;
  const notes: string[] = [];
  // Right to left, so that offsets stay valid.
  for (const a of [...attrs].reverse()) {
    if (which === 'drop' && a.name === 'machine') {
      out = splice(out, a.start - 1, a.end, '');
      notes.push('drop machine');
    } else if ((a.name === which || which === 'both') && (a.name === 'machine' || a.name === 'arch')) {
      const v = rng.pick(POOLS[a.name]!);
      out = splice(out, a.valueStart, a.valueEnd, v);
      notes.push(`${a.name}=${show(v)}`);
    }
  }
  return notes.length ? { text: out, note: `os/type ${notes.join(' ')}` } : undefined;
};

/** A device's name as pciplan's metadata keys it (approximately: a wrong name is a test too). */
function deviceName(text: string, el: ScanElement): string {
  const alias = childElements(el, 'alias')[0];
  const aliasName = alias && attrsOf(alias).find((a) => a.name === 'name')?.value;
  if (aliasName) return `${el.name}[${aliasName}]`;
  const target = childElements(el, 'target')[0];
  const dev = target && attrsOf(target).find((a) => a.name === 'dev')?.value;
  if (el.name === 'disk' && dev) return `disk[${dev}]`;
  const mac = childElements(el, 'mac')[0];
  const addr = mac && attrsOf(mac).find((a) => a.name === 'address')?.value;
  if (el.name === 'interface' && addr) return `interface[${addr}]`;
  const attrs = attrsOf(el);
  const t = attrs.find((a) => a.name === 'type')?.value;
  const i = attrs.find((a) => a.name === 'index')?.value;
  if (el.name === 'controller' && t && i) return `controller[${t} ${i}]`;
  const same = el.parent ? childElements(el.parent, el.name) : [el];
  return `${el.name}[${same.indexOf(el) + 1}]`;
}

const HINT_VALUES: Record<string, string[]> = {
  hotplug: ['yes', 'no', 'yes', 'no', 'maybe', '', 'on'],
  bus: ['pci', 'pcie', 'pci', 'pcie', 'usb', 'PCI'],
  numa: ['0', '1', '0', '1', '2', '3', '7', '-1', '4294967296', 'x', '01'],
  group: ['g0', 'g1', 'g0', 'gpu', '', 'a b', 'x'.repeat(65)],
};
function hintAttrs(rng: Rng): string {
  const names = rng.shuffle(Object.keys(HINT_VALUES)).slice(0, rng.int(1, 3));
  if (rng.chance(0.05)) names.push('junk');
  return names.map((n) => ` ${n}='${n === 'junk' ? 'x' : rng.pick(HINT_VALUES[n]!)}'`).join('');
}

/** NUMA cells in <cpu>, so that numa hints can be met (or be one cell short). */
function withNumaCells(text: string, rng: Rng): { text: string; note: string } {
  if (/<cell\b/.test(text)) return { text, note: '' };
  const p = parsed(text);
  const devices = p?.els.find((e) => e.name === 'devices' && e.parent === p.root);
  if (!p || !devices) return { text, note: '' };
  const n = rng.int(1, 3);
  const cells = Array.from({ length: n }, (_, i) => `      <cell id='${i}' cpus='${i}' memory='1048576' unit='KiB'/>`).join('\n');
  const cpu = p.els.find((e) => e.name === 'cpu' && e.parent === p.root && !e.selfClosing);
  const block = `\n    <numa>\n${cells}\n    </numa>`;
  if (cpu) return { text: splice(text, cpu.openEnd, cpu.openEnd, block), note: ` +${n} NUMA cells` };
  return { text: splice(text, lineStart(text, devices), lineStart(text, devices), `\n  <cpu>${block}\n  </cpu>`), note: ` +${n} NUMA cells` };
}

const addHint: Mutator = (text, rng) => {
  const numa = rng.chance(0.5) ? withNumaCells(text, rng) : { text, note: '' };
  const p = parsed(numa.text);
  const devs = p ? deviceElements(p.els) : [];
  if (!p || !devs.length) return undefined;
  const el = rng.pick(devs);
  const hint = hintAttrs(rng);
  let out: string;
  let where: string;
  if (rng.chance(0.75)) {
    where = pathOf(el);
    const inner = `<addressPreferences${hint}/>`;
    out = el.selfClosing
      ? splice(numa.text, el.start, el.end, `${el.open.slice(0, -2).trimEnd()}>\n      ${inner}\n    </${el.name}>`)
      : splice(numa.text, el.end - el.close.length, el.end - el.close.length, `  ${inner}\n    `);
  } else {
    // The same hints in pciplan's metadata, keyed by the device's name.
    const name = deviceName(numa.text, el);
    where = `metadata for ${name}`;
    const entry = `<pciplan:device name='${name}'${hint}/>`;
    const placement = p.els.find((e) => e.name === 'pciplan:placement');
    if (placement && !placement.selfClosing) out = splice(numa.text, placement.openEnd, placement.openEnd, `\n      ${entry}`);
    else {
      const block = `<pciplan:placement xmlns:pciplan='${HINTS_NS}'>\n      ${entry}\n    </pciplan:placement>`;
      const metadata = p.els.find((e) => e.name === 'metadata' && e.parent === p.root && !e.selfClosing);
      const name0 = p.els.find((e) => e.name === 'name' && e.parent === p.root);
      if (metadata) out = splice(numa.text, metadata.openEnd, metadata.openEnd, `\n    ${block}`);
      else if (name0) out = splice(numa.text, name0.end, name0.end, `\n  <metadata>\n    ${block}\n  </metadata>`);
      else return undefined;
    }
  }
  return { text: out, note: `hint${hint} on ${where}${numa.note}` };
};

/** A position inside an attribute value or a text run (where a character is content). */
function contentOffset(text: string, rng: Rng): number {
  const p = parsed(text);
  if (p && rng.chance(0.8)) {
    const el = pickElement(p.els, rng, (e) => attrsOf(e).length > 0);
    if (el) {
      const a = rng.pick(attrsOf(el));
      return rng.int(a.valueStart, a.valueEnd);
    }
  }
  return rng.int(0, text.length);
}

const CONTROL = ['\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f', '\u0085', '\ufffe', '\uffff', '\u2028', '\ud800x'];
const insertControl: Mutator = (text, rng) => {
  const at = contentOffset(text, rng);
  const c = rng.pick(CONTROL);
  return { text: splice(text, at, at, c), note: `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')} at ${at}` };
};

const REFS = ['&foo;', '&#0;', '&#x1;', '&#xFFFE;', '&#55296;', '&#xD800;', '&#1114112;', '&#x110000;', '&amp', '&#;', '&#x;', '&', '&#99999999999;', '&#x41;', '&lt;', '&quot;', '&#10;', '&#9;'];
const badReference: Mutator = (text, rng) => {
  const at = contentOffset(text, rng);
  const r = rng.pick(REFS);
  return { text: splice(text, at, at, r), note: `reference ${r} at ${at}` };
};

const truncate: Mutator = (text, rng) => {
  const at = rng.int(0, Math.max(0, text.length - 1));
  return { text: text.slice(0, at), note: `truncate at ${at} of ${text.length}` };
};

const deepNesting: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => !e.selfClosing && (e.name === 'devices' || e.name === 'metadata' || e.parent?.name === 'devices' || e === p.root));
  if (!el) return undefined;
  const depth = Number(rng.weighted({ 50: 2, 200: 3, 1000: 3, 10000: 2, 100000: 1 }));
  const name = rng.pick(['x', 'devices', 'address']);
  return { text: splice(text, el.openEnd, el.openEnd, `<${name}>`.repeat(depth) + `</${name}>`.repeat(depth)), note: `nest <${name}> ${depth} deep in ${pathOf(el)}` };
};

const MARKUP = ['<', '>', ']]>', '<![CDATA[x]]>', '<!-- c -->', '<!-- a -- b -->', '<?pi x?>', 'text', '</devices>', '<devices>', '<a b="1" b="2"/>', '<:x/>', '<x:y/>', '<a/><a/>'];
const junkMarkup: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng);
  if (!el) return undefined;
  const at = rng.chance(0.5) ? el.start : el.end;
  const m = rng.pick(MARKUP);
  return { text: splice(text, at, at, m), note: `insert ${show(m)} ${at === el.start ? 'before' : 'after'} ${pathOf(el)}` };
};

const PROLOGS = [
  "<?xml version='1.0' encoding='UTF-16'?>\n", "<?xml version='1.0' encoding='ISO-8859-1'?>\n", "<?xml version='1.1'?>\n", "<?xml version='1.0' encoding='junk'?>\n",
  "<?xml version='2.0'?>\n", '\ufeff', '<!DOCTYPE domain>\n', '<!DOCTYPE d [<!ENTITY e "x">]>\n', "<?xml version='1.0'?>\n<?xml version='1.0'?>\n", ' \n',
];
const prolog: Mutator = (text, rng) => {
  const p = rng.pick(PROLOGS);
  const stripped = text.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
  return { text: p + stripped, note: `prolog ${show(p)}` };
};

const secondRoot: Mutator = (text, rng) => {
  const tail = rng.pick(["<domain type='kvm'/>\n", 'junk\n', '<!-- after -->\n', '<?pi after?>\n']);
  return { text: text + tail, note: `after the root: ${show(tail)}` };
};

/** Formatting a lossless writer must keep: spaces in tags, quotes, line breaks between attributes. */
const tagFormatting: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => attrsOf(e).length > 0);
  if (!el) return undefined;
  const attrs = attrsOf(el);
  const kind = rng.pick(['space-before-close', 'newline-between', 'swap-quote', 'space-around-eq']);
  if (kind === 'space-before-close') {
    const at = el.openEnd - (el.selfClosing ? 2 : 1);
    return { text: splice(text, at, at, rng.pick([' ', '  ', '\n', '\t'])), note: `${pathOf(el)} whitespace before the tag's end` };
  }
  const a = rng.pick(attrs);
  if (kind === 'newline-between') return { text: splice(text, a.start, a.start, '\n      '), note: `${pathOf(el)} line break before ${a.name}` };
  if (kind === 'swap-quote') {
    const q = a.quote === "'" ? '"' : "'";
    if (a.value.includes(q)) return undefined;
    return { text: splice(text, a.valueStart - 1, a.valueEnd + 1, `${q}${a.value}${q}`), note: `${pathOf(el)} ${a.name} quoted with ${q}` };
  }
  const eq = text.indexOf('=', a.start);
  return { text: splice(text, eq, eq + 1, ' = '), note: `${pathOf(el)} spaces around = of ${a.name}` };
};

const hugeValue: Mutator = (text, rng) => {
  const p = parsed(text);
  const el = p && pickElement(p.els, rng, (e) => attrsOf(e).length > 0);
  if (!el) return undefined;
  const a = rng.pick(attrsOf(el));
  const size = Number(rng.weighted({ 100000: 3, 1048576: 2, 10485760: 1 }));
  return { text: splice(text, a.valueStart, a.valueEnd, (a.value || '0').repeat(Math.ceil(size / Math.max(1, a.value.length))).slice(0, size)), note: `${pathOf(el)} ${a.name} ${size} bytes long` };
};

export const MUTATORS: Record<string, { weight: number; fn: Mutator }> = {
  changeAttr: { weight: 20, fn: changeAttr },
  deleteAttr: { weight: 6, fn: deleteAttr },
  duplicateAttr: { weight: 2, fn: duplicateAttr },
  addAttr: { weight: 6, fn: addAttr },
  deleteElement: { weight: 8, fn: deleteElement },
  duplicateElement: { weight: 8, fn: duplicateElement },
  moveElement: { weight: 5, fn: moveElement },
  renameElement: { weight: 2, fn: renameElement },
  changeMachine: { weight: 5, fn: changeMachine },
  addHint: { weight: 14, fn: addHint },
  insertControl: { weight: 2, fn: insertControl },
  badReference: { weight: 2, fn: badReference },
  truncate: { weight: 2, fn: truncate },
  deepNesting: { weight: 1, fn: deepNesting },
  junkMarkup: { weight: 2, fn: junkMarkup },
  prolog: { weight: 1, fn: prolog },
  secondRoot: { weight: 1, fn: secondRoot },
  tagFormatting: { weight: 4, fn: tagFormatting },
  hugeValue: { weight: 0.3, fn: hugeValue },
};

const INVALID_UTF8 = [[0xff], [0xfe], [0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xc3], [0xf8, 0x88, 0x80, 0x80, 0x80]];

/** Bytes that are not UTF-8, spliced into the encoded text (only bytes can carry them). */
export function invalidUtf8(text: string, rng: Rng): { bytes: Buffer; note: string } {
  const at = Buffer.byteLength(text.slice(0, contentOffset(text, rng)));
  const buf = Buffer.from(text, 'utf8');
  const bad = rng.pick(INVALID_UTF8);
  return { bytes: Buffer.concat([buf.subarray(0, at), Buffer.from(bad), buf.subarray(at)]), note: `bytes ${bad.map((b) => b.toString(16)).join(' ')} at byte ${at}` };
}

export interface Mutant {
  bytes: Buffer;
  notes: string[];
}

/** 1-3 mutations of a seed document (1 most often), sometimes ending with invalid UTF-8 bytes. */
export function mutate(seed: string, rng: Rng): Mutant {
  const count = Number(rng.weighted({ 1: 6, 2: 3, 3: 1.5 }));
  let text = seed;
  const notes: string[] = [];
  const weights = Object.fromEntries(Object.entries(MUTATORS).map(([k, v]) => [k, v.weight]));
  for (let n = 0, tries = 0; n < count && tries < 20; tries++) {
    const name = rng.weighted(weights);
    const m = MUTATORS[name]!.fn(text, rng);
    if (!m || m.text === text) continue;
    text = m.text;
    notes.push(`${name}: ${m.note}`);
    n++;
  }
  if (rng.chance(0.02)) {
    const u = invalidUtf8(text, rng);
    return { bytes: u.bytes, notes: [...notes, `invalidUtf8: ${u.note}`] };
  }
  return { bytes: Buffer.from(text, 'utf8'), notes };
}
