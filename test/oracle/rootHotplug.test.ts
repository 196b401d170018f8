/**
 * i440fx's root bus hotplug as pciplan's decision (src/model/rootHotplug.ts), on the Windows
 * guest of fixtures/pc-windows.xml: the optimum worked out by hand in the fixture's comment, the
 * setting written and said, real libvirt defining the layout as written, and a running QEMU that
 * hot-plugs into the pci-bridge and refuses to hot-unplug from pci.0.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import { defineBatch, domxmlToNative, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';
import { pciplan } from '../helpers/cli.js';
import { IN_CI, REPO } from '../helpers/corpus.js';
import { makeRunnable, qemuAvailable, qmpRun } from './qemu.js';

const FIXTURE = join(REPO, 'fixtures', 'pc-windows.xml');
const xml = readFileSync(FIXTURE, 'utf8');
const ROOT_OFF = /<controller type='pci' index='0' model='pci-root'>\s*<target hotplug='off'\/>\s*<\/controller>/;

interface Planned {
  devices: { id: string; address: string }[];
  objective: { addedControllers: number };
  lowerBound: number;
  proven: boolean;
  settings?: { device: string; target: { hotplug: string }; devices: string[]; why: string }[];
}

function plan(input: string, args: string[] = []): { json: Planned; xml: string; stderr: string } {
  const j = pciplan(['assign', '-', '--format', 'json', ...args], input);
  expect(j.code, j.stderr).toBe(0);
  const x = pciplan(['assign', '-', ...args], input);
  expect(x.code, x.stderr).toBe(0);
  return { json: JSON.parse(j.stdout) as Planned, xml: x.stdout, stderr: x.stderr };
}

const at = (p: Planned, id: string) => p.devices.find((d) => d.id === id)?.address;

describe("i440fx's root bus hotplug, chosen", () => {
  it("a Windows guest with hotplug='no' and hotplug='yes' devices: pci.0's hotplug off and one pci-bridge, proven (the fixture's hand-worked optimum)", () => {
    const { json, xml: out, stderr } = plan(xml);
    expect(json.objective.addedControllers).toBe(1);
    expect(json.lowerBound).toBe(1);
    expect(json.proven).toBe(true);
    expect(json.settings).toEqual([
      {
        device: 'controller[pci 0]',
        target: { hotplug: 'off' },
        devices: ['disk[vda]', 'video[2]'],
        why: "hotplug='no' on disk[vda], video[2] need slots the guest cannot eject, and on i440fx only pci.0 has them once its ACPI hotplug is off (libvirt 7.9 or later); hot-pluggable devices go behind pci-bridges",
      },
    ]);
    // One line on stderr says what was set and why.
    expect(stderr).toBe(`pciplan: controller[pci 0]: <target hotplug='off'/> set: ${json.settings![0]!.why}\n`);
    expect(out).toMatch(ROOT_OFF);
    for (const id of ['disk[vda]', 'video[2]', 'video[1]']) expect(at(json, id), id).toMatch(/^0000:00:/);
    for (const id of ['disk[vdb]', 'disk[vdc]', 'interface[52:54:00:57:00:01]', 'interface[52:54:00:57:00:02]']) expect(at(json, id), id).toMatch(/^0000:01:/);
    expect(at(json, 'video[1]')).toBe('0000:00:02.0');
    expect(pciplan(['validate', '-'], out).code).toBe(0);
    // Planned again from its own output, nothing changes: the setting is now the user's.
    const again = pciplan(['assign', '-'], out);
    expect(again.stdout).toBe(out);
    expect(again.stderr).toBe('');
  });

  it("explain gives the setting as a reason, and the bridge's hot-pluggable slots", () => {
    const r = pciplan(['explain', FIXTURE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("  - 1 pci-root: hotplug='off' set, so that the guest cannot eject disk[vda], video[2]\n");
    expect(r.stdout).toContain("  - 1 pci-bridge: conventional PCI slots (hot-pluggable: pci.0's are not) for disk[vdb], disk[vdc], interface[52:54:00:57:00:01], interface[52:54:00:57:00:02]\n");
  });

  it('a setting the user wrote is a fixed input, and greedy (libvirt) never chooses it', () => {
    const on = xml.replace('  <devices>\n', "  <devices>\n    <controller type='pci' index='0' model='pci-root'>\n      <target hotplug='on'/>\n    </controller>\n");
    const refused = pciplan(['assign', '-'], on);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/hint-hotplug/);
    const off = xml.replace('  <devices>\n', "  <devices>\n    <controller type='pci' index='0' model='pci-root'>\n      <target hotplug='off'/>\n    </controller>\n");
    const kept = plan(off);
    expect(kept.json.settings).toBeUndefined();
    expect(kept.stderr).toBe('');
    expect(kept.json.objective.addedControllers).toBe(1);
    const greedy = pciplan(['assign', '-', '--strategy', 'greedy'], xml);
    expect(greedy.code).toBe(0);
    expect(greedy.stdout).not.toMatch(ROOT_OFF);
    expect(greedy.stderr).toMatch(/greedy does not honour hotplug='no' on disk\[vda\]/);
  });

  it('with --previous, the earlier layout\'s choice is kept as its addresses are, and not said again', () => {
    const { xml: out } = plan(xml);
    const dir = mkdtempSync(join(tmpdir(), 'pciplan-root-'));
    const previous = join(dir, 'previous.xml');
    writeFileSync(previous, out);
    // The same domain planned again against it: nothing moves, nothing new is set.
    const same = plan(xml, ['--previous', previous]);
    expect(same.json.settings).toBeUndefined();
    expect(same.xml).toMatch(ROOT_OFF);
    const where = (p: Planned) => p.devices.map((d) => `${d.id} ${d.address}`);
    expect(where(same.json)).toEqual(where(plan(xml).json));
    // With no hotplug='no' device left, pci.0's hotplug stays off: turning it on would change what
    // the guest may eject of every device kept there.
    const relaxed = xml.replaceAll("<addressPreferences hotplug='no'/>", '');
    const kept = plan(relaxed, ['--previous', previous]);
    expect(kept.xml).toMatch(ROOT_OFF);
    expect(kept.json.settings).toBeUndefined();
    expect(kept.stderr).toBe('');
    // Without the earlier layout, that domain keeps libvirt's default: pci.0 hot-pluggable.
    expect(plan(relaxed).xml).not.toMatch(ROOT_OFF);
  });

  it("the policy's hotplug='no' turns it off too, naming the policy", () => {
    const noHints = xml.replaceAll(/\s*<addressPreferences hotplug='(yes|no)'\/>/g, '');
    expect(noHints).not.toMatch(/addressPreferences/);
    const { json } = plan(noHints, ['--hotplug', 'no']);
    expect(json.settings?.[0]?.devices).toEqual([]);
    expect(json.settings?.[0]?.why).toMatch(/^the policy's hotplug='no' needs slots the guest cannot eject/);
    // Every device on pci.0, and nothing added: libvirt's default spare is the free hot-pluggable
    // slots of libvirt's own layout, and with pci.0's hotplug off it has none.
    expect(json.devices.filter((d) => !d.address.startsWith('0000:00:'))).toEqual([]);
    expect(json.objective.addedControllers).toBe(0);
    // Without hints or policy, nothing is chosen: libvirt's default stays.
    expect(plan(noHints).json.settings).toBeUndefined();
  });
});

describe.skipIf(!(libvirtAvailable() && qemuAvailable()) && !IN_CI)('the Windows guest in real libvirt and a running QEMU', () => {
  it('libvirt defines it with every address and the setting kept; QEMU hot-plugs into the pci-bridge and refuses to unplug from pci.0', async () => {
    const { xml: out } = plan(xml);
    const [defined] = await defineBatch([out]);
    if (!defined!.ok) throw new Error(`libvirt refuses: ${defined!.error}`);
    expect(tableDiff(addressTable(parseDomain(out).domain), addressTable(parseDomain(defined!.xml).domain))).toEqual([]);
    expect(defined!.xml).toMatch(ROOT_OFF);

    const [native] = await domxmlToNative([out]);
    if (!native!.ok) throw new Error(`libvirt: ${native!.error}`);
    const argv = makeRunnable(native!.argv);
    // libvirt tells QEMU to turn pci.0's ACPI hotplug off, and where each disk is.
    expect(argv).toContain('PIIX4_PM.acpi-root-pci-hotplug=off');
    const device = (id: string) => argv.flatMap((a) => (a.startsWith('{') && a.includes(`"id":"${id}"`) ? [JSON.parse(a) as { bus?: string }] : []))[0];
    expect(device('virtio-disk0')?.bus).toBe('pci.0');
    expect(device('virtio-disk1')?.bus).toBe('pci.1');
    const r = await qmpRun(argv, [
      { execute: 'device_add', arguments: { driver: 'virtio-net-pci', id: 'hotnic', bus: 'pci.1', addr: '0x1e' } },
      { execute: 'device_del', arguments: { id: 'virtio-disk0' } },
      { execute: 'device_del', arguments: { id: 'virtio-disk1' } },
    ]);
    if (!r.ok) throw new Error(`QEMU: ${r.error}`);
    expect(r.replies).toEqual([
      { return: {} },
      { error: { class: 'GenericError', desc: "Bus 'pci.0' does not support hotplugging" } },
      { return: {} },
    ]);
  }, 120_000);
});
