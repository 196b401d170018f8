// The PCI tree as text for a terminal: each bus with what sits in its slots, ports and bridges
// with their own buses nested below, empty ports and free slots marked. Pure: model in, text out.
import type { Domain } from '../model/types.js';
import { buildPciTree, plural, rootName, shortAddress, slotRanges, spareSummary, type PciNode, type PciTree } from './pciTree.js';

function label(n: PciNode): string {
  if (n.role === 'device') {
    const broken = n.broken.length ? ` BROKEN: ${[...new Set(n.broken.map((b) => b.hint))].join(', ')}` : '';
    const moved = n.movedFrom ? ` MOVED from ${n.movedFrom.slice(5)}` : '';
    return `${n.id}${n.model ? ` ${n.model}` : ''}${n.hints.length ? ` [${n.hints.join(' ')}]` : ''}${broken}${moved}`;
  }
  const b = n.bus;
  const extras = [
    n.movedFrom ? `MOVED from ${n.movedFrom.slice(5)}` : '',
    b?.hotplugOff ? "hotplug='off'" : '',
    b?.numa !== undefined ? `NUMA node ${b.numa}` : '',
    b?.busNr !== undefined ? `busNr ${b.busNr}` : '',
  ].filter(Boolean);
  return `${n.id} ${n.model}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** What is left on a bus, as the last line under it (nothing when it is full). */
function freeLine(n: PciNode): string | undefined {
  const b = n.bus;
  if (!b || b.free.length === 0) return undefined;
  const hp = b.hotpluggable ? 'hot-pluggable' : 'not hot-pluggable';
  if (b.isPort) return b.spare ? `(free, ${hp}) spare port` : `(free, ${hp})`;
  return `free: ${plural(b.free.length, 'slot')} ${slotRanges(b.free)} (for ${b.takes}${b.hotpluggable ? ', hot-pluggable' : ''})`;
}

export function renderPciTree(tree: PciTree): string {
  const lines: string[] = [];
  const walk = (n: PciNode, prefix: string) => {
    const free = freeLine(n);
    const rows: (PciNode | string)[] = [...n.children, ...(free ? [free] : [])];
    rows.forEach((row, i) => {
      const last = i === rows.length - 1;
      if (typeof row === 'string') {
        lines.push(`${prefix}└─ ${row}`);
        return;
      }
      lines.push(`${prefix}${last ? '└─' : '├─'} ${shortAddress(row.address!)} ${label(row)}`);
      walk(row, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  for (const root of tree.roots) {
    const hp = root.bus?.hotpluggable ? 'hot-pluggable' : 'not hot-pluggable';
    lines.push(`${rootName(root)} (${root.model}, bus ${root.bus?.index ?? 0}, ${hp})`);
    walk(root, '');
  }
  if (tree.unplaced.length) lines.push(`no address yet (${tree.unplaced.length}): ${tree.unplaced.join(', ')}`);
  else lines.push(spareSummary(tree));
  return `${lines.join('\n')}\n`;
}

export function renderTree(domain: Domain): string {
  return renderPciTree(buildPciTree(domain));
}
