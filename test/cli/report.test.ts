import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const workstation = join(REPO, 'fixtures', 'q35-workstation.xml');
const groups = join(REPO, 'fixtures', 'hard', 'groups.xml');

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
