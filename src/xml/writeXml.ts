// Writing the tree back. Values are written exactly as they were read (raw), and a tag pciplan did
// not change is written as the file had it (the scan in wellFormed.ts keeps each tag's bytes), so
// an untouched document comes out as it went in, byte for byte, up to the whitespace between
// top-level nodes (a line break) and a trailing newline. A tag whose attributes pciplan changed is
// rebuilt from them, with each attribute's quote character kept.
import type { XmlDocument, XmlElement, XmlNode } from './tree.js';

function quoteFor(raw: string, preferred: "'" | '"'): "'" | '"' {
  if (!raw.includes(preferred)) return preferred;
  return preferred === "'" ? '"' : "'";
}

function writeAttrs(attrs: [string, string][], quote: "'" | '"', written?: string): string {
  let s = '';
  for (const [i, [name, raw]] of attrs.entries()) {
    const q = quoteFor(raw, (written?.[i] as "'" | '"' | undefined) ?? quote);
    s += ` ${name}=${q}${raw}${q}`;
  }
  return s;
}

function writeNode(node: XmlNode, quote: "'" | '"', out: string[]): void {
  switch (node.type) {
    case 'text':
      out.push(node.raw);
      return;
    case 'comment':
      out.push(`<!--${node.text}-->`);
      return;
    case 'cdata':
      out.push(`<![CDATA[${node.text}]]>`);
      return;
    case 'pi':
      out.push(node.raw ?? `<?${node.target}${writeAttrs(node.attrs, '"')}?>`);
      return;
    case 'element':
      writeElement(node, quote, out);
  }
}

function sameAttrs(a: [string, string][], b: [string, string][]): boolean {
  return a.length === b.length && a.every(([n, v], i) => n === b[i]![0] && v === b[i]![1]);
}

/** The start tag: the file's own bytes while its attributes are unchanged; `empty`: written as `<a…/>`. */
function startTag(el: XmlElement, quote: "'" | '"', empty: boolean): string {
  const src = el.source;
  if (src && sameAttrs(el.attrs, src.attrs)) {
    const selfClosed = src.close === undefined;
    if (selfClosed === empty) return src.open;
    // A child was added to `<a x='1' />`: keep the attributes as written, open the element.
    if (selfClosed) return src.open.replace(/\s*\/>$/, '>');
  }
  return `<${el.name}${writeAttrs(el.attrs, quote, el.quotes)}${empty ? '/>' : '>'}`;
}

function writeElement(el: XmlElement, quote: "'" | '"', out: string[]): void {
  const src = el.source;
  // `<a></a>` stays so when it is still empty; an element pciplan made is written `<a/>`.
  const empty = el.children.length === 0 && (src === undefined || src.close === undefined);
  out.push(startTag(el, quote, empty));
  if (empty) return;
  for (const c of el.children) writeNode(c, quote, out);
  out.push(src?.close ?? `</${el.name}>`);
}

function writeOutside(doc: XmlDocument, gaps: string[], doctypeAt: number): string | undefined {
  const items = doc.nodes;
  if (gaps.length !== items.length + (doctypeAt === -1 ? 0 : 1) + 1 || items.some((n) => n.type === 'text')) return undefined;
  const out: string[] = [];
  let k = 0;
  for (let i = 0; i < gaps.length - 1; i++) {
    out.push(gaps[i]!);
    if (i === doctypeAt) out.push(doc.doctype!);
    else writeNode(items[k++]!, doc.quote, out);
  }
  out.push(gaps[gaps.length - 1]!);
  return out.join('');
}

export function writeXml(doc: XmlDocument): string {
  return (doc.bom ? '\ufeff' : '') + writeBody(doc);
}

function writeBody(doc: XmlDocument): string {
  const kept = doc.outside && writeOutside(doc, doc.outside.gaps, doc.outside.doctypeAt);
  if (kept !== undefined) return kept.endsWith('\n') ? kept : `${kept}\n`;
  const out: string[] = [];
  let doctypeWritten = !doc.doctype;
  let prev: XmlNode | undefined;
  for (const node of doc.nodes) {
    // The parser drops some whitespace between top-level nodes; a line break is what was there.
    if (prev && prev.type !== 'text' && node.type !== 'text') out.push('\n');
    prev = node;
    // The doctype stands where the parser dropped it: after the declaration, before the root.
    if (!doctypeWritten && node.type === 'element') {
      out.push(doc.doctype!, '\n');
      doctypeWritten = true;
    }
    writeNode(node, doc.quote, out);
  }
  const text = out.join('');
  return text.endsWith('\n') ? text : `${text}\n`;
}
