// Reading XML safely and losslessly. fast-xml-parser checks well-formedness and builds the tree;
// pciplan adds what a domain file needs and the parser does not give: a refusal of entity
// declarations (no expansion bombs, no external entities), line numbers for every element (so
// errors can point at the device), and a size limit checked before anything is parsed.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { inputError } from '../errors.js';
import { ENTITY_REF } from './entities.js';
import type { XmlDocument, XmlElement, XmlNode } from './tree.js';

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
});

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

interface StartTag {
  line: number;
  /** The quote character of each attribute, in order. */
  quotes: string;
}

/**
 * Start tags in document order, found by a scan that skips comments, CDATA, instructions and the
 * doctype. fast-xml-parser's tree lists elements in the same (pre-)order, so the n-th element of
 * the tree is the n-th start tag here.
 */
function scanStartTags(text: string): StartTag[] {
  const tags: StartTag[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  const advanceTo = (j: number) => {
    for (let k = i; k < j; k++) if (text.charCodeAt(k) === 10) line++;
    i = j;
  };
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt === -1) break;
    advanceTo(lt);
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      advanceTo(end === -1 ? n : end + 3);
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      advanceTo(end === -1 ? n : end + 3);
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      advanceTo(end === -1 ? n : end + 2);
    } else if (text.startsWith('<!', i)) {
      advanceTo(doctypeEnd(text, i));
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      advanceTo(end === -1 ? n : end + 1);
    } else {
      // Skip the tag, honouring quotes: an attribute value may contain '>'.
      let j = i + 1;
      let quote = '';
      let quotes = '';
      for (; j < n; j++) {
        const ch = text[j];
        if (quote) {
          if (ch === quote) quote = '';
        } else if (ch === '"' || ch === "'") {
          quote = ch;
          quotes += ch;
        } else if (ch === '>') break;
      }
      tags.push({ line, quotes });
      advanceTo(Math.min(n, j + 1));
    }
  }
  return tags;
}

/** End of a `<!DOCTYPE ...>` declaration, including an internal subset in brackets. */
function doctypeEnd(text: string, start: number): number {
  let depth = 0;
  let quote = '';
  for (let j = start + 2; j < text.length; j++) {
    const ch = text[j];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === '>' && depth <= 0) return j + 1;
  }
  return text.length;
}

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

function convert(nodes: FxpNode[], tags: StartTag[] | undefined, counter: { n: number }): XmlNode[] {
  const out: XmlNode[] = [];
  for (const node of nodes) {
    const attrs = Object.entries(node[':@'] ?? {}) as [string, string][];
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined) continue;
    const value = node[key];
    if (key === '#text') out.push({ type: 'text', raw: String(value) });
    else if (key === '#comment') out.push({ type: 'comment', text: innerText(value) });
    else if (key === '#cdata') out.push({ type: 'cdata', text: innerText(value) });
    else if (key.startsWith('?')) out.push({ type: 'pi', target: key.slice(1), attrs });
    else {
      const tag = tags?.[counter.n];
      counter.n++;
      const el: XmlElement = { type: 'element', name: key, attrs, children: [], line: tag?.line ?? 0 };
      if (tag && tag.quotes.length === attrs.length) el.quotes = tag.quotes;
      el.children = convert(value as FxpNode[], tags, counter);
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
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const doctype = checkSafety(text, file);
  const check = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (check !== true) {
    throw inputError(`${file}:${check.err.line}`, `malformed XML: ${check.err.msg.replace(/\s+/g, ' ')}`);
  }
  const tree = parser.parse(text) as FxpNode[];
  const tags = scanStartTags(text);
  const nodes = convert(tree, tags, { n: 0 });
  // If the scan and the parser ever disagree, line numbers would be wrong: drop them rather than lie.
  if (countElements(nodes) !== tags.length) stripLines(nodes);
  if (!nodes.some((n) => n.type === 'element')) throw inputError(file, 'no root element');
  return { nodes, ...(doctype ? { doctype } : {}), quote: dominantQuote(text) };
}

function stripLines(nodes: XmlNode[]): void {
  for (const n of nodes) {
    if (n.type === 'element') {
      n.line = 0;
      delete n.quotes;
      stripLines(n.children);
    }
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
