/**
 * The pictures `pciplan show` draws (DOT, SVG, HTML) and the text tree, all from one model: each
 * must hold every controller and device of the layout once, at its address, under the bus it is
 * on, with hotplug-off ports and spare ports marked as the validator counts them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instance } from '@viz-js/viz';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { assignDomain, type AssignResult, type Strategy } from '../../src/assign.js';
import { CONTROLLERS } from '../../src/catalog/index.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { PolicySchema, type Policy } from '../../src/model/schemas.js';
import { buildTopology } from '../../src/model/topology.js';
import { formatAddress } from '../../src/model/types.js';
import { renderDot } from '../../src/report/dot.js';
import { renderHtml } from '../../src/report/html.js';
import { buildPciTree } from '../../src/report/pciTree.js';
import { renderSvg } from '../../src/report/svg.js';
import { renderPciTree } from '../../src/report/tree.js';
import { strategyView, writtenView } from '../../src/report/views.js';
import { spareCapacity } from '../../src/validate/hints.js';
import { REPO } from '../helpers/corpus.js';
import { ctrl, domainXml, pciAddr } from '../../testkit/domains.js';

const FIXTURES = ['q35-workstation', 'hard/numa-4', 'hard/groups', 'hard/spares', 'hard/legacy-q35', 'hard/mixed-hotplug'];

function load(name: string): { text: string; policy: Policy } {
  const text = readFileSync(join(REPO, 'fixtures', `${name}.xml`), 'utf8');
  const policyFile = join(REPO, 'fixtures', `${name}.policy.json`);
  const policy = existsSync(policyFile) ? PolicySchema.parse(JSON.parse(readFileSync(policyFile, 'utf8'))) : {};
  return { text, policy };
}

async function layout(name: string, strategy: Strategy): Promise<{ r: AssignResult; policy: Policy }> {
  const { text, policy } = load(name);
  return { r: await assignDomain(parseDomain(text, name), { strategy, policy }), policy };
}

interface DotNode {
  name: string;
  cls: string;
  label: string;
}

/** The node and edge statements of pciplan's DOT (one per line, as renderDot writes them). */
function parseDot(dot: string): { nodes: Map<string, DotNode>; edges: [string, string][]; dupes: string[] } {
  const nodes = new Map<string, DotNode>();
  const dupes: string[] = [];
  const edges: [string, string][] = [];
  for (const line of dot.split('\n')) {
    const edge = /^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"/.exec(line);
    if (edge) {
      edges.push([edge[1]!, edge[2]!]);
      continue;
    }
    const node = /^\s*"((?:[^"\\]|\\.)*)" \[id="[^"]*", class="([^"]*)", label=<(.*?)>, /.exec(line);
    if (node) {
      if (nodes.has(node[1]!)) dupes.push(node[1]!);
      nodes.set(node[1]!, { name: node[1]!, cls: node[2]!, label: node[3]! });
    }
  }
  return { nodes, edges, dupes };
}

const short = (address: string) => address.slice(5);

