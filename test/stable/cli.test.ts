/**
 * The stability options through the CLI: assign --previous reports moves in JSON, the table and one
 * stderr line each; --solver-seed leaves the output unchanged; compare and show speak of moves
 * against --previous; bad values are usage errors (exit 2).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';
import { pciplan } from '../helpers/cli.js';

const WS = join(REPO, 'fixtures', 'q35-workstation.xml');
const dir = mkdtempSync(join(tmpdir(), 'pciplan-stable-'));
const OLD = join(dir, 'old.xml');
const EDITED = join(dir, 'edited.xml');

beforeAll(() => {
  expect(pciplan(['assign', WS, '-o', OLD]).code).toBe(0);
  // vda (on pcie.0) must now be hot-pluggable: it, and only it, has to move.
  writeFileSync(EDITED, readFileSync(WS, 'utf8').replace("<target dev='vda' bus='virtio'/>\n      <addressPreferences hotplug='no'/>", "<target dev='vda' bus='virtio'/>\n      <addressPreferences hotplug='yes'/>"));
});

describe('stability on the command line', () => {
  it('assign --previous: one moved device, in JSON and one stderr line, with the rule', () => {
    const r = pciplan(['assign', EDITED, '--previous', OLD, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.moved).toHaveLength(1);
    expect(json.moved[0]).toMatchObject({ id: 'disk[vda]', from: '0000:00:03.0' });
    expect(json.moved[0].why).toMatch(/hotplug=yes.*\[hint-hotplug\]/);
    expect(r.stderr.split('\n').filter((l) => l.includes('moved '))).toEqual([`pciplan: moved disk[vda] from 0000:00:03.0 to ${json.moved[0].to}: ${json.moved[0].why}`]);
    // Everything else of the old layout is where it was.
    const old = JSON.parse(pciplan(['assign', WS, '--format', 'json']).stdout);
    const now = new Map(json.devices.map((d: { id: string; address: string }) => [d.id, d.address]));
    for (const d of old.devices) if (d.id !== 'disk[vda]') expect(now.get(d.id), d.id).toBe(d.address);
  });

  it('assign --previous with the old layout itself: nothing moves, nothing is added, the table says so', () => {
    const r = pciplan(['assign', OLD, '--previous', OLD, '--format', 'table']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0 controllers added/);
    expect(r.stdout).toMatch(/moved vs --previous: none\n$/);
  });

  it('--solver-seed does not change the output', () => {
    const plain = pciplan(['assign', WS]);
    for (const seed of ['1', '7']) expect(pciplan(['assign', WS, '--solver-seed', seed]).stdout).toBe(plain.stdout);
  });

  it('compare --previous has the moved column; show --previous marks the moved device', () => {
    const c = pciplan(['compare', EDITED, '--previous', OLD, '--format', 'json']);
    expect(c.code, c.stderr).toBe(0);
    const side = JSON.parse(c.stdout).domains[0];
    expect(side.optimal.movedVsPrevious).toBe(1);
    expect(side.greedy.movedVsPrevious).toBeGreaterThan(1);
    const s = pciplan(['show', EDITED, '--strategy', 'optimal', '--previous', OLD]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout.split('\n').filter((l) => l.includes('MOVED'))).toEqual([expect.stringMatching(/disk\[vda\] \[hotplug=yes\] MOVED from 00:03\.0$/)]);
  });

  it('bad values are usage errors', () => {
    const seed = pciplan(['assign', WS, '--solver-seed', 'x']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/--solver-seed must be a whole number/);
    const missing = pciplan(['assign', WS, '--previous', join(dir, 'nope.xml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
