import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { FAILURES, generateDomain, generateDomains } from '../../testkit/unaddressedDomains.js';

/** Device elements written in <devices>, the emulator not counted. */
const DEVICE_RE = /^ {4}<(disk|controller|interface|channel|input|graphics|sound|video|hostdev|watchdog|memballoon|rng|shmem)\b/gm;

describe('domain generator', () => {
  it('is deterministic per seed, prefix-stable, and domain i depends only on (seed, i)', () => {
    expect(generateDomains(42, 40)).toEqual(generateDomains(42, 40));
    expect(generateDomains(42, 15)).toEqual(generateDomains(42, 40).slice(0, 15));
    expect(generateDomain(42, 27)).toEqual(generateDomains(42, 40)[27]);
    expect(generateDomains(43, 15).map((d) => d.xml)).not.toEqual(generateDomains(42, 15).map((d) => d.xml));
  });

  it('writes well-formed, libvirt-styled XML that pciplan reads, with the device count it reports', () => {
    for (const d of generateDomains(7, 300)) {
      expect(XMLValidator.validate(d.xml), d.name).toBe(true);
      expect(d.xml).toMatch(/^<domain type='qemu'>\n {2}<name>gen-7-\d+<\/name>\n/);
      expect(d.xml).not.toContain('"');
      expect(d.xml.match(DEVICE_RE)?.length ?? 0, d.name).toBe(d.devices + (d.xml.includes("<controller type='pci' index='0'") ? 1 : 0));
      const { domain } = parseDomain(d.xml, `${d.name}.xml`);
      expect(domain.machine.family).toBe(d.machine);
      expect(domain.arch).toBe(d.machine === 'virt' ? 'aarch64' : 'x86_64');
      if (d.machine === 'virt') expect(d.xml).toContain("<model fallback='forbid'>cortex-a57</model>");
      expect(d.xml).toContain(`<emulator>/usr/bin/qemu-system-${domain.arch}</emulator>`);
    }
  });

  it('leaves PCI addresses to libvirt except on a few pinned devices', () => {
    const ds = generateDomains(11, 400);
    const pinned = ds.filter((d) => d.xml.includes("<address type='pci'"));
    expect(pinned.length / ds.length).toBeGreaterThan(0.1);
    expect(pinned.length / ds.length).toBeLessThan(0.4);
    for (const d of ds.filter((x) => !x.expectFailure)) expect((d.xml.match(/<address type='pci'/g) ?? []).length, d.name).toBeLessThanOrEqual(3);
  });

  it("makes good domains pciplan's validator accepts, and domains libvirt must refuse", () => {
    const ds = generateDomains(5, 600);
    for (const d of ds.filter((x) => !x.expectFailure)) {
      const errors = validateDomain(parseDomain(d.xml, `${d.name}.xml`).domain).problems.filter((p) => p.severity === 'error');
      expect(errors, d.name).toEqual([]);
      expect(d.devices, d.name).toBeGreaterThanOrEqual(1);
      expect(d.devices, d.name).toBeLessThanOrEqual(230);
    }
    const failing = ds.filter((d) => d.expectFailure);
    expect(failing.length / ds.length).toBeGreaterThan(0.02);
    expect(failing.length / ds.length).toBeLessThan(0.1);
    expect(new Set(failing.map((d) => d.expectFailure))).toEqual(new Set(FAILURES));
    expect(generateDomains(5, 50, { failRate: 0 }).some((d) => d.expectFailure)).toBe(false);
  });

  it('mixes machines, sizes and device kinds', () => {
    const ds = generateDomains(3, 400);
    expect(new Set(ds.map((d) => d.machine))).toEqual(new Set(['q35', 'pc', 'virt']));
    const good = ds.filter((d) => !d.expectFailure).map((d) => d.devices);
    expect(good.filter((n) => n <= 16).length).toBeGreaterThan(100);
    expect(good.filter((n) => n > 64).length).toBeGreaterThan(40);
    const all = ds.map((d) => d.xml).join('\n');
    for (const needle of [
      "bus='virtio'/>", "<model type='virtio'/>", "<model type='e1000'/>", "<model type='e1000e'/>", "<model type='rtl8139'/>",
      "model='virtio-scsi'", "model='lsilogic'", "model='qemu-xhci'", "model='none'", "<controller type='virtio-serial'",
      "<target type='virtio'", "<rng model='virtio'>", "<memballoon model='virtio'/>", "<model type='qxl'/>", "<model type='vga'/>",
      "<model type='none'/>", "<sound model='ich9'/>", "<watchdog model='i6300esb'", "<input type='tablet' bus='virtio'/>",
      "<model type='ivshmem-plain'/>", "<hostdev mode='subsystem' type='pci'", "model='pcie-root-port'/>", "model='pci-bridge'/>",
      "model='virtio-transitional'", "device='cdrom'", "<graphics type='vnc'",
    ]) {
      expect(all, needle).toContain(needle);
    }
    // Some domains have no memballoon at all (libvirt adds one) and no USB controller.
    expect(ds.some((d) => !d.xml.includes('<memballoon') && d.machine !== 'virt')).toBe(true);
    expect(ds.some((d) => !d.xml.includes("<controller type='usb'"))).toBe(true);
  });

  it('builds domains of an exact size, and conventional-PCI-only ones for large tests', () => {
    for (const d of generateDomains(9, 6, { devices: 64, failRate: 0 })) expect(d.devices).toBe(64);
    const [big] = generateDomains(9, 1, { machines: ['pc'], devices: 2000, profile: 'legacy' });
    expect(big!.devices).toBe(2000);
    expect(big!.machine).toBe('pc');
    const xml = big!.xml;
    expect(xml).not.toMatch(/<model type='(virtio|e1000e)'\/>/);
    expect(xml.match(/<disk /g)?.length).toBe(xml.match(/<disk type='file' device='disk' model='virtio-transitional'>/g)?.length);
  });
});