/** SVG/HTML text with the character references Graphviz writes (&#45; for '-') resolved. */
const plain = (s: string) =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('show --format dot: the structure of the layout', () => {
  for (const name of FIXTURES) {
    for (const strategy of ['greedy', 'optimal'] as const) {
      it(`${name} (${strategy})`, async () => {
        const { r, policy } = await layout(name, strategy);
        const { nodes, edges, dupes } = parseDot(renderDot([strategyView(r, policy)]));
        expect(dupes).toEqual([]);
        // Every device and controller assign placed: one node, named by its id, showing its address.
        const placed = [...r.devices.map((d) => ({ id: d.id, address: d.address }))];
        expect(placed.length).toBeGreaterThan(0);
        for (const d of placed) {
          const node = nodes.get(d.id);
          expect(node, d.id).toBeDefined();
          expect(node!.label).toContain(`<B>${short(d.address)}</B>`);
        }
        for (const c of r.addedControllers) if (c.address) expect(nodes.get(`controller[pci ${c.index}]`)!.label).toContain(short(c.address));
        // Nothing drawn that the layout does not have: device nodes are the placed devices, roots and free slots.
        const drawn = [...nodes.keys()].filter((n) => !n.startsWith('free:'));
        const roots = r.domain.devices.filter((d) => d.pci && CONTROLLERS[d.pci.model].connect === null).map((d) => d.id);
        expect(drawn.sort()).toEqual([...placed.map((d) => d.id), ...roots].sort());
        // Edges follow bus parentage: each placed device hangs from the controller whose index is its bus.
        const parentOf = new Map(edges.filter(([, to]) => !to.startsWith('free:')).map(([from, to]) => [to, from]));
        expect(parentOf.size).toBe(edges.filter(([, to]) => !to.startsWith('free:')).length);
        for (const d of placed) {
          const bus = parseInt(d.address.split(':')[1]!, 16);
          expect(parentOf.get(d.id), d.id).toBe(`controller[pci ${bus}]`);
        }
        // hotplug='off' ports are marked, and only they.
        const off = r.domain.devices.filter((d) => d.pci?.target.hotplug === 'off').map((d) => d.id).sort();
        expect([...nodes.values()].filter((n) => n.cls.split(' ').includes('hotplug-off')).map((n) => n.name).sort()).toEqual(off);
        // Spare ports counted as the policy counts them.
        const spare = spareCapacity(r.domain, buildTopology(r.domain));
        expect([...nodes.values()].filter((n) => n.cls.split(' ').includes('spare')).length).toBe(spare.pciePorts);
        const tree = buildPciTree(r.domain);
        const walk = (n: (typeof tree.roots)[number]): number => (n.bus?.spareSlots ?? 0) + n.children.reduce((s, c) => s + walk(c), 0);
        expect(tree.roots.reduce((s, n) => s + walk(n), 0)).toBe(spare.pciSlots);
      });
    }
  }

  it('spare ports: exactly the ones the hand-worked optimum leaves (spares: 2, workstation: 1)', async () => {
    for (const [name, want] of [['hard/spares', 2], ['q35-workstation', 1]] as const) {
      const { r, policy } = await layout(name, 'optimal');
      const { nodes } = parseDot(renderDot([strategyView(r, policy)]));
      const spares = [...nodes.values()].filter((n) => n.cls.split(' ').includes('spare'));
      expect(spares.length, name).toBe(want);
      for (const s of spares) expect(s.label).toContain('SPARE: empty, hotplug on');
    }
  });

  it('marks the hints a layout breaks: greedy breaks the workstation GPU group and hotplug, optimal none', async () => {
    const greedy = parseDot(renderDot([strategyView((await layout('q35-workstation', 'greedy')).r)]));
    expect(greedy.nodes.get('hostdev[ua-gpu]')!.cls).toBe('device broken');
    expect(greedy.nodes.get('hostdev[ua-gpu]')!.label).toContain('breaks: hotplug, group');
    expect(greedy.nodes.get('disk[vda]')!.label).toContain('breaks: hotplug');
    const optimal = parseDot(renderDot([strategyView((await layout('q35-workstation', 'optimal')).r)]));
    expect([...optimal.nodes.values()].filter((n) => n.cls.includes('broken'))).toEqual([]);
  });
});

