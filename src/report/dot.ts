// The PCI tree as Graphviz DOT: one node per controller and device (named by its device id, its
// address on the first line), an edge from each bus to what sits on it, one node per bus for its
// free slots. Node classes (root, expander, port, hotplug-off, spare, switch, bridge, device,
// free) carry into the SVG, so the HTML legend and any reader can tell them apart.
import { plural, rootName, shortAddress, slotRanges, spareSummary, walkTree, type PciNode } from './pciTree.js';
import type { View } from './views.js';

// Labels stay ASCII: Graphviz has no width for other characters and would guess.
// Graphviz sizes boxes from its own table of font metrics, and only for one family by name: the
// widest common sans (Verdana) keeps text inside its box wherever the SVG falls back to another.
export const FONT = 'Verdana';
export const FONT_FALLBACKS = 'Verdana,DejaVu Sans,Arial,sans-serif';

/** How one kind of node looks; the legend draws the same entries. */
export interface Look {
  cls: string;
  what: string;
  attrs: Record<string, string>;
}

export const LOOKS = {
  root: { cls: 'root', what: 'root bus (pcie.0 / pci.0)', attrs: { fillcolor: '#37474f', color: '#263238', fontcolor: '#ffffff', style: 'filled' } },
  expander: { cls: 'expander', what: 'expander bus (pxb, pxb-pcie) with its NUMA node', attrs: { fillcolor: '#ffe0b2', color: '#e65100', style: 'filled', peripheries: '2' } },
  port: { cls: 'port hotplug-on', what: 'port, hotplug on', attrs: { fillcolor: '#c8e6c9', color: '#2e7d32', style: 'filled' } },
  portOff: { cls: 'port hotplug-off', what: "port, hotplug='off' (guest cannot eject)", attrs: { fillcolor: '#ffcdd2', color: '#c62828', style: 'filled,diagonals,bold' } },
  spare: { cls: 'port spare', what: 'spare port: empty, hot-pluggable', attrs: { fillcolor: '#ffffff', color: '#2e7d32', fontcolor: '#1b5e20', style: 'filled,dashed,bold' } },
  emptyOff: { cls: 'port hotplug-off empty', what: "empty port, hotplug='off'", attrs: { fillcolor: '#ffffff', color: '#c62828', style: 'filled,dashed,diagonals' } },
  switch: { cls: 'switch', what: 'switch upstream port', attrs: { fillcolor: '#bbdefb', color: '#1565c0', style: 'filled' } },
  bridge: { cls: 'bridge', what: 'bridge (pci-bridge, pcie-to-pci-bridge, dmi-to-pci-bridge)', attrs: { fillcolor: '#e1bee7', color: '#6a1b9a', style: 'filled' } },
  device: { cls: 'device', what: 'device (endpoint)', attrs: { fillcolor: '#fffde7', color: '#757575', style: 'filled,rounded' } },
  broken: { cls: 'device broken', what: 'device whose hints this layout breaks', attrs: { fillcolor: '#fffde7', color: '#c62828', fontcolor: '#b71c1c', style: 'filled,rounded,bold', penwidth: '2' } },
  free: { cls: 'free', what: 'free slots on a bus', attrs: { fillcolor: '#ffffff', color: '#9e9e9e', fontcolor: '#616161', style: 'dashed,rounded' } },
} satisfies Record<string, Look>;

