/**
 * The KubeVirt scenario (fixtures/stable/kubevirt-windows.xml, worked out in its opening comment):
 * a Windows guest planned with one spare port, then 4 data disks added cold and the spares raised
 * to 8 with the first layout as --previous: nothing moves, and the 11 root ports added are proven
 * the fewest. Through the CLI, as a management layer would run it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';
import { pciplan } from '../helpers/cli.js';
import { withFourDisks } from './changes.js';

const FIXTURE = join(REPO, 'fixtures', 'stable', 'kubevirt-windows.xml');

describe('KubeVirt: a Windows guest grows cold without a device moving', () => {
  it('plans, then adds 4 disks and raises the spares 1 -> 8 with 0 moves and the fewest controllers proven', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pciplan-kubevirt-'));
    const first = join(dir, 'step1.xml');
    const r1 = pciplan(['assign', FIXTURE, '--spare-pcie-ports', '1', '-o', first]);
    expect(r1.code, r1.stderr).toBe(0);
    const step1 = JSON.parse(pciplan(['assign', FIXTURE, '--spare-pcie-ports', '1', '--format', 'json']).stdout);
    expect(step1.objective.addedControllers).toBe(5);

    const grown = join(dir, 'grown.xml');
    writeFileSync(grown, withFourDisks(readFileSync(FIXTURE, 'utf8')));
    const r2 = pciplan(['assign', grown, '--previous', first, '--spare-pcie-ports', '8', '--format', 'json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).not.toMatch(/moved/);
    const step2 = JSON.parse(r2.stdout);
    expect(step2.moved).toEqual([]);
    expect(step2.objective.addedControllers).toBe(11);
    expect(step2.proven).toBe(true);
    expect(step2.lowerBound).toBe(11);
    // Every device and controller of step 1 is where step 1 put it.
    const before = new Map<string, string>(step1.devices.map((d: { id: string; address: string }) => [d.id, d.address]));
    const after = new Map<string, string>(step2.devices.map((d: { id: string; address: string }) => [d.id, d.address]));
    for (const [id, address] of before) expect(after.get(id), id).toBe(address);
    for (const c of ['vol0', 'vol1', 'vol2', 'vol3']) expect(after.has(`disk[ua-${c}]`)).toBe(true);
  });
});