describe('a written tree with every kind of controller', () => {
  // pcie.0 <- expander (node 1) <- root port (hotplug off) <- NIC; root port <- switch upstream <-
  // two downstream ports (one empty: spare) ; root port <- pcie-to-pci-bridge <- pci-bridge (empty).
  const xml = domainXml({
    numa: 2,
    devices: [
      ctrl(0, 'pcie-root'),
      ctrl(1, 'pcie-expander-bus', pciAddr(0, 1), "<target busNr='200'><node>1</node></target>"),
      ctrl(2, 'pcie-root-port', pciAddr(1, 0), "<target chassis='2' port='0x8' hotplug='off'/>"),
      ctrl(3, 'pcie-root-port', pciAddr(0, 2), "<target chassis='3' port='0x10'/>"),
      ctrl(4, 'pcie-switch-upstream-port', pciAddr(3, 0)),
      ctrl(5, 'pcie-switch-downstream-port', pciAddr(4, 0), "<target chassis='5' port='0x0'/>"),
      ctrl(6, 'pcie-switch-downstream-port', pciAddr(4, 1), "<target chassis='6' port='0x1'/>"),
      ctrl(7, 'pcie-root-port', pciAddr(0, 3), "<target chassis='7' port='0x18'/>"),
      ctrl(8, 'pcie-to-pci-bridge', pciAddr(7, 0)),
      ctrl(9, 'pci-bridge', pciAddr(8, 1), "<target chassisNr='9'/>"),
      `<interface type='user'>\n  <mac address='52:54:00:00:00:01'/>\n  <model type='virtio'/>\n  ${pciAddr(2, 0)}\n</interface>`,
      `<interface type='user'>\n  <mac address='52:54:00:00:00:02'/>\n  <model type='e1000e'/>\n  ${pciAddr(5, 0)}\n</interface>`,
      `<interface type='user'>\n  <mac address='52:54:00:00:00:03'/>\n  <model type='e1000'/>\n  ${pciAddr(8, 2)}\n</interface>`,
    ],
  });
  const domain = parseDomain(xml, 'kinds.xml').domain;

  it('gives each controller its role, hotplug state and NUMA node', () => {
    const { nodes } = parseDot(renderDot([writtenView(domain)]));
    expect(nodes.get('controller[pci 0]')!.cls).toBe('root');
    expect(nodes.get('controller[pci 1]')!.cls).toBe('expander');
    expect(nodes.get('controller[pci 1]')!.label).toContain('<B>NUMA node 1</B>');
    expect(nodes.get('controller[pci 1]')!.label).toContain('busNr 200');
    expect(nodes.get('controller[pci 2]')!.cls).toBe('port hotplug-off');
    expect(nodes.get('controller[pci 3]')!.cls).toBe('port hotplug-on');
    expect(nodes.get('controller[pci 4]')!.cls).toBe('switch');
    expect(nodes.get('controller[pci 5]')!.cls).toBe('port hotplug-on');
    expect(nodes.get('controller[pci 6]')!.cls).toBe('port spare');
    expect(nodes.get('controller[pci 8]')!.cls).toBe('bridge');
    expect(nodes.get('controller[pci 9]')!.cls).toBe('bridge');
    // Free slots: the bridges' and the roots', with the hex ranges.
    expect(nodes.get('free:8')!.label).toContain('free: 29 slots');
    expect(nodes.get('free:8')!.label).toContain('03-1f');
    expect(nodes.get('free:9')!.label).toContain('free: 31 slots');
    expect(nodes.get('free:0')!.label).toContain('04-1e');
    // Policy spares: one downstream port; 29 + 31 bridge slots.
    expect(spareCapacity(domain, buildTopology(domain))).toEqual({ pciePorts: 1, pciSlots: 60 });
  });

  it('inherits the NUMA node down the tree and says which slots are hot-pluggable', () => {
    const tree = buildPciTree(domain);
    const find = (id: string) => {
      const stack = [...tree.roots];
      for (let n = stack.pop(); n; n = stack.pop()) {
        if (n.id === id) return n;
        stack.push(...n.children);
      }
      throw new Error(id);
    };
    expect(find('interface[52:54:00:00:00:01]')).toMatchObject({ numa: 1, hotpluggableSlot: false });
    expect(find('interface[52:54:00:00:00:02]')).toMatchObject({ numa: undefined, hotpluggableSlot: true });
    expect(find('interface[52:54:00:00:00:03]')).toMatchObject({ hotpluggableSlot: true });
    expect(renderPciTree(tree)).toContain(
      "├─ 00:01.0 controller[pci 1] pcie-expander-bus (NUMA node 1, busNr 200)\n│  ├─ 01:00.0 controller[pci 2] pcie-root-port (hotplug='off')\n",
    );
    expect(renderPciTree(tree)).toContain('│     ├─ 04:01.0 controller[pci 6] pcie-switch-downstream-port\n│     │  └─ (free, hot-pluggable) spare port\n');
    expect(renderPciTree(tree)).toMatch(/spare: 1 free hot-pluggable PCIe port, 60 free hot-pluggable PCI slots\n$/);
  });

  it('svg: well-formed XML from Graphviz, every device label in it', async () => {
    const raw = await renderSvg([writtenView(domain)]);
    expect(XMLValidator.validate(raw)).toBe(true);
    const svg = plain(raw);
    for (const d of domain.devices) {
      if (d.address.type !== 'pci' || !d.address.pci) continue;
      // Controllers are drawn by model and bus; their id is the node's title.
      expect(svg).toContain(d.pci ? `<title>${d.id}</title>` : `>${d.id}<`);
      expect(svg).toContain(`>${formatAddress(d.address.pci).slice(5)}<`);
    }
    expect(svg).toContain('<!-- Generated by graphviz');
  });
});

