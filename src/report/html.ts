// One self-contained HTML page: each view's picture (Graphviz's SVG, inline), its heading and a
// table of every controller and device with its address, a legend drawn by Graphviz from the
// same looks. No script, no external stylesheet, font or image: it opens the same offline.
import { formatAddress } from '../model/types.js';
import { legendDot, lookOf, renderDot } from './dot.js';
import { spareSummary, walkTree, type PciNode } from './pciTree.js';
import { dotToSvg, svgElement } from './svg.js';
import type { View } from './views.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #212121; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin: 0 0 .3em; }
.views { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
.view { flex: 1 1 0; min-width: 22em; }
.view .count { font-size: 2em; font-weight: bold; }
.picture svg { max-width: 100%; height: auto; }
.legend svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: .85em; margin-top: 1em; }
th, td { border: 1px solid #cfd8dc; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #eceff1; } td.addr { font-family: monospace; white-space: nowrap; }
tr.root td { background: #eceff1; } tr.spare td { color: #1b5e20; } tr.hotplug-off td.hp, td.broken { color: #c62828; }
`;

function rows(view: View): string {
  const entries = walkTree(view.tree)
    .filter((e) => e.node.address)
    .sort((x, y) => {
      const a = x.node.address!;
      const b = y.node.address!;
      return a.bus - b.bus || a.slot - b.slot || a.function - b.function;
    });
  const on = (parent: PciNode | undefined) => (parent ? `${parent.model} (bus ${parent.bus?.index})` : '');
  const what = (n: PciNode) => {
    const b = n.bus;
    if (!b) return '';
    if (b.isPort) return b.spare ? 'spare (empty, hot-pluggable)' : b.free.length ? 'empty' : '';
    return b.free.length ? `${b.free.length} free slots` : 'full';
  };
  return entries
    .map(({ node: n, parent }) => {
      const cls = lookOf(n).cls;
      const cells = [
        `<td class="addr">${formatAddress(n.address!)}</td>`,
        `<td>${esc(n.id)}</td>`,
        `<td>${esc(n.model)}</td>`,
        `<td>${esc(on(parent))}</td>`,
        `<td class="hp">${n.hotpluggableSlot ? 'yes' : 'no'}</td>`,
        `<td>${n.numa ?? ''}</td>`,
        `<td>${esc([n.hints.join(' '), n.movedFrom ? `moved from ${n.movedFrom.slice(5)}` : ''].filter(Boolean).join('; '))}</td>`,
        `<td class="broken">${esc(n.broken.map((b) => b.message).join('; '))}</td>`,
        `<td>${esc(what(n))}</td>`,
      ];
      return `<tr class="${cls}">${cells.join('')}</tr>`;
    })
    .join('\n');
}

function table(view: View): string {
  const head = ['address', 'device', 'model', 'on', 'hot-pluggable slot', 'NUMA node', 'hints', 'hints broken', 'own bus'].map((h) => `<th>${h}</th>`).join('');
  const unplaced = view.tree.unplaced.length ? `<p>No address yet: ${esc(view.tree.unplaced.join(', '))}</p>` : '';
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows(view)}\n</tbody>\n</table>\n${unplaced}`;
}

export async function renderHtml(views: View[], title: string): Promise<string> {
  const sections = [];
  for (const v of views) {
    const svg = svgElement(await dotToSvg(renderDot([v])));
    const count = v.addedControllers !== undefined ? `<p class="count">${v.addedControllers} controller${v.addedControllers === 1 ? '' : 's'} added</p>\n` : '';
    sections.push(
      `<section class="view" id="view-${esc(v.key || 'pci')}">\n<h2>${esc(v.heading)}</h2>\n${count}<p>${esc(spareSummary(v.tree))}</p>\n<div class="picture">\n${svg}\n</div>\n${table(v)}</section>`,
    );
  }
  const legend = svgElement(await dotToSvg(legendDot()));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="legend">
${legend}
</div>
<div class="views">
${sections.join('\n')}
</div>
</body>
</html>
`;
}
