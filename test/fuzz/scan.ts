// A small XML scanner of the fuzzer's own, independent of src/xml so that a bug there cannot hide
// itself: elements with their raw start and end tags and source offsets, text, and everything else
// (comments, CDATA, instructions, doctype) as raw runs. It is lenient where the mutators need it
// (it never decodes anything) and strict about nesting: a tag that does not close its element, or
// an element left open, is an error.

export interface ScanElement {
  kind: 'el';
  name: string;
  /** The start tag exactly as written, from '<' to '>' inclusive. */
  open: string;
  selfClosing: boolean;
  /** The end tag as written ('' for a self-closing element). */
  close: string;
  children: ScanNode[];
  /** Offsets in the text: start of the start tag, end of the start tag, end of the element. */
  start: number;
  openEnd: number;
  end: number;
  parent: ScanElement | undefined;
}
export interface ScanText {
  kind: 'text';
  raw: string;
  start: number;
  end: number;
}
export interface ScanOther {
  kind: 'other';
  raw: string;
  start: number;
  end: number;
}
export type ScanNode = ScanElement | ScanText | ScanOther;

export class ScanError extends Error {}

/**
 * End (exclusive) of the markup starting at `i`: the first '>' outside quotes (and, for a doctype,
 * outside its bracketed internal subset); -1 when it never ends.
 */
function markupEnd(text: string, i: number, subset = false): number {
  let quote = '';
  let depth = 0;
  for (let j = i + 1; j < text.length; j++) {
    const ch = text[j]!;
    if (quote) quote = ch === quote ? '' : quote;
    else if (ch === '"' || ch === "'") quote = ch;
    else if (subset && (ch === '[' || ch === ']')) depth += ch === '[' ? 1 : -1;
    else if (ch === '>' && depth <= 0) return j + 1;
  }
  return -1;
}

const NAME = /^<([^\s/>]+)/;

export function scanXml(text: string): ScanNode[] {
  const top: ScanNode[] = [];
  const stack: ScanElement[] = [];
  const add = (n: ScanNode) => (stack.length ? stack[stack.length - 1]!.children : top).push(n);
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? text.length : lt;
    if (textEnd > i) add({ kind: 'text', raw: text.slice(i, textEnd), start: i, end: textEnd });
    if (lt === -1) break;
    i = lt;
    const other = (end: number) => {
      if (end < 0) throw new ScanError(`unterminated markup at offset ${i}`);
      add({ kind: 'other', raw: text.slice(i, end), start: i, end });
      i = end;
    };
    if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i + 4);
      other(e < 0 ? -1 : e + 3);
    } else if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i + 9);
      other(e < 0 ? -1 : e + 3);
    } else if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i + 2);
      other(e < 0 ? -1 : e + 2);
    } else if (text.startsWith('<!', i)) {
      other(markupEnd(text, i, true));
    } else if (text.startsWith('</', i)) {
      const e = text.indexOf('>', i);
      if (e < 0) throw new ScanError(`unterminated end tag at offset ${i}`);
      const name = text.slice(i + 2, e).trim();
      const el = stack.pop();
      if (!el || el.name !== name) throw new ScanError(`end tag </${name}> at offset ${i} closes ${el ? `<${el.name}>` : 'nothing'}`);
      el.close = text.slice(i, e + 1);
      el.end = e + 1;
      i = e + 1;
    } else {
      const e = markupEnd(text, i);
      const m = NAME.exec(text.slice(i, i + 200));
      if (e < 0 || !m) throw new ScanError(`bad start tag at offset ${i}`);
      const open = text.slice(i, e);
      const selfClosing = open.endsWith('/>');
      const el: ScanElement = { kind: 'el', name: m[1]!, open, selfClosing, close: '', children: [], start: i, openEnd: e, end: e, parent: stack[stack.length - 1] };
      add(el);
      if (!selfClosing) stack.push(el);
      i = e;
    }
  }
  if (stack.length) throw new ScanError(`<${stack[stack.length - 1]!.name}> is never closed`);
  return top;
}

export interface ScanAttr {
  name: string;
  value: string;
  quote: string;
  /** Offsets of the whole attribute (name to closing quote) and of its value, in the text. */
  start: number;
  end: number;
  valueStart: number;
  valueEnd: number;
}

/** The attributes of a start tag, with offsets in the text (the tag starts at el.start). */
export function attrsOf(el: ScanElement): ScanAttr[] {
  const out: ScanAttr[] = [];
  const re = /([^\s=/>]+)\s*=\s*(["'])([\s\S]*?)\2/g;
  const body = el.open;
  re.lastIndex = 1 + el.name.length;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const start = el.start + m.index;
    const valueStart = el.start + m.index + m[0].length - 1 - m[3]!.length;
    out.push({ name: m[1]!, value: m[3]!, quote: m[2]!, start, end: el.start + m.index + m[0].length, valueStart, valueEnd: valueStart + m[3]!.length });
  }
  return out;
}

export function attrValue(el: ScanElement, name: string): string | undefined {
  return attrsOf(el).find((a) => a.name === name)?.value;
}

export function childElements(el: ScanElement, name?: string): ScanElement[] {
  return el.children.filter((c): c is ScanElement => c.kind === 'el' && (name === undefined || c.name === name));
}

/** Every element in document order (without recursion: documents may nest deeper than the stack). */
export function allElements(nodes: ScanNode[]): ScanElement[] {
  const out: ScanElement[] = [];
  const stack: ScanNode[] = [...nodes].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (n.kind !== 'el') continue;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

export function rootOf(nodes: ScanNode[]): ScanElement | undefined {
  return nodes.find((n): n is ScanElement => n.kind === 'el');
}

const isXmlChar = (c: number) => c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

/**
 * What makes a document not well-formed by XML 1.0 itself, whatever the parser: bytes that are not
 * UTF-8 (with no other encoding declared), characters outside the Char production, character
 * references to them, a second root element or text after the root, an attribute twice in a tag.
 * Undefined when none of these is found (the document may still be malformed in other ways).
 */
export function notWellFormed(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return 'bytes that are not UTF-8';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (!isXmlChar(c)) return `the character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  const outsideMarkup = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  for (const m of outsideMarkup.matchAll(/&#(x[0-9a-fA-F]+|[0-9]+);/g)) {
    const c = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
    if (!isXmlChar(c)) return `the character reference ${m[0]}`;
  }
  let nodes: ScanNode[];
  try {
    nodes = scanXml(text);
  } catch {
    return undefined;
  }
  const roots = nodes.filter((n) => n.kind === 'el');
  if (roots.length > 1) return `${roots.length} root elements`;
  if (nodes.some((n) => n.kind === 'text' && n.raw.replace(/^\ufeff/, '').trim() !== '')) return 'text outside the root element';
  for (const el of allElements(nodes)) {
    const names = attrsOf(el).map((a) => a.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) return `the attribute ${dup} twice in <${el.name}>`;
  }
  return undefined;
}
