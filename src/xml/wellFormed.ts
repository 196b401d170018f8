// What libxml2 (so libvirt) refuses and fast-xml-parser lets through, checked before the tree is
// built, and the one scan of the tags that gives each element its line and its tags as written.
// The limits are libxml2's defaults, which libvirt does not raise (no XML_PARSE_HUGE); each was
// checked with virsh define (test/reliability/input.test.ts):
//  - an element 258 deep: "Excessive depth in document: 256" (257 is taken);
//  - an attribute value over 10,000,000 bytes: "AttValue length too long" (XML_MAX_TEXT_LENGTH);
//  - a character outside XML 1.0's Char (control characters, NUL, U+FFFE/FFFF), written or as a
//    character reference;
//  - a second root element, or text after the root: "Extra content at the end of the document".
import { inputError } from '../errors.js';

/** Deepest element libxml2 takes without XML_PARSE_HUGE (the root is depth 1). */
export const MAX_XML_DEPTH = 257;
/** Longest attribute value libxml2 takes without XML_PARSE_HUGE, in bytes. */
export const MAX_ATTR_BYTES = 10_000_000;

/** One element's tags as the scan found them, in document (pre-)order. */
export interface ScannedElement {
  line: number;
  /** The quote character of each attribute, in order. */
  quotes: string;
  /** The start tag exactly as written, `<` to `>` (ends in `/>` when the element is empty). */
  open: string;
  /** The end tag exactly as written; undefined for `<a/>`. */
  close?: string;
}

export type TopLevel = 'pi' | 'comment' | 'doctype' | 'element';

export interface Scan {
  elements: ScannedElement[];
  /** Each processing instruction (the XML declaration included) as written, in document order. */
  instructions: string[];
  /** What stands outside the root, and the root, in order. */
  top: TopLevel[];
  /** The text around them as written: before top[0], between each two, after the last. */
  gaps: string[];
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. With the u
// flag a lone surrogate is one code point outside every range.
const NOT_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)
  );
}

export function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Refuse any character XML does not allow, wherever it is (libxml2 refuses them in comments too). */
export function checkCharacters(text: string, file: string): void {
  const m = NOT_CHAR.exec(text);
  if (!m) return;
  const code = m[0].codePointAt(0)!;
  const what = code === 0 ? 'a NUL byte' : `the character ${codePointName(code)}`;
  throw inputError(`${file}:${lineAt(text, m.index)}`, `${what} is not allowed in XML (libvirt refuses it too)`);
}

/**
 * The XML declaration's encoding must be UTF-8: libvirt reads every domain as UTF-8 whatever the
 * declaration says (a latin1 'é' is "not proper UTF-8" to it), so a file declaring another
 * encoding is mislabelled at best. ASCII is a subset and is taken when the text is ASCII.
 */
export function checkDeclaration(text: string, file: string): void {
  const decl = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1/.exec(text);
  if (!decl) return;
  const name = decl[2]!;
  if (/^utf-?8$/i.test(name)) return;
  // eslint-disable-next-line no-control-regex
  if (/^(us-?)?ascii$/i.test(name) && !/[^\u0000-\u007f]/.test(text)) return;
  throw inputError(
    `${file}:1`,
    `the XML declaration says encoding='${name}', but a domain XML is read as UTF-8 (as libvirt reads it): declare encoding='UTF-8' or none`,
  );
}

/**
 * Walk the tags (skipping comments, CDATA, instructions and the doctype) once: record each
 * element's line and raw tags, and refuse what libxml2 refuses about structure. Runs after the
 * well-formedness check, so tags are balanced; it never recurses, so any depth is safe.
 */
