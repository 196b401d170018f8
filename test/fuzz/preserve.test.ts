// The fuzzer's own checks must be able to fail: the preservation check flags each way an output can
// lose the user's XML, and passes what assign is allowed to change.
import { describe, expect, it } from 'vitest';
import { preservationProblems } from './preserve.js';
import { notWellFormed, scanXml, ScanError } from './scan.js';

const input = `<domain type='kvm'>
  <name>d</name>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd' />
  </os>
  <devices>
    <disk type='file' device='disk'>
      <target dev='vda' bus='virtio'/>
      <addressPreferences hotplug='no'/>
    </disk>
    <disk type='file' device='disk'>
      <target dev='vdb' bus='virtio'/>
      <address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>
    </disk>
    <interface type='user'>
      <address type="pci" domain="0x0000" bus="0x00" slot="0x05" function="0x0"/>
    </interface>
  </devices>
</domain>
`;

/** What assign may write: addresses, a controller, the hint moved into pciplan's metadata. */
const allowed = input
  .replace("  <name>d</name>\n", "  <name>d</name>\n  <metadata>\n    <pciplan:placement xmlns:pciplan='http://pciplan.dev/xmlns/placement/1.0'>\n      <pciplan:device name='disk[vda]' hotplug='no'/>\n    </pciplan:placement>\n  </metadata>\n")
  .replace("      <addressPreferences hotplug='no'/>\n", "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n")
  .replace('  <devices>\n', "  <devices>\n    <controller type='pci' index='0' model='pcie-root'/>\n");

describe('preservation check', () => {
  it('passes an output that changes only what assign may change', () => {
    expect(preservationProblems(input, allowed)).toEqual([]);
    // Hints of one device from its element and from the metadata, written as one entry.
    const both = input.replace("  <name>d</name>\n", "  <name>d</name>\n  <metadata>\n    <pciplan:placement xmlns:pciplan='http://pciplan.dev/xmlns/placement/1.0'>\n      <pciplan:device name='disk[vda]' bus='pci'/>\n    </pciplan:placement>\n  </metadata>\n");
    expect(preservationProblems(both, allowed.replace("hotplug='no'/>", "hotplug='no' bus='pci'/>"))).toEqual([]);
    expect(preservationProblems(input, input)).toEqual([]);
    // greedy's record of a hint its layout breaks is pciplan's addition; a waiver removed is not.
    expect(preservationProblems(input, allowed.replace("hotplug='no'/>", "hotplug='no' waived='hotplug'/>"))).toEqual([]);
    // domain, bus and slot zero is "assign one" whatever the function (libvirt 9.0 too): not the user's placement.
    const noSlot = input.replace('slot="0x05" function="0x0"', 'slot="0x00" function="0x1"');
    expect(noSlot).not.toBe(input);
    expect(preservationProblems(noSlot, allowed).filter((p) => /user's PCI address/.test(p))).toEqual([]);
    // Two waived hints in one record: one value with a space, not a hint named 'numa'.
    const two = input.replace("<addressPreferences hotplug='no'/>", "<addressPreferences hotplug='no' numa='1'/>");
    expect(preservationProblems(two, allowed.replace("hotplug='no'/>", "hotplug='no' numa='1' waived='hotplug numa'/>"))).toEqual([]);
    const waivedIn = input.replace("<addressPreferences hotplug='no'/>", "<addressPreferences hotplug='no' waived='hotplug'/>");
    expect(preservationProblems(waivedIn, allowed).join('\n')).toMatch(/hints changed/);
    // A self-closed element that gained a child is opened without the blank before its `/>`
    // (seed 1, mutant 1615: `<controller type='usb' index='0'\t/>`); a changed attribute still shows.
    const spaced = input.replace("<interface type='user'>", "<interface type='user'>\n      <model type='e1000'\t/>");
    const usb = (s: string, ctl: string) => s.replace('  <devices>\n', `  <devices>\n    ${ctl}\n`);
    expect(preservationProblems(usb(spaced, "<controller type='usb' index='0'\t/>"), usb(allowed.replace("<interface type='user'>", "<interface type='user'>\n      <model type='e1000'\t/>"), "<controller type='usb' index='0'><address type='pci'/></controller>"))).toEqual([]);
    expect(preservationProblems(usb(spaced, "<controller type='usb' index='0'\t/>"), usb(allowed.replace("<interface type='user'>", "<interface type='user'>\n      <model type='e1000'\t/>"), "<controller type='usb' index='1'><address type='pci'/></controller>")).join('\n')).toMatch(/controller/);
  });

  it('flags a normalised tag, a replaced non-PCI address, a moved user address, a lost hint, reordering and loss', () => {
    const cases: [string, RegExp][] = [
      [allowed.replace("<boot dev='hd' />", "<boot dev='hd'/>"), /boot/],
      [allowed.replace("<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>", "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>"), /ccw/],
      [allowed.replace('slot="0x05"', 'slot="0x06"'), /user's PCI address/],
      [allowed.replace(" hotplug='no'/>\n    </pciplan", "/>\n    </pciplan"), /hints changed/],
      [allowed.replace("<pciplan:device name='disk[vda]' hotplug='no'/>", "<pciplan:device name='disk[vda]' hotplug='yes'/>"), /hints changed/],
      [allowed.replace('<name>d</name>', '<name>e</name>'), /name/],
      [allowed.replace("machine='q35'", 'machine="q35"'), /type/],
      [allowed.replace('    <interface', '    <hostdev/>\n    <interface'), /hostdev.*added|became/],
      [allowed.replace("  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n", "  <os>\n"), /missing|became/],
      [allowed.replace('</disk>\n    <disk', '</disk>\n\n    <disk'), /whitespace/],
    ];
    for (const [output, why] of cases) {
      const problems = preservationProblems(input, output);
      expect(problems.join('\n'), output).toMatch(why);
    }
  });

  it('refuses to scan what is not well-formed', () => {
    expect(() => scanXml('<a><b></a>')).toThrow(ScanError);
    expect(() => scanXml('<a>')).toThrow(ScanError);
    expect(scanXml("<a x='>'/>")).toHaveLength(1);
  });
});

describe('well-formedness', () => {
  const ok = Buffer.from("<domain type='kvm'><name>a&#x41;&amp;</name></domain>\n");
  it('accepts a plain document', () => {
    expect(notWellFormed(ok)).toBeUndefined();
  });
  it('names what XML 1.0 forbids', () => {
    const bad: [Buffer, RegExp][] = [
      [Buffer.concat([Buffer.from('<a>'), Buffer.from([0xc3]), Buffer.from('</a>')]), /UTF-8/],
      [Buffer.from('<a>\u0001</a>'), /U\+0001/],
      [Buffer.from('<a>\uffff</a>'), /U\+FFFF/],
      [Buffer.from('<a>&#0;</a>'), /&#0;/],
      [Buffer.from('<a>&#x110000;</a>'), /&#x110000;/],
      [Buffer.from('<a/><b/>'), /2 root/],
      [Buffer.from('<a/>junk'), /text outside/],
      [Buffer.from("<a b='1' b='2'/>"), /attribute b twice/],
    ];
    for (const [bytes, why] of bad) expect(notWellFormed(bytes)).toMatch(why);
  });
});
