// A canonical form of a document: what must survive a round trip. Whitespace-only text between
// elements, quote characters and entity spelling are formatting; everything else (elements,
// attributes in order, text, comments, instructions) is content.
import { decodeEntities, escapeAttr, escapeText } from './entities.js';
import type { XmlDocument, XmlNode } from './tree.js';

function canon(node: XmlNode, out: string[]): void {
  switch (node.type) {
    case 'text': {
      const t = decodeEntities(node.raw);
      if (t.trim() !== '') out.push(escapeText(t));
      return;
    }
    case 'cdata':
      out.push(escapeText(node.text));
      return;
    case 'comment':
      out.push(`<!--${node.text}-->`);
      return;
    case 'pi':
      out.push(`<?${node.target}${node.attrs.map(([n, v]) => ` ${n}="${escapeAttr(decodeEntities(v), '"')}"`).join('')}?>`);
      return;
    case 'element':
      out.push(`<${node.name}${node.attrs.map(([n, v]) => ` ${n}="${escapeAttr(decodeEntities(v), '"')}"`).join('')}>`);
      for (const c of node.children) canon(c, out);
      out.push(`</${node.name}>`);
  }
}

export function canonicalXml(doc: XmlDocument): string {
  const out: string[] = [];
  if (doc.doctype) out.push(doc.doctype.replace(/\s+/g, ' '));
  for (const n of doc.nodes) canon(n, out);
  return out.join('');
}
