import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciplan } from '../helpers/cli.js';
import { q35Addressed, rng, rngGroup } from '../attach/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'pciplan-attach-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
// Ports 1-4 used, port 5 empty and hot-pluggable, port 6 empty with hotplug='off'.
const domain = write('a.xml', q35Addressed(4, 1, 1));
const group = write('g.xml', `<devices>\n${rngGroup('gpu', 2).join('\n')}\n</devices>\n`);
const single = write('one.xml', rng('ua-one'));

describe('pciplan attach', () => {
  it('writes the elements to attach in order, function 0 last, byte-identical on every run', () => {
    const a = pciplan(['attach', domain, group, '--live']);
    const b = pciplan(['attach', domain, group, '--live']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^<devices>\n {2}<!-- pciplan attach: one element per file, in this order \(virsh attach-device DOMAIN FILE --live\) -->\n/);
    expect(a.stdout).toContain("<!-- 1. rng[ua-gpu-f1] at 0000:05:00.1: attach (queued until function 0) -->");
    expect(a.stdout).toContain("<!-- 2. rng[ua-gpu-f0] at 0000:05:00.0: attach function 0 last: the slot appears now -->");
    expect(a.stdout).toContain("<address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0' multifunction='on'/>");
    expect(a.stdout).not.toContain('addressPreferences');
    expect(a.stderr).toMatch(/^pciplan: libvirt .* refuses 'virsh attach-device --live' for a PCI function other than 0/);
    // The output is itself a device file attach reads (addresses given are kept).
    const again = pciplan(['attach', domain, write('out.xml', a.stdout), '--format', 'json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).devices.map((d: { address: string }) => d.address)).toEqual(['0000:05:00.1', '0000:05:00.0']);
  });

  it('reports JSON and a table', () => {
    const json = JSON.parse(pciplan(['attach', domain, single, group, '--format', 'json']).stdout);
    expect(json.live).toBe(false);
    // Two hot-pluggable units, one empty hot-pluggable port: one root port added, attached first.
    expect(json.addedControllers).toEqual([{ id: 'controller[pci 7]', address: expect.stringMatching(/^0000:00:/), plugOrder: 1 }]);
    expect(json.devices.map((d: { plugOrder: number }) => d.plugOrder)).toEqual([2, 3, 4]);
    const table = pciplan(['attach', domain, single, '--format', 'table', '--live']).stdout;
    expect(table).toMatch(/^STEP\s+BUS\s+SLOT\s+FN\s+DEVICE\s+FILE\s+WHAT\n/);
    expect(table).toMatch(/\n1\s+05\s+00\s+0\s+rng\[ua-one\]\s+\S+one\.xml\s+attach\n/);
    expect(table).toMatch(/attach --live: 1 device, 0 controllers added, no existing device moved\n$/);
  });

  it('exits 1 with the reason when nothing fits live, and for hotplug=no', () => {
    const full = write('full.xml', q35Addressed(4, 0, 1));
    const r = pciplan(['attach', full, single, '--live']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pciplan: .*no layout exists.*0 empty hot-pluggable PCIe ports .*--live forbids adding controllers.*\n$/);
    const fixed = write('fixed.xml', rng('ua-fixed', undefined, "<addressPreferences hotplug='no'/>"));
    const f = pciplan(['attach', domain, fixed, '--live']);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain("rng[ua-fixed] has hotplug='no' and cannot be attached with --live");
  });

  it('exits 2 on bad input: unaddressed domain, no device file, a non-device element', () => {
    const open = write('open.xml', q35Addressed(4, 1, 0).replace(/(<alias name='ua-rng2'\/>)\n\s*<address[^>]*>/, '$1'));
    const u = pciplan(['attach', open, single]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/rng\[ua-rng2\] has no PCI address: attach needs a domain whose devices all have addresses/);
    expect(pciplan(['attach', domain]).code).toBe(2);
    const bad = pciplan(['attach', domain, domain]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/<domain> is not a device element/);
  });
});