describe('svg and html', () => {
  it('--compare svg: both pictures side by side in one well-formed SVG, with their controller counts', async () => {
    const g = await layout('hard/groups', 'greedy');
    const o = await layout('hard/groups', 'optimal');
    const raw = await renderSvg([strategyView(g.r, g.policy, 'greedy'), strategyView(o.r, o.policy, 'optimal')]);
    expect(XMLValidator.validate(raw)).toBe(true);
    const svg = plain(raw);
    expect(svg.match(/<svg /g)).toHaveLength(3);
    expect(svg).toMatch(/<svg x="0" y="0" /);
    expect(svg).toMatch(/<svg x="[1-9][\d.]*" y="0" /);
    expect(svg).toContain('greedy (libvirt): 9 controllers added');
    expect(svg).toContain('optimal: 3 controllers added, proven optimal');
    const second = svg.indexOf('<svg x="', svg.indexOf('<svg x="0"') + 1);
    for (const [r, part] of [[g.r, svg.slice(0, second)], [o.r, svg.slice(second)]] as const) {
      for (const d of r.devices) {
        expect(part).toContain(`>${short(d.address)}<`);
        if (d.kind !== 'controller' || !d.id.startsWith('controller[pci')) expect(part).toContain(`>${d.id}<`);
      }
    }
  });

  it('html: self-contained (no external resource, no script), a table row per placed device, ids unique', async () => {
    const g = await layout('hard/numa-4', 'greedy');
    const o = await layout('hard/numa-4', 'optimal');
    const html = await renderHtml([strategyView(g.r, g.policy, 'greedy'), strategyView(o.r, o.policy, 'optimal')], 'numa-4');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const [side, r] of [['greedy', g.r], ['optimal', o.r]] as const) {
      const section = html.slice(html.indexOf(`<section class="view" id="view-${side}">`), html.indexOf('</section>', html.indexOf(`id="view-${side}"`)));
      for (const d of r.devices) expect(section).toContain(`<td class="addr">${d.address}</td><td>${d.id}</td>`);
      expect(section).toContain(`<p class="count">${r.objective.addedControllers} controllers added</p>`);
    }
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!);
    expect(new Set(ids).size).toBe(ids.length);
    // The legend shows every look, hotplug-off and spare among them.
    expect(plain(html)).toContain("port, hotplug='off' (guest cannot eject)");
    expect(plain(html)).toContain('spare port: empty, hot-pluggable');
  });

  it('--compare dot: two clusters Graphviz lays out without an error or warning, greedy drawn above', async () => {
    const g = await layout('q35-workstation', 'greedy');
    const o = await layout('q35-workstation', 'optimal');
    const dot = renderDot([strategyView(g.r, g.policy, 'greedy'), strategyView(o.r, o.policy, 'optimal')]);
    expect(dot.match(/subgraph "cluster_(greedy|optimal)"/g)!.sort()).toEqual(['subgraph "cluster_greedy"', 'subgraph "cluster_optimal"']);
    const viz = await instance();
    const r = viz.render(dot, { format: 'json' });
    expect(r.errors).toEqual([]);
    const objects = (JSON.parse(r.output!) as { objects: { name: string; pos?: string }[] }).objects;
    const y = (name: string) => Number(objects.find((n) => n.name === name)!.pos!.split(',')[1]);
    // Graphviz's y grows upwards: greedy's root above optimal's, and 00:02.0 above 00:02.1 in each.
    expect(y('greedy/controller[pci 0]')).toBeGreaterThan(y('optimal/controller[pci 0]'));
    for (const side of ['greedy', 'optimal']) expect(y(`${side}/controller[pci 1]`)).toBeGreaterThan(y(`${side}/controller[pci 2]`));
    // And alone (no cluster), the same top-down address order, free slots last.
    const alone = (JSON.parse(viz.render(renderDot([strategyView(o.r, o.policy)]), { format: 'json' }).output!) as { objects: { name: string; pos?: string }[] }).objects;
    const y1 = (name: string) => Number(alone.find((n) => n.name === name)!.pos!.split(',')[1]);
    expect(y1('controller[pci 1]')).toBeGreaterThan(y1('controller[pci 2]'));
    expect(y1('controller[sata 0]')).toBeGreaterThan(y1('free:0'));
  });

  it('is deterministic: the same input gives byte-identical dot, svg and html', async () => {
    const views = async () => {
      const { r, policy } = await layout('hard/numa-4', 'optimal');
      return [strategyView(r, policy)];
    };
    const a = await views();
    const b = await views();
    expect(renderDot(b)).toBe(renderDot(a));
    expect(await renderSvg(b)).toBe(await renderSvg(a));
    expect(await renderHtml(b, 't')).toBe(await renderHtml(a, 't'));
  });
});
