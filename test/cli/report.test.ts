import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const workstation = join(REPO, 'fixtures', 'q35-workstation.xml');
const groups = join(REPO, 'fixtures', 'hard', 'groups.xml');
const numa4 = join(REPO, 'fixtures', 'hard', 'numa-4.xml');

describe('pciplan show', () => {
  it('draws the tree as written: addressed devices under their buses, the rest listed', () => {
    const r = pciplan(['show', join(REPO, 'fixtures', 'q35-workstation.libvirt.xml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pcie\.0 \(pcie-root, bus 0, not hot-pluggable\)\n├─ 00:01\.0 video\[1\] qxl\n├─ 00:02\.0 controller\[pci 1\] pcie-root-port\n│  └─ 01:00\.0 /);
    expect(r.stdout).toContain('(free, hot-pluggable)');
    expect(r.stdout).not.toContain('no address yet');
    expect(pciplan(['show', workstation]).stdout).toMatch(/no address yet \(11\): disk\[vda\], disk\[vdb\]/);
  });

  it('draws the layout a strategy gives', () => {
    const r = pciplan(['show', workstation, '--strategy', 'optimal']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/├─ 00:04\.0 hostdev\[ua-gpu\] \[hotplug=no group=gpu\]\n├─ 00:04\.1 hostdev\[ua-gpu-audio\] \[hotplug=no group=gpu\]/);
    expect(r.stdout).toContain('└─ free: 25 slots 05-1a, 1c-1e (for PCIe devices)\n');
    expect(r.stdout).toMatch(/spare: 1 free hot-pluggable PCIe port, 0 free hot-pluggable PCI slots\n$/);
  });

  // One test per domain and per format: each spawns the CLI a bounded number of times, so a busy
  // machine cannot push one past the per-test timeout.
  it.each([['workstation', workstation], ['numa-4', numa4]])('--compare: both strategies, in every format, with the controller counts assign gives (%s)', (_, file) => {
    {
      const count = (strategy: string) => JSON.parse(pciplan(['assign', file, '--strategy', strategy, '--format', 'json']).stdout).objective.addedControllers as number;
      const greedy = count('greedy');
      const optimal = count('optimal');
      expect(greedy).not.toBe(optimal);
      const out = (format: string) => {
        const r = pciplan(['show', file, '--compare', '--format', format]);
        expect(r.code, r.stderr).toBe(0);
        return r.stdout.replace(/&#45;/g, '-');
      };
      const tree = out('tree');
      // The hints each layout breaks, counted as compare counts them.
      const sides = JSON.parse(pciplan(['compare', file, '--format', 'json']).stdout).domains[0];
      const brokenIn = (section: string) => Number(/; (\d+) hints? broken\n/.exec(section)?.[1] ?? 0);
      const [greedyTree, optimalTree] = tree.split('\n== ').slice(0, 2);
      expect(sides.greedy.hintsViolated).toBeGreaterThan(0);
      expect(brokenIn(greedyTree!)).toBe(sides.greedy.hintsViolated);
      expect(brokenIn(optimalTree!)).toBe(sides.optimal.hintsViolated);
      expect(tree).toContain(`== ${basename(file, '.xml').replace('q35-', '')} (q35), greedy (libvirt): ${greedy} controllers added ==\npcie.0`);
      expect(tree).toMatch(new RegExp(`\\n== \\S+ \\(q35\\), optimal: ${optimal} controllers added, proven optimal ==\\npcie\\.0`));
      const dot = out('dot');
      expect(dot).toMatch(/subgraph "cluster_greedy" \{\n {4}graph \[id="greedy", label="[^"]*greedy \(libvirt\): (\d+) controllers added/);
      expect(Number(/greedy \(libvirt\): (\d+) controllers added/.exec(dot)![1])).toBe(greedy);
      expect(Number(/subgraph "cluster_optimal"[^\n]*\n[^\n]*optimal: (\d+) controllers added/.exec(dot)![1])).toBe(optimal);
      const svg = out('svg');
      expect(svg).toContain(`greedy (libvirt): ${greedy} controllers added`);
      expect(svg).toContain(`optimal: ${optimal} controllers added`);
      const html = out('html');
      expect(html).toMatch(new RegExp(`id="view-greedy">\\n<h2>[^<]*</h2>\\n<p class="count">${greedy} controllers added</p>`));
      expect(html).toMatch(new RegExp(`id="view-optimal">\\n<h2>[^<]*</h2>\\n<p class="count">${optimal} controllers added</p>`));
    }
  });

  it.each(['dot', 'svg', 'html'])('writes byte-identical %s for the same input', (format) => {
    {
      const a = pciplan(['show', numa4, '--strategy', 'optimal', '--format', format]);
      const b = pciplan(['show', numa4, '--strategy', 'optimal', '--format', format]);
      expect(a.code).toBe(0);
      expect(a.stdout.length).toBeGreaterThan(1000);
      expect(b.stdout).toBe(a.stdout);
    }
  });

  it('refuses a bad --format, and --compare with --strategy, with exit 2 and one line', () => {
    const bad = pciplan(['show', workstation, '--format', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pciplan: .*format.*\n$/);
    const both = pciplan(['show', workstation, '--compare', '--strategy', 'greedy']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('pciplan: --compare shows both strategies; leave out --strategy\n');
  });
});

describe('pciplan compare', () => {
  it('puts greedy and optimal side by side, with the figures assign gives for each', () => {
    const json = JSON.parse(pciplan(['compare', workstation, groups, '--format', 'json']).stdout);
    expect(json.domains.map((d: { file: string }) => d.file)).toEqual([workstation, groups]);
    for (const d of json.domains) {
      for (const strategy of ['greedy', 'optimal']) {
        const alone = JSON.parse(pciplan(['assign', d.file, '--strategy', strategy, '--format', 'json']).stdout);
        const side = d[strategy];
        expect(side.ok).toBe(true);
        expect(side.result.devices).toEqual(alone.devices);
        expect(side.result.addedControllers).toEqual(alone.addedControllers);
        expect(side.addedControllers).toBe(alone.objective.addedControllers);
        expect(side.busNumbers).toBe(alone.objective.busNumbers);
      }
    }
    expect(json.domains[1].greedy).toMatchObject({ addedControllers: 9, hintsViolated: 5 });
    expect(json.domains[1].optimal).toMatchObject({ addedControllers: 3, hintsViolated: 0, proven: true, freeHotplugPorts: 1 });
    const table = pciplan(['compare', groups]).stdout;
    expect(table).toMatch(/groups\.xml\s+greedy\s+9\s+9 pcie-root-port\s+10\s+1\/0\s+5\s/);
    expect(table).toMatch(/groups\.xml\s+optimal\s+3\s+3 pcie-root-port\s+4\s+1\/0\s+0\s+[\d.]+\s+yes/);
  });
});

describe('pciplan show --compare when one side has no layout', () => {
  it('draws the failing side as written and says why, the other as laid out', () => {
    const r = pciplan(['show', join(REPO, 'fixtures', 'hard', 'bus-limit.xml'), '--compare']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^== bus-limit \(q35\), greedy \(libvirt\) gives no layout: a PCI slot is needed .*; shown as written ==$/m);
    expect(r.stdout).toMatch(/^== bus-limit \(q35\), optimal: 255 controllers added, proven optimal ==$/m);
  });
});
