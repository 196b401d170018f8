// Reading XML safely and losslessly. fast-xml-parser checks well-formedness and builds the tree;
// pciplan adds what a domain file needs and the parser does not give: a refusal of entity
// declarations (no expansion bombs, no external entities), what libxml2 refuses and the parser
// takes (wellFormed.ts: characters, character references, the declared encoding, depth, attribute
// length, a second root), line numbers for every element (so errors can point at the device), the
// tags and the text around the root as written, and a size limit checked before anything is parsed.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { inputError } from '../errors.js';
import { ENTITY_REF } from './entities.js';
import type { XmlDocument, XmlElement, XmlNode } from './tree.js';
import { checkCharacters, checkDeclaration, codePointName, doctypeEnd, isXmlChar, lineAt, MAX_XML_DEPTH, scanTags, type Scan } from './wellFormed.js';

/** Far above any real domain (4,000 devices is about 2 MiB); keeps a stray 50 MB file cheap to refuse. */
export const MAX_XML_BYTES = 16 * 1024 * 1024;

type FxpNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: false,
  ignorePiTags: false,
  // scanTags refuses anything deeper first; this only has to let libxml2's depth through.
  maxNestedTags: MAX_XML_DEPTH + 1,
});

/** Refuse what would make parsing unsafe or lossy, before the parser sees the text. */
function checkSafety(text: string, file: string): string | undefined {
  const dt = /<!DOCTYPE/i.exec(text);
  let doctype: string | undefined;
  if (dt) {
    doctype = text.slice(dt.index, doctypeEnd(text, dt.index));
    if (/<!ENTITY/i.test(doctype)) {
      throw inputError(
        `${file}:${lineAt(text, dt.index)}`,
        'the DOCTYPE declares entities; pciplan does not expand declared or external entities (a domain XML never needs them)',
      );
    }
  }
  // Any '&' must start one of the five predefined entities or a character reference.
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    ENTITY_REF.lastIndex = i;
    const m = ENTITY_REF.exec(text);
    if (m && m.index === i && (m[2] !== undefined || m[3] !== undefined)) {
      const digits = m[2] ?? m[3]!;
      const code = digits.length > 8 ? Number.POSITIVE_INFINITY : Number.parseInt(digits, m[2] !== undefined ? 10 : 16);
      if (!isXmlChar(code) && !isInsideCommentOrCData(text, i)) {
        const what = code > 0x10ffff ? 'is beyond U+10FFFF' : `is ${codePointName(code)}, not an XML character`;
        throw inputError(`${file}:${lineAt(text, i)}`, `the character reference '${m[0]}' ${what} (libvirt refuses it too)`);
      }
    }
    if (!m || m.index !== i) {
      if (isInsideCommentOrCData(text, i)) continue;
      const ref = /^&[^;\s<&]{0,40};?/.exec(text.slice(i))?.[0] ?? '&';
      throw inputError(
        `${file}:${lineAt(text, i)}`,
        `undefined or malformed entity reference '${ref}' (only &lt; &gt; &amp; &quot; &apos; and &#N; are allowed)`,
      );
    }
  }
  return doctype;
}

function isInsideCommentOrCData(text: string, offset: number): boolean {
  const open = Math.max(text.lastIndexOf('<!--', offset), text.lastIndexOf('<![CDATA[', offset));
  if (open === -1) return false;
  const close = text.startsWith('<!--', open) ? text.indexOf('-->', open) : text.indexOf(']]>', open);
  return close === -1 || close > offset;
}

