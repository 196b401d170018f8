// DOT to SVG with Graphviz itself (@viz-js/viz, Graphviz compiled to WebAssembly): no layout of
// pciplan's own. Several views are laid out one by one and set side by side, since Graphviz
// stacks a left-to-right graph's clusters vertically. Graphviz is loaded on the first SVG only:
// the other formats of `show` never pay for it.
import { FONT, FONT_FALLBACKS, renderDot } from './dot.js';
import type { View } from './views.js';

export async function dotToSvg(dot: string): Promise<string> {
  const viz = await (await import('@viz-js/viz')).instance();
  const r = viz.render(dot, { format: 'svg' });
  if (r.status !== 'success') throw new Error(`Graphviz could not lay out pciplan's graph: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.output.replaceAll(`font-family="${FONT}"`, `font-family="${FONT_FALLBACKS}"`);
}

/** The `<svg …>…</svg>` element of Graphviz's output, without its XML prolog and doctype. */
export function svgElement(svg: string): string {
  const start = svg.indexOf('<svg');
  return svg.slice(start).trimEnd();
}

const GAP = 24;

/** An SVG of the views side by side, each as Graphviz drew it, tops aligned. */
export async function renderSvg(views: View[]): Promise<string> {
  if (views.length === 1) return dotToSvg(renderDot(views));
  const parts = [];
  for (const v of views) {
    const el = svgElement(await dotToSvg(renderDot([v])));
    const box = /viewBox="([\d.-]+) ([\d.-]+) ([\d.]+) ([\d.]+)"/.exec(el);
    if (!box) throw new Error('Graphviz wrote an SVG without a viewBox');
    parts.push({ el, w: Number(box[3]), h: Number(box[4]) });
  }
  const prolog = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n';
  const width = parts.reduce((s, p) => s + p.w, 0) + GAP * (parts.length - 1);
  const height = Math.max(...parts.map((p) => p.h));
  let x = 0;
  const inner = parts.map((p) => {
    // Nested in user units (1 unit = 1pt of the outer picture), placed at its column.
    const el = p.el.replace(/^<svg width="[^"]*" height="[^"]*"/, `<svg x="${x}" y="0" width="${p.w}" height="${p.h}"`);
    x += p.w + GAP;
    return el;
  });
  return (
    `${prolog}<svg width="${width}pt" height="${height}pt" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n${inner.join('\n')}\n</svg>\n`
  );
}
