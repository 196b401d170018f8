// Structural edits that keep the document looking hand-written: an inserted element gets the
// indentation of its siblings, and a subtree pciplan creates is laid out in the same style.
import type { XmlElement, XmlNode } from './tree.js';

/**
 * The indentation a text node gives what follows it: the whitespace its last line starts with.
 * Only whitespace: text written before an element (`note: <disk>`) is the user's, written once.
 */
const indentOf = (raw: string) => /^[ \t]*/.exec(raw.slice(raw.lastIndexOf('\n') + 1))![0];

/** The indentation `el` itself has inside `parent` (the whitespace line before it). */
export function ownIndent(parent: XmlElement, el: XmlNode): string | undefined {
  const prev = parent.children[parent.children.indexOf(el) - 1];
  return prev?.type === 'text' && prev.raw.includes('\n') ? indentOf(prev.raw) : undefined;
}

/** Indentation of the children of `parent`, read from the whitespace before its elements. */
export function childIndent(parent: XmlElement, step: string, parentIndent?: string): string {
  for (let i = 1; i < parent.children.length; i++) {
    const prev = parent.children[i - 1]!;
    if (parent.children[i]!.type !== 'text' && prev.type === 'text' && prev.raw.includes('\n')) return indentOf(prev.raw);
  }
  const last = parent.children[parent.children.length - 1];
  if (last?.type === 'text' && last.raw.includes('\n')) return indentOf(last.raw) + step;
  return (parentIndent ?? '') + step;
}

/** Give a fresh subtree (one pciplan created) line breaks and indentation. */
function layout(el: XmlElement, indent: string, step: string): void {
  const kids = el.children.filter((c): c is XmlElement => c.type === 'element');
  if (kids.length === 0 || kids.length !== el.children.length) return;
  const inner = indent + step;
  el.children = kids.flatMap((k): XmlNode[] => {
    layout(k, inner, step);
    return [{ type: 'text', raw: `\n${inner}` }, k];
  });
  el.children.push({ type: 'text', raw: `\n${indent}` });
}

/**
 * Insert `el` after the node `ref` (or as the first child when ref is null). `parentIndent` is the
 * parent's own indentation, needed when the parent has no children to learn it from.
 */
export function insertAfter(parent: XmlElement, ref: XmlNode | null, el: XmlElement, step = '  ', parentIndent?: string): void {
  const indent = childIndent(parent, step, parentIndent);
  layout(el, indent, step);
  const hasElements = parent.children.some((c) => c.type !== 'text');
  if (!hasElements) {
    const closing = parent.children.length ? indentOf((parent.children[parent.children.length - 1] as { raw: string }).raw) : (parentIndent ?? '');
    parent.children = [{ type: 'text', raw: `\n${indent}` }, el, { type: 'text', raw: `\n${closing}` }];
    return;
  }
  if (ref === null) {
    const first = parent.children[0];
    const at = first?.type === 'text' ? 1 : 0;
    parent.children.splice(at, 0, el, { type: 'text', raw: `\n${indent}` });
    return;
  }
  const i = parent.children.indexOf(ref);
  if (i === -1) throw new Error('insertAfter: reference node is not a child');
  parent.children.splice(i + 1, 0, { type: 'text', raw: `\n${indent}` }, el);
}

export function appendChild(parent: XmlElement, el: XmlElement, step = '  ', parentIndent?: string): void {
  const last = [...parent.children].reverse().find((c) => c.type !== 'text') ?? null;
  insertAfter(parent, last, el, step, parentIndent);
}

/** Remove an element together with the whitespace that indented it. */
export function removeChild(parent: XmlElement, el: XmlElement): void {
  const i = parent.children.indexOf(el);
  if (i === -1) return;
  const prev = parent.children[i - 1];
  if (prev?.type === 'text' && prev.raw.trim() === '') parent.children.splice(i - 1, 2);
  else parent.children.splice(i, 1);
}
