// The fuzzer's findings (fixtures/fuzz, README there), one focused assertion each: the exit code and
// the one line pciplan prints, or the bytes it writes. fixtures.test.ts holds every fixture to the
// whole contract; this file says what the right answer is. Where libvirt 9.0 decides (disk target
// names, the bus a disk without one is on), real libvirt is asked the same at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { expectRefusal, pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';

const fixture = (name: string) => join(REPO, 'fixtures', 'fuzz', name);
const dir = mkdtempSync(join(tmpdir(), 'pciplan-fuzz-findings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tmpFile(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const ASSIGNS = [['assign'], ['assign', '--strategy', 'greedy'], ['explain']] as const;

/** A pc or q35 domain with these devices (type='qemu' so that real libvirt defines it here). */
const domainWith = (machine: string, devices: string) =>
  `<domain type='qemu'>\n  <name>t</name>\n  <memory>1048576</memory>\n  <os>\n    <type arch='x86_64' machine='${machine}'>hvm</type>\n  </os>\n  <devices>\n${devices}  </devices>\n</domain>\n`;
const disk = (target: string, extra = '', device = 'disk') => `    <disk type='file' device='${device}'>\n      <source file='/var/lib/a.img'/>\n      <target ${target}/>\n${extra}    </disk>\n`;

describe('disk target names are read as libvirt reads them', () => {
  it("an IDE cdrom with dev='HDD': exit 2 naming file, line and device, as libvirt (not exit 70 from counting controllers)", () => {
    const file = fixture('disk-target-uppercase.xml');
    for (const cmd of [...ASSIGNS, ['validate']]) {
      expectRefusal(pciplan([...cmd, file]), 2, /disk-target-uppercase\.xml:8: disk\[HDD\]: Unknown disk name 'HDD' and no address specified/);
    }
  });

  it('a name with an address, a partition, or an index beyond libvirt\'s int is refused too', () => {
    const withDrive = tmpFile('drive.xml', domainWith('pc', disk("dev='HDD' bus='ide'", "      <address type='drive' controller='0' bus='1' target='0' unit='1'/>\n", 'cdrom')));
    expectRefusal(pciplan(['assign', withDrive]), 2, /disk\[HDD\]: invalid disk target 'HDD'/);
    const partition = tmpFile('partition.xml', domainWith('q35', disk("dev='vda1' bus='virtio'")));
    expectRefusal(pciplan(['assign', partition]), 2, /disk\[vda1\]: invalid disk target 'vda1', partitions can't appear in disk targets/);
    // 26^8 + ... - 1 = 217,180,147,157: C's int cannot hold it (libvirt refuses it as unknown).
    const overflow = tmpFile('overflow.xml', domainWith('pc', disk("dev='sdzzzzzzzz' bus='scsi'")));
    expectRefusal(pciplan(['assign', overflow]), 2, /disk\[sdzzzzzzzz\]: Unknown disk name 'sdzzzzzzzz'/);
    const missing = tmpFile('missing.xml', domainWith('pc', disk("bus='ide'")));
    expectRefusal(pciplan(['validate', missing]), 2, /<target dev=…> is missing/);
  });

  it('a huge but readable index needs more drive controllers than a domain holds: exit 1 at once, none built', () => {
    // sdzzzzzz is index 321,272,405: SCSI controller 45,896,057 (7 units each), and every one below.
    const huge = tmpFile('huge.xml', domainWith('pc', disk("dev='sdzzzzzz' bus='scsi'")));
    for (const cmd of ASSIGNS) expectRefusal(pciplan([...cmd, huge]), 1, /:8: disk\[sdzzzzzz\]: it needs scsi controller 45896057, .* more than the 65536 PCI functions a domain has/);
    const named = tmpFile('named.xml', domainWith('pc', disk("dev='sda' bus='scsi'", "      <address type='drive' controller='4294967295' bus='0' target='0' unit='0'/>\n")));
    expectRefusal(pciplan(['assign', named]), 1, /:11: disk\[sda\]: it needs scsi controller 4294967295/);
    const junk = tmpFile('junk.xml', domainWith('pc', disk("dev='sda' bus='scsi'", "      <address type='drive' controller='0x1' bus='0' target='0' unit='0'/>\n")));
    expectRefusal(pciplan(['assign', junk]), 2, /disk\[sda\] <address>: controller='0x1' is not a number as libvirt reads it/);
  });

  it('a disk without a bus takes it from the name (hd ide, sd scsi, vd virtio, xvd xen, a floppy fdc); only vd is a PCI device', () => {
    const { domain } = parseDomain(
      domainWith('pc', disk("dev='hda'") + disk("dev='sdb'") + disk("dev='vdc'") + disk("dev='xvdd'") + disk("dev='fda'", '', 'floppy') + disk("dev='ubda'")),
    );
    expect(domain.devices.map((d) => [d.props.dev, d.props.bus, d.cls.connect])).toEqual([
      ['hda', 'ide', 'none'],
      ['sdb', 'scsi', 'none'],
      ['vdc', 'virtio', 'virtio'],
      ['xvdd', 'xen', 'none'],
      ['fda', 'fdc', 'none'],
      ['ubda', 'uml', 'none'],
    ]);
  });

  it("the fixture's vda without a bus is a virtio disk: it gets a PCI address, in one slot with vdb (its group)", () => {
    const out = join(dir, 'bus-from-name.xml');
    const r = pciplan(['assign', fixture('disk-bus-from-target-name.xml'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const placed = parseDomain(readFileSync(out, 'utf8')).domain.devices.filter((d) => d.kind === 'disk');
    const at = placed.map((d) => (d.address.type === 'pci' && d.address.pci ? d.address.pci : undefined));
    // The group hint: one slot, vda function 0 (the first in document order), vdb function 1.
    expect(placed.map((d) => d.id)).toEqual(['disk[vda]', 'disk[vdb]']);
    expect(at.map((a) => a?.function)).toEqual([0, 1]);
    expect(at[1]).toMatchObject({ bus: at[0]!.bus, slot: at[0]!.slot });
  });
});

describe('hints the input already breaks are refused before solving (exit 1, the rule)', () => {
  it("numa='0' on a disk at 01:00.0, a bus only libvirt's forced root port provides: [hint-numa], as on bus 0", () => {
    const file = fixture('hint-numa-on-address-on-a-bus-pciplan-adds.xml');
    for (const cmd of ASSIGNS) {
      expectRefusal(pciplan([...cmd, file]), 1, /hint-numa-on-address-on-a-bus-pciplan-adds\.xml:13: disk\[vda\]: asks for NUMA node 0 but is not under an expander bus with <node>0<\/node> \[hint-numa\]$/);
    }
  });

  it("bus='pcie' on q35's piix3-uhci USB controller (conventional PCI everywhere): [hint-bus], where validate names it", () => {
    const file = fixture('hint-pcie-on-pci-only-usb-controller.xml');
    for (const cmd of ASSIGNS.slice(0, 2)) {
      expectRefusal(pciplan([...cmd, file]), 1, /:8: controller\[usb 0\]: asks for bus='pcie' but controller model 'piix3-uhci' is a conventional PCI device \[hint-bus\]$/);
    }
    // validate and explain report on stdout, and say nothing on stderr.
    const v = pciplan(['validate', file]);
    expect([v.code, v.stderr]).toEqual([1, '']);
    expect(v.stdout).toMatch(/controller\[usb 0\]\s+hint-bus\s+asks for bus='pcie'/);
    const e = pciplan(['explain', file]);
    expect([e.code, e.stderr]).toEqual([1, '']);
    expect(e.stdout).toMatch(/no layout exists\.\n.*\n {2}- controller\[usb 0\] \(line 8\): asks for bus='pcie' .* \[hint-bus\]/);
  });

  it("hotplug='yes' on pc's IDE controller, in the chipset's shared slot 00:01: [hint-hotplug] (fuzz seed 1, mutant 115)", () => {
    const file = fixture('hint-hotplug-on-chipset-ide.xml');
    for (const cmd of ASSIGNS.slice(0, 2)) {
      expectRefusal(pciplan([...cmd, file]), 1, /:8: controller\[ide 0\]: asks for hotplug='yes', but the chipset fixes its address \(00:01\.1\), a slot it shares with the chipset's other functions: .* \[hint-hotplug\]$/);
    }
    const e = pciplan(['explain', file]);
    expect([e.code, e.stderr]).toEqual([1, '']);
    expect(e.stdout).toMatch(/controller\[ide 0\] \(line 8\): asks for hotplug='yes'.*\[hint-hotplug\]/);
  });
});

describe('the user\'s bytes', () => {
  it("text before <disk> is not indentation: 'note: ' is written once, inserted lines are indented with spaces", () => {
    for (const strategy of ['optimal', 'greedy']) {
      const r = pciplan(['assign', fixture('text-copied-as-indentation.xml'), '--strategy', strategy]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.match(/note: /g)).toHaveLength(1);
      expect(r.stdout).toMatch(/\n {4}note: <disk type='file' device='disk'>\n/);
      expect(r.stdout).toMatch(/\n {4}<controller type='pci' index='0' model='pcie-root'\/>\n/);
    }
  });

  it("multifunction='on' added to a user's short-form address keeps the rest as written (fuzz seed 2, mutant 159)", () => {
    for (const strategy of ['optimal', 'greedy']) {
      const r = pciplan(['assign', fixture('address-short-form-multifunction.xml'), '--strategy', strategy]);
      expect(r.code, r.stderr).toBe(0);
      // greedy adds multifunction='on' as libvirt does; the optimal layout leaves it to libvirt (a warning).
      expect(r.stdout).toContain(strategy === 'greedy' ? "<address type='pci' slot='2' function='0' multifunction='on'/>" : "<address type='pci' slot='2' function='0'/>");
      expect(r.stdout).toContain("<address type='pci' slot='2' function='1'/>");
      expect(r.stdout).not.toContain("slot='0x02'");
      expect(pciplan(['validate', '-'], r.stdout).code).toBe(0);
    }
  });

  it('two metadata entries for one device: exit 2 naming file, line and device (the second does not silently win)', () => {
    const file = fixture('metadata-entry-twice.xml');
    for (const cmd of [['validate'], ['assign'], ['assign', '--strategy', 'greedy']]) {
      expectRefusal(pciplan([...cmd, file]), 2, /metadata-entry-twice\.xml:6: pciplan metadata: a second <pciplan:device> for disk\[vda\] \(one entry per device\)$/);
    }
  });
});

describe.skipIf(!libvirtAvailable())('real libvirt 9.0 agrees', () => {
  it('refuses the target names pciplan refuses, and accepts the ones it reads', async () => {
    const refused = ["dev='HDD' bus='ide'", "dev='foo' bus='virtio'", "dev='vd' bus='virtio'", "dev='vda1' bus='virtio'", "dev='sdzzzzzzzz' bus='scsi'"];
    const accepted = ["dev='vda'", "dev='hdc'", "dev='sdb'", "dev='xvda'", "dev='vdaa' bus='virtio'"];
    const domains = [...refused, ...accepted].map((t) => domainWith('pc', disk(t)));
    const results = await defineBatch(domains);
    expect(results.map((r) => r.ok)).toEqual([...refused.map(() => false), ...accepted.map(() => true)]);
    expect(results.slice(0, 3).map((r) => (r.ok ? '' : r.error))).toEqual(results.slice(0, 3).map(() => expect.stringMatching(/Unknown disk name '[^']*' and no address specified/)));
    domains.forEach((text, i) => {
      const r = pciplan(['validate', tmpFile(`oracle-${i}.xml`, text)]);
      expect(r.code === 2, `${[...refused, ...accepted][i]}: ${r.stderr}`).toBe(!results[i]!.ok);
    });
  });

  it('keeps the layout pciplan writes for disks whose bus comes from the name (both strategies)', async () => {
    const text = readFileSync(fixture('disk-bus-from-target-name.xml'), 'utf8').replace("<domain type='kvm'>", "<domain type='qemu'>");
    const input = tmpFile('bus-from-name-qemu.xml', text);
    const written = ['optimal', 'greedy'].map((s) => {
      const r = pciplan(['assign', input, '--strategy', s]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    });
    const bare = tmpFile('bus-from-name-bare.xml', domainWith('q35', disk("dev='vda'") + disk("dev='sdb'")));
    const greedyBare = pciplan(['assign', bare, '--strategy', 'greedy']);
    expect(greedyBare.code, greedyBare.stderr).toBe(0);
    const defined = await defineBatch([...written, greedyBare.stdout, readFileSync(bare, 'utf8')]);
    written.concat(greedyBare.stdout).forEach((xml, i) => {
      const d = defined[i]!;
      expect(d.ok, d.ok ? '' : d.error).toBe(true);
      if (d.ok) expect(tableDiff(addressTable(parseDomain(xml).domain), addressTable(parseDomain(d.xml).domain))).toEqual([]);
    });
    // And greedy is libvirt's own placement of the bare domain (vda on PCI, sdb on an added lsilogic).
    const own = defined[3]!;
    expect(own.ok).toBe(true);
    if (own.ok) expect(tableDiff(addressTable(parseDomain(greedyBare.stdout).domain), addressTable(parseDomain(own.xml).domain))).toEqual([]);
  });
});