function convert(nodes: FxpNode[], scan: Scan, counter: { n: number; pi: number }): XmlNode[] {
  const out: XmlNode[] = [];
  for (const node of nodes) {
    const attrs = Object.entries(node[':@'] ?? {}) as [string, string][];
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined) continue;
    const value = node[key];
    if (key === '#text') out.push({ type: 'text', raw: String(value) });
    else if (key === '#comment') out.push({ type: 'comment', text: innerText(value) });
    else if (key === '#cdata') out.push({ type: 'cdata', text: innerText(value) });
    else if (key.startsWith('?')) {
      const raw = scan.instructions[counter.pi++];
      out.push({ type: 'pi', target: key.slice(1), attrs, ...(raw?.startsWith(`<${key}`) ? { raw } : {}) });
    } else {
      const tag = scan.elements[counter.n];
      counter.n++;
      const el: XmlElement = { type: 'element', name: key, attrs, children: [], line: tag?.line ?? 0 };
      if (tag && tag.quotes.length === attrs.length) el.quotes = tag.quotes;
      if (tag && tag.open.startsWith(`<${key}`)) {
        el.source = { open: tag.open, ...(tag.close !== undefined ? { close: tag.close } : {}), attrs: attrs.map(([n, v]) => [n, v]) };
      }
      el.children = convert(value as FxpNode[], scan, counter);
      out.push(el);
    }
  }
  return out;
}

function innerText(value: unknown): string {
  return (value as FxpNode[]).map((c) => String(c['#text'] ?? '')).join('');
}

function countElements(nodes: XmlNode[]): number {
  let n = 0;
  for (const c of nodes) if (c.type === 'element') n += 1 + countElements(c.children);
  return n;
}

function dominantQuote(text: string): "'" | '"' {
  const single = (text.match(/=\s*'/g) ?? []).length;
  const double = (text.match(/=\s*"/g) ?? []).length;
  return single >= double ? "'" : '"';
}

/** Parse XML text into a lossless tree. Throws a one-line input error naming file and line. */
export function parseXml(text: string, file = 'input'): XmlDocument {
  if (Buffer.byteLength(text) > MAX_XML_BYTES) {
    throw inputError(file, `${formatBytes(Buffer.byteLength(text))} is larger than the ${formatBytes(MAX_XML_BYTES)} pciplan reads`);
  }
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  checkCharacters(text, file);
  checkDeclaration(text, file);
  const doctype = checkSafety(text, file);
  const check = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (check !== true) {
    throw inputError(`${file}:${check.err.line}`, `malformed XML: ${check.err.msg.replace(/\s+/g, ' ')}`);
  }
  const scan = scanTags(text, file);
  const tree = parser.parse(text) as FxpNode[];
  const nodes = convert(tree, scan, { n: 0, pi: 0 });
  // If the scan and the parser ever disagree, line numbers and raw tags would be wrong: drop them rather than lie.
  if (countElements(nodes) !== scan.elements.length) stripLines(nodes);
  if (!nodes.some((n) => n.type === 'element')) throw inputError(file, 'no root element');
  const doc: XmlDocument = { nodes, ...(doctype ? { doctype } : {}), quote: dominantQuote(text), ...(bom ? { bom } : {}) };
  keepOutside(doc, scan);
  return doc;
}

/** Keep the whitespace around the root as written, when the parser's top level and the scan's agree. */
function keepOutside(doc: XmlDocument, scan: Scan): void {
  const items = doc.nodes.filter((n) => n.type !== 'text');
  const kinds = scan.top.filter((k) => k !== 'doctype');
  const doctypeAt = scan.top.indexOf('doctype');
  const agree =
    items.length === kinds.length &&
    items.every((n, i) => n.type === kinds[i]) &&
    (doctypeAt === -1) === (doc.doctype === undefined) &&
    scan.top.lastIndexOf('doctype') === doctypeAt;
  if (!agree) return;
  doc.nodes = items;
  doc.outside = { gaps: scan.gaps, doctypeAt };
}

function stripLines(nodes: XmlNode[]): void {
  for (const n of nodes) {
    if (n.type === 'element') {
      n.line = 0;
      delete n.quotes;
      delete n.source;
      stripLines(n.children);
    } else if (n.type === 'pi') {
      delete n.raw;
    }
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
