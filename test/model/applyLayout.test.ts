import { describe, expect, it } from 'vitest';
import { applyLayout } from '../../src/model/applyLayout.js';
import { HINTS_NS } from '../../src/model/hints.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { canonicalXml } from '../../src/xml/canonical.js';
import { parseXml } from '../../src/xml/parseXml.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { ctrl, disk, domainXml, nic } from '../../testkit/domains.js';

const none = { addresses: new Map(), added: [] };

describe('applyLayout', () => {
  it('changes nothing when there is nothing to change', () => {
    const text = domainXml({ devices: [ctrl(0, 'pcie-root'), disk('vda')] });
    const { doc, domain } = parseDomain(text);
    expect(writeXml(applyLayout(doc, domain, none))).toBe(text);
  });

  it('moves hints into namespaced metadata and reads them back the same', () => {
    const text = domainXml({
      numa: 2,
      devices: [disk('vda', undefined, "<addressPreferences hotplug='no' numa='1'/>"), nic('52:54:00:00:00:01', 'virtio', undefined, "<addressPreferences bus='pcie' group='g'/>"), disk('vdb')],
    });
    const { doc, domain } = parseDomain(text);
    const out = writeXml(applyLayout(doc, domain, none));
    expect(out).not.toContain('addressPreferences');
    expect(out).toContain(`<pciplan:placement xmlns:pciplan='${HINTS_NS}'>`);
    expect(out).toContain("      <pciplan:device name='disk[vda]' hotplug='no' numa='1'/>");
    const again = parseDomain(out).domain;
    expect(again.devices.map((d) => [d.id, d.hints])).toEqual(domain.devices.map((d) => [d.id, d.hints]));
    // Writing pciplan's own output again is stable.
    const { doc: doc2, domain: domain2 } = parseDomain(out);
    expect(writeXml(applyLayout(doc2, domain2, none))).toBe(out);
  });

  it('keeps other metadata and appends its own element after it', () => {
    const meta = "    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n      <libosinfo:os id='http://microsoft.com/win/11'/>\n    </libosinfo:libosinfo>";
    const text = domainXml({ metadata: meta, devices: [disk('vda', undefined, "<addressPreferences hotplug='no'/>")] });
    const { doc, domain } = parseDomain(text);
    const out = writeXml(applyLayout(doc, domain, none));
    expect(out).toContain(`${meta}\n    <pciplan:placement`);
  });

  it('writes addresses in place and adds controllers where libvirt keeps them, touching nothing else', () => {
    const text = domainXml({
      devices: [
        disk('vda'),
        "<disk type='file' device='disk'>\n  <target dev='vdb' bus='virtio'/>\n  <address type='pci'/>\n</disk>",
        "<controller type='usb' index='0' model='qemu-xhci'/>",
        ctrl(0, 'pcie-root'),
        "<controller type='virtio-serial' index='0'/>",
        '<!-- keep me -->',
      ],
    });
    const { doc, domain } = parseDomain(text);
    const addr = (bus: number) => ({ domain: 0, bus, slot: 0, function: 0 });
    const layout = {
      addresses: new Map([
        [0, addr(1)],
        [1, addr(2)],
      ]),
      added: [
        { index: 2, model: 'pcie-root-port' as const, modelName: 'pcie-root-port', target: { chassis: 2, port: 0x11 }, address: { domain: 0, bus: 0, slot: 2, function: 1 } },
        { index: 1, model: 'pcie-root-port' as const, modelName: 'pcie-root-port', target: { chassis: 1, port: 0x10 }, address: { domain: 0, bus: 0, slot: 2, function: 0, multifunction: 'on' as const } },
      ],
    };
    const out = writeXml(applyLayout(doc, domain, layout));
    expect(out).toContain("    <disk type='file' device='disk'>\n      <source file='/var/lib/libvirt/images/vda.img'/>\n      <target dev='vda' bus='virtio'/>\n      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n    </disk>");
    expect(out).toContain("      <target dev='vdb' bus='virtio'/>\n      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>");
    // After pcie-root (index 0), in index order, before the virtio-serial controller of a later type.
    const order = [...out.matchAll(/<controller type='([\w-]+)' index='(\d+)'/g)].map((m) => `${m[1]}${m[2]}`);
    expect(order).toEqual(['usb0', 'pci0', 'pci1', 'pci2', 'virtio-serial0']);
    expect(out).toContain(
      "    <controller type='pci' index='1' model='pcie-root-port'>\n      <model name='pcie-root-port'/>\n      <target chassis='1' port='0x10'/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' multifunction='on'/>\n    </controller>",
    );
    // Remove what pciplan added and the documents are the same.
    const stripped = parseXml(
      out
        .replace(/\n\s*<address type='pci' domain='0x0000' bus='0x0[12]' slot='0x00' function='0x0'\/>/g, '')
        .replace(/\n\s*<controller type='pci' index='[12]'[\s\S]*?<\/controller>/g, ''),
    );
    expect(canonicalXml(stripped)).toBe(canonicalXml(parseXml(text.replace("\n      <address type='pci'/>", ''))));
  });
});
