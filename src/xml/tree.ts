// The XML document as pciplan keeps it: every node of the user's file, in order, with attribute
// values and text kept as written (entity references unexpanded), so that writing it back changes
// nothing but what pciplan itself touched.
import { decodeEntities } from './entities.js';

export interface XmlElement {
  readonly type: 'element';
  name: string;
  /** Attributes in document order, values raw (still entity-escaped as written). */
  attrs: [name: string, raw: string][];
  children: XmlNode[];
  /** 1-based line of the start tag in the source; 0 for nodes pciplan created. */
  line: number;
  /** The quote character each attribute was written with, when read from a file. */
  quotes?: string;
  /**
   * The tags as written in the file, and the attributes they held: while `attrs` still equals
   * `source.attrs`, the writer puts the start tag back byte for byte (spacing, line breaks, ` />`).
   */
  source?: { open: string; close?: string; attrs: [name: string, raw: string][] };
}

export interface XmlText {
  readonly type: 'text';
  raw: string;
}
export interface XmlComment {
  readonly type: 'comment';
  text: string;
}
export interface XmlCData {
  readonly type: 'cdata';
  text: string;
}
export interface XmlInstruction {
  readonly type: 'pi';
  target: string;
  /** Raw attribute-like content of the instruction, e.g. `version="1.0"`. */
  attrs: [name: string, raw: string][];
  /** The instruction exactly as written, `<?` to `?>`, when read from a file. */
  raw?: string;
}

export type XmlNode = XmlElement | XmlText | XmlComment | XmlCData | XmlInstruction;

export interface XmlDocument {
  /** Prolog, the root element and anything after it. */
  nodes: XmlNode[];
  /** `<!DOCTYPE ...>` exactly as written (never containing entity declarations). */
  doctype?: string;
  /** The attribute quote the file mostly uses, so that added elements look like their neighbours. */
  quote: "'" | '"';
  /**
   * The text outside the root as written, when the nodes hold no text of their own at the top:
   * gaps[i] stands before the i-th top-level item (the doctype counts, at `doctypeAt`), the last
   * after all of them.
   */
  outside?: { gaps: string[]; doctypeAt: number };
  /** The file began with a byte order mark (written back). */
  bom?: boolean;
}

export function rootElement(doc: XmlDocument): XmlElement {
  const root = doc.nodes.find((n): n is XmlElement => n.type === 'element');
  if (!root) throw new Error('document has no root element');
  return root;
}

export function elements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter(
    (c): c is XmlElement => c.type === 'element' && (name === undefined || c.name === name),
  );
}

export function firstElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c): c is XmlElement => c.type === 'element' && c.name === name);
}

export function rawAttr(el: XmlElement, name: string): string | undefined {
  return el.attrs.find(([n]) => n === name)?.[1];
}

/** Attribute value with entity references decoded (what the value means). */
export function attr(el: XmlElement, name: string): string | undefined {
  const raw = rawAttr(el, name);
  return raw === undefined ? undefined : decodeEntities(raw);
}

/** Text content of an element (its direct text and CDATA children), decoded. */
export function textOf(el: XmlElement): string {
  let out = '';
  for (const c of el.children) {
    if (c.type === 'text') out += decodeEntities(c.raw);
    else if (c.type === 'cdata') out += c.text;
  }
  return out;
}

/** Path of element names below `el`, e.g. `childPath(dev, 'target', 'model')`. */
export function childPath(el: XmlElement, ...names: string[]): XmlElement | undefined {
  let cur: XmlElement | undefined = el;
  for (const n of names) {
    if (!cur) return undefined;
    cur = firstElement(cur, n);
  }
  return cur;
}

export function newElement(name: string, attrs: [string, string][] = [], children: XmlNode[] = []): XmlElement {
  return { type: 'element', name, attrs, children, line: 0 };
}

export function cloneDocument(doc: XmlDocument): XmlDocument {
  return clonePlain(doc);
}

/**
 * A deep copy of data made of arrays, plain objects and primitives, as the tree is (nothing in it
 * is shared, a class instance or a cycle). structuredClone does the same through serialisation,
 * which a profile of 256-device greedy assigns showed as the largest part of applyLayout (this
 * copy saves about 5 ms of each such assign, warm).
 */
function clonePlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = clonePlain(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in value) if (Object.prototype.hasOwnProperty.call(value, k)) out[k] = clonePlain((value as Record<string, unknown>)[k]);
  return out as T;
}