export function lookOf(n: PciNode): Look {
  if (n.role === 'port') {
    const empty = n.bus !== undefined && n.bus.free.length > 0;
    if (n.bus?.spare) return LOOKS.spare;
    if (n.bus && !n.bus.hotpluggable) return empty ? LOOKS.emptyOff : LOOKS.portOff;
    return LOOKS.port;
  }
  if (n.broken.length) return LOOKS.broken;
  return LOOKS[n.role];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A DOT quoted id. */
export const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

interface Line {
  text: string;
  bold?: boolean;
  small?: boolean;
}

/** An HTML-like label: one style per line, since Graphviz measures mixed runs badly. */
function htmlLabel(lines: Line[]): string {
  const body = lines
    .map((l) => {
      let t = esc(l.text);
      if (l.bold) t = `<B>${t}</B>`;
      if (l.small) t = `<FONT POINT-SIZE="9">${t}</FONT>`;
      return t;
    })
    .join('<BR/>');
  return `<${body}>`;
}

function hotplugText(n: PciNode): string {
  const b = n.bus!;
  if (n.role === 'port') {
    const state = b.hotpluggable ? 'hotplug on' : b.hotplugOff ? "hotplug='off'" : 'no hotplug';
    return b.free.length > 0 ? `${b.spare ? 'SPARE: empty, ' : 'empty, '}${state}` : state;
  }
  return b.hotpluggable ? 'hot-pluggable slots' : 'no hotplug';
}

export function nodeLines(n: PciNode): Line[] {
  const addr = n.address ? shortAddress(n.address) : '';
  const b = n.bus;
  switch (n.role) {
    case 'root':
      return [{ text: rootName(n), bold: true }, { text: `${n.model}, bus ${b?.index ?? 0}` }, { text: b?.hotpluggable ? 'hot-pluggable slots' : 'no hotplug', small: true }];
    case 'expander':
      return [
        { text: addr, bold: true },
        { text: n.model },
        { text: b?.numa !== undefined ? `NUMA node ${b.numa}` : 'no NUMA node', bold: true },
        { text: `bus ${b?.index}${b?.busNr !== undefined ? `, busNr ${b.busNr}` : ''}`, small: true },
      ];
    case 'device': {
      const detail = [n.model, n.hints.join(' '), n.movedFrom ? `moved from ${n.movedFrom.slice(5)}` : ''].filter(Boolean).join(', ');
      const broken = n.broken.length ? [{ text: `breaks: ${[...new Set(n.broken.map((b) => b.hint))].join(', ')}`, bold: true, small: true }] : [];
      return [{ text: addr, bold: true }, { text: n.id }, ...(detail ? [{ text: detail, small: true }] : []), ...broken];
    }
    default:
      return [{ text: addr, bold: true }, { text: `${n.model}, bus ${b?.index}` }, ...(b ? [{ text: hotplugText(n), small: true }] : [])];
  }
}

const attrList = (attrs: Record<string, string>) =>
  Object.entries(attrs)
    .map(([k, v]) => `${k}=${v.startsWith('<') ? v : quote(v)}`)
    .join(', ');

/**
 * A view's node and edge statements. Graphviz orders a left-to-right cluster's ranks bottom-up
 * from the edge order, the reverse of a plain graph: `reverseEdges` keeps address order reading
 * top-down inside a cluster.
 */
function viewBody(view: View, indent: string, reverseEdges = false): string[] {
  const p = view.key ? `${view.key}/` : '';
  const idOf = (s: string) => `${view.key ? `${view.key}-` : ''}n${s}`;
  const lines: string[] = [];
  // Free slots come last among a bus's children (ordering=out keeps edges in file order).
  const free: string[] = [];
  const edges: string[] = [];
  const freeEdges: string[] = [];
  let count = 0;
  for (const { node, parent } of walkTree(view.tree)) {
    const look = lookOf(node);
    const name = `${p}${node.id}`;
    lines.push(`${indent}${quote(name)} [${attrList({ id: idOf(String(count++)), class: look.cls, label: htmlLabel(nodeLines(node)), tooltip: node.id, ...look.attrs })}];`);
    if (parent) edges.push(`${indent}${quote(`${p}${parent.id}`)} -> ${quote(name)} [id="${idOf(`${count - 1}e`)}"];`);
    const b = node.bus;
    if (b && !b.isPort && b.free.length > 0) {
      const name = `${p}free:${b.index}`;
      const label = htmlLabel([
        { text: `free: ${plural(b.free.length, 'slot')}` },
        { text: slotRanges(b.free), small: true },
        { text: `for ${b.takes}${b.hotpluggable ? ', hot-pluggable' : ''}`, small: true },
      ]);
      free.push(`${indent}${quote(name)} [${attrList({ id: idOf(`free${b.index}`), class: LOOKS.free.cls, label, tooltip: `free slots on bus ${b.index}`, ...LOOKS.free.attrs })}];`);
      freeEdges.push(`${indent}${quote(`${p}${node.id}`)} -> ${quote(name)} [id="${idOf(`free${b.index}e`)}", style="dashed", color="#9e9e9e", arrowhead="none"];`);
    }
  }
  lines.push(...free);
  const allEdges = [...edges, ...freeEdges];
  if (view.tree.unplaced.length) {
    lines.push(`${indent}${quote(`${p}unplaced`)} [${attrList({ id: idOf('unplaced'), class: 'unplaced', shape: 'note', label: htmlLabel([{ text: `no address yet (${view.tree.unplaced.length})`, bold: true }, ...view.tree.unplaced.map((u) => ({ text: u, small: true }))]) })}];`);
  }
  return [...lines, ...(reverseEdges ? allEdges.reverse() : allEdges)];
}

/** The graph's caption: where the layout came from and what it leaves spare. */
export function caption(view: View): string {
  return `${view.heading}\n${view.tree.unplaced.length ? `${view.tree.unplaced.length} devices without an address` : spareSummary(view.tree)}`;
}

const HEADER = [
  `  graph [rankdir="LR", fontname=${quote(FONT)}, fontsize="13", labelloc="t", labeljust="l", nodesep="0.12", ranksep="0.45", bgcolor="#ffffff", ordering="out"];`,
  `  node [shape="box", fontname=${quote(FONT)}, fontsize="10", margin="0.1,0.04", penwidth="1.2"];`,
  `  edge [color="#546e7a", arrowsize="0.6"];`,
];

/** Left-aligned lines (DOT's \l escape ends each one). */
const labelOf = (view: View) => `"${caption(view).split('\n').map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\l')}\\l"`;

/** One view as a graph; several as clusters of one graph (`--compare`). */
export function renderDot(views: View[]): string {
  const out = ['digraph pciplan {', ...HEADER];
  if (views.length === 1) {
    out.push(`  graph [id="${views[0]!.key || 'pci'}", label=${labelOf(views[0]!)}];`, ...viewBody(views[0]!, '  '));
  } else {
    out.push(`  graph [id="compare"];`);
    // Graphviz stacks a left-to-right graph's clusters bottom-up: the first view is written last
    // so that it is drawn on top.
    for (const v of [...views].reverse()) {
      out.push(`  subgraph ${quote(`cluster_${v.key}`)} {`, `    graph [id="${v.key}", label=${labelOf(v)}, color="#b0bec5", style="rounded"];`, ...viewBody(v, '    ', true), '  }');
    }
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** A graph of one sample of each look, for the HTML page's legend. */
export function legendDot(): string {
  const out = ['digraph legend {', ...HEADER.map((l) => l.replace('rankdir="LR"', 'rankdir="TB"')), '  graph [id="legend", ranksep="0.15"];'];
  const looks: Look[] = Object.values(LOOKS);
  const perRow = 4;
  looks.forEach((look, i) => {
    out.push(`  ${quote(`legend${i}`)} [${attrList({ id: `legend-${i}`, class: look.cls, label: htmlLabel([{ text: look.what }]), ...look.attrs })}];`);
  });
  // A grid: each row one rank, each column held together by invisible edges.
  for (let r = 0; r * perRow < looks.length; r++) {
    const row = looks.map((_, i) => i).filter((i) => Math.floor(i / perRow) === r);
    out.push(`  { rank="same"; ${row.map((i) => quote(`legend${i}`)).join('; ')}; }`);
    for (const i of row) if (i + perRow < looks.length) out.push(`  ${quote(`legend${i}`)} -> ${quote(`legend${i + perRow}`)} [id="legend-${i}e", style="invis"];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