export function scanTags(text: string, file: string): Scan {
  const elements: ScannedElement[] = [];
  const instructions: string[] = [];
  const open: ScannedElement[] = [];
  const top: TopLevel[] = [];
  const gaps: string[] = [];
  let lastEnd = 0;
  const topLevel = (kind: TopLevel) => {
    if (open.length > 0) return;
    gaps.push(text.slice(lastEnd, i));
    top.push(kind);
  };
  const ended = (stop: number) => {
    if (open.length === 0) lastEnd = stop;
  };
  let rootSeen = false;
  let line = 1;
  let i = 0;
  const n = text.length;
  const advanceTo = (j: number) => {
    for (let k = i; k < j; k++) if (text.charCodeAt(k) === 10) line++;
    i = j;
  };
  const extra = (what: string): never => {
    throw inputError(`${file}:${line}`, `${what}: a domain XML has exactly one root element (libvirt: extra content at the end of the document)`);
  };
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (rootSeen && open.length === 0) {
      const at = text.slice(i, textEnd).search(/[^ \t\r\n]/);
      if (at !== -1) {
        advanceTo(i + at);
        extra('text after the root element');
      }
    }
    if (lt === -1) break;
    advanceTo(lt);
    if (text.startsWith('<!--', i)) {
      topLevel('comment');
      const end = text.indexOf('-->', i + 4);
      ended(end === -1 ? n : end + 3);
      advanceTo(end === -1 ? n : end + 3);
    } else if (text.startsWith('<![CDATA[', i)) {
      if (rootSeen && open.length === 0) extra('CDATA after the root element');
      const end = text.indexOf(']]>', i + 9);
      advanceTo(end === -1 ? n : end + 3);
    } else if (text.startsWith('<?', i)) {
      topLevel('pi');
      const end = text.indexOf('?>', i + 2);
      const stop = end === -1 ? n : end + 2;
      instructions.push(text.slice(i, stop));
      ended(stop);
      advanceTo(stop);
    } else if (text.startsWith('<!', i)) {
      topLevel('doctype');
      const stop = doctypeEnd(text, i);
      ended(stop);
      advanceTo(stop);
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      const stop = end === -1 ? n : end + 1;
      const el = open.pop();
      if (el) el.close = text.slice(i, stop);
      ended(stop);
      advanceTo(stop);
    } else {
      if (rootSeen && open.length === 0) extra('a second root element');
      topLevel('element');
      const startLine = line;
      const start = i;
      // Skip the tag, honouring quotes: an attribute value may contain '>'.
      let j = i + 1;
      let quote = '';
      let quotes = '';
      let valueStart = 0;
      for (; j < n; j++) {
        const ch = text[j];
        if (quote) {
          if (ch === quote) {
            quote = '';
            checkAttrLength(text, valueStart, j, file, startLine);
          }
        } else if (ch === '"' || ch === "'") {
          quote = ch;
          quotes += ch;
          valueStart = j + 1;
        } else if (ch === '>') break;
      }
      const stop = Math.min(n, j + 1);
      const el: ScannedElement = { line: startLine, quotes, open: text.slice(start, stop) };
      elements.push(el);
      if (open.length === 0) rootSeen = true;
      if (el.open.endsWith('/>')) ended(stop);
      else {
        open.push(el);
        if (open.length > MAX_XML_DEPTH) {
          throw inputError(
            `${file}:${startLine}`,
            `elements nested more than ${MAX_XML_DEPTH} deep (libvirt's XML parser refuses them: excessive depth in document)`,
          );
        }
      }
      advanceTo(stop);
    }
  }
  gaps.push(text.slice(lastEnd));
  return { elements, instructions, top, gaps };
}

function checkAttrLength(text: string, from: number, to: number, file: string, line: number): void {
  // UTF-16 units never exceed UTF-8 bytes by more than 3x: count bytes only near the limit.
  if (to - from <= MAX_ATTR_BYTES / 3) return;
  if (Buffer.byteLength(text.slice(from, to)) <= MAX_ATTR_BYTES) return;
  throw inputError(
    `${file}:${line}`,
    `an attribute value of ${Buffer.byteLength(text.slice(from, to))} bytes is longer than the ${MAX_ATTR_BYTES} libvirt's XML parser takes`,
  );
}

/** End of a `<!DOCTYPE ...>` declaration, including an internal subset in brackets. */
export function doctypeEnd(text: string, start: number): number {
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
