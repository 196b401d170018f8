// Writing the tree back. Values are written exactly as they were read (raw), so an untouched
// document comes out as it went in, up to formatting the parser does not keep (quote characters
// and attribute order are kept; `<a></a>` becomes `<a/>`, and a trailing newline is ensured).
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
      out.push(`<?${node.target}${writeAttrs(node.attrs, '"')}?>`);
      return;
    case 'element':
      writeElement(node, quote, out);
  }
}

function writeElement(el: XmlElement, quote: "'" | '"', out: string[]): void {
  const open = `<${el.name}${writeAttrs(el.attrs, quote, el.quotes)}`;
  if (el.children.length === 0) {
    out.push(`${open}/>`);
    return;
  }
  out.push(`${open}>`);
  for (const c of el.children) writeNode(c, quote, out);
  out.push(`</${el.name}>`);
}

export function writeXml(doc: XmlDocument): string {
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
