// Reading input (issue "Reliability", findings 3, 5 and 6): every file is read with a hard byte
// limit, what libvirt's XML parser refuses is refused (exit 2, one line naming file and line),
// numbers are read as libvirt reads them, non-PCI addresses are kept and take no PCI place, and
// the user's bytes come back unchanged. The oracle part at the end asks real libvirt the same.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceFlags } from '../../src/alloc/flags.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { needsPciAddress, OTHER_ADDRESS_TYPES } from '../../src/model/types.js';
import { MAX_ATTR_BYTES, MAX_XML_DEPTH } from '../../src/xml/wellFormed.js';
import { expectRefusal, pciplan, type CliResult } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const fixture = (name: string) => join(REPO, 'fixtures', 'repro', name);
const bytesOf = (name: string) => readFileSync(fixture(name));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pciplan-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tmpFile(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const DOMAIN_HEAD = `<domain type='qemu'>
  <name>t</name>
  <memory>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
`;
const domainWith = (inside: string, after = '') => `${DOMAIN_HEAD}${inside}</domain>\n${after}`;
const deviceDomain = (devices: string) =>
  domainWith(`  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n    ${devices}\n  </devices>\n`);
const diskAt = (slot: string) =>
  `<disk type='file' device='disk'><source file='/x.img'/><target dev='vda' bus='virtio'/><address type='pci' domain='0x0000' bus='0x00' slot='${slot}' function='0x0'/></disk>`;
const rootPortIndex = (index: string) => `<controller type='pci' index='${index}' model='pcie-root-port'/>`;

/** A domain `depth` elements deep (the root counts 1), nested in its metadata. */
function nested(depth: number): string {
  const n = depth - 2;
  return domainWith(`  <metadata>${'<x:a xmlns:x="urn:x">'.repeat(n)}${'</x:a>'.repeat(n)}</metadata>\n`);
}
/** A domain with one attribute value of `bytes` bytes. */
const longAttribute = (bytes: number) => domainWith(`  <metadata><x:a xmlns:x='urn:x' v='${'a'.repeat(bytes)}'/></metadata>\n`);

// The fixtures libvirt refuses, with the line pciplan must name and what it must say.
const REFUSED: { file: string; line: number; what: RegExp; libvirt: RegExp }[] = [
  { file: 'input-deep-nesting-1000.xml', line: 8, what: /elements nested more than 257 deep/, libvirt: /Excessive depth in document: 256/ },
  { file: 'input-two-roots.xml', line: 12, what: /a second root element: a domain XML has exactly one root element/, libvirt: /Extra content at the end of the document/ },
  { file: 'input-nul-byte.xml', line: 3, what: /a NUL byte is not allowed in XML/, libvirt: /Premature end of data|Char 0x0 out of allowed range/ },
  { file: 'input-control-char.xml', line: 3, what: /the character U\+0001 is not allowed in XML/, libvirt: /PCDATA invalid Char value 1/ },
  { file: 'input-bad-char-ref.xml', line: 3, what: /the character reference '&#xD800;' is U\+D800, not an XML character/, libvirt: /xmlParseCharRef: invalid xmlChar value 55296/ },
  { file: 'input-invalid-utf8.xml', line: 3, what: /the bytes 0xFF 0x3C 0x2F 0x64 are not UTF-8/, libvirt: /Input is not proper UTF-8/ },
  { file: 'input-latin1-declared.xml', line: 4, what: /the bytes 0xE9 0x3C 0x2F 0x64 are not UTF-8/, libvirt: /Input is not proper UTF-8/ },
  { file: 'input-slot-with-spaces.xml', line: 8, what: /disk\[vda\] <address>: slot=' 0x05 ' is not a number as libvirt reads it/, libvirt: /Invalid value for attribute 'slot' in element 'address': ' 0x05 '/ },
  { file: 'input-slot-with-newline.xml', line: 8, what: /disk\[vda\] <address>: slot='0x05\\n\\t' is not a number as libvirt reads it/, libvirt: /Invalid value for attribute 'slot' in element 'address'/ },
  { file: 'input-address-type-junk.xml', line: 8, what: /disk\[vda\]: unknown address type 'junk'/, libvirt: /unknown address type 'junk'/ },
  { file: 'input-ctrl-index-2p32.xml', line: 8, what: /controller\[pci 4294967296\]: index='4294967296' is not a number as libvirt reads it/, libvirt: /Invalid value for attribute 'index' in element 'controller': '4294967296'/ },
  { file: 'input-ctrl-index-2p32-explain.xml', line: 10, what: /controller\[pci 4294967296\]: index='4294967296' is not a number as libvirt reads it/, libvirt: /Invalid value for attribute 'index' in element 'controller': '4294967296'/ },
];

describe('what libvirt refuses to read: exit 2, one line with file and line', () => {
  for (const c of REFUSED) {
    for (const args of [['validate'], ['assign', '--strategy', 'greedy'], ['assign'], ['explain']]) {
      it(`${c.file}: ${args.join(' ')}`, () => {
        const path = fixture(c.file);
        expectRefusal(pciplan([args[0]!, path, ...args.slice(1)]), 2, new RegExp(`${c.file.replace(/\./g, '\\.')}:${c.line}: ${c.what.source}`));
      });
    }
  }

  it('an encoding declared as UTF-16 over UTF-8 bytes (pciplan is stricter than libvirt here: see the oracle part)', () => {
    expectRefusal(pciplan(['assign', fixture('input-utf16-declared-utf8-bytes.xml')]), 2, /utf16-declared-utf8-bytes\.xml:1: the XML declaration says encoding='UTF-16', but a domain XML is read as UTF-8/);
  });

  it('UTF-8 and ASCII declarations are read', () => {
    for (const decl of ['<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0' encoding='utf8'?>", '<?xml version="1.0" encoding="US-ASCII"?>']) {
      const r = pciplan(['validate', tmpFile('decl.xml', `${decl}\n${deviceDomain('')}`)]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('text after the root element', () => {
    expectRefusal(pciplan(['validate', tmpFile('text-after.xml', domainWith('', 'junk\n'))]), 2, /text-after\.xml:7: malformed XML: Extra text at the end/);
  });

  it(`nesting: ${MAX_XML_DEPTH} deep is read (as libxml2 reads it), ${MAX_XML_DEPTH + 1} is refused`, () => {
    expect(pciplan(['validate', tmpFile('deep-ok.xml', nested(MAX_XML_DEPTH))]).code).toBe(0);
    expectRefusal(pciplan(['validate', tmpFile('deep-no.xml', nested(MAX_XML_DEPTH + 1))]), 2, /deep-no\.xml:6: elements nested more than 257 deep/);
  });

  it('100,000 nested elements: refused at once, no stack overflow', () => {
    // A hang would hit the helper's spawn timeout and fail the exit-code assertion.
    expectRefusal(pciplan(['assign', tmpFile('deep-100k.xml', nested(100_000))]), 2, /deep-100k\.xml:6: elements nested more than 257 deep/);
  });

  it('the repro nested 200 deep inside a disk is a domain libvirt reads, so pciplan reads it and keeps the nesting', () => {
    const input = bytesOf('input-deep-nesting-200.xml').toString('utf8');
    const r = pciplan(['assign', fixture('input-deep-nesting-200.xml'), '--strategy', 'greedy']);
    expect(r.code, r.stderr).toBe(0);
    const nest = /<x>(?:<x>)*<\/x>(?:<\/x>)*/.exec(input)![0];
    expect(nest).toBe('<x>'.repeat(200) + '</x>'.repeat(200));
    expect(r.stdout).toContain(nest);
  });

  it(`an attribute value: ${MAX_ATTR_BYTES} bytes is read, one byte more is refused (libxml2's limit)`, () => {
    expect(pciplan(['validate', tmpFile('attr-ok.xml', longAttribute(MAX_ATTR_BYTES))]).code).toBe(0);
    expectRefusal(pciplan(['validate', tmpFile('attr-no.xml', longAttribute(MAX_ATTR_BYTES + 1))]), 2, /attr-no\.xml:6: an attribute value of 10000001 bytes is longer than the 10000000/);
  });
});

describe('the largest numbers libvirt reads break a rule (exit 1), with no work proportional to them', () => {
  // A loop up to the value would take minutes at 2^31: the spawn timeout would fail these.
  const huge = [
    { name: 'index 2147483647', xml: deviceDomain(rootPortIndex('2147483647')), rule: /controller\[pci 2147483647\]: PCI controller index 2147483647 too high, maximum is 255 \[controller-index\]/, ruleName: 'controller-index' },
    { name: "bus='0xffffffff'", xml: deviceDomain(diskAt('0x05').replace("bus='0x00'", "bus='0xffffffff'")), rule: /disk\[vda\]: invalid PCI address bus='0xffffffff', must be <= 0xFF \[address-syntax\]/, ruleName: 'address-syntax' },
    { name: "busNr='4294967295'", xml: deviceDomain("<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='4294967295'/></controller>"), rule: /busNr '4294967295' out of range - must be 1-254 \[controller-option\]/, ruleName: 'controller-option' },
  ];
  for (const h of huge) {
    for (const args of [['assign', '--strategy', 'greedy'], ['assign'], ['explain'], ['validate']]) {
      it(`${h.name}: ${args.join(' ')}`, () => {
        const r = pciplan([args[0]!, tmpFile('huge.xml', h.xml), ...args.slice(1)]);
        expect(r.code, r.stderr).toBe(1);
        if (args[0] === 'assign') expectRefusal(r, 1, h.rule);
        else expect(r.stdout + r.stderr).toContain(h.ruleName);
      });
    }
  }
});

describe('reads are bounded whatever the file is', () => {
  for (const dev of ['/dev/zero', '/dev/urandom']) {
    it(`${dev} (stat says 0 bytes): refused after 16 MiB`, () => {
      expectRefusal(pciplan(['validate', dev]), 2, new RegExp(`^pciplan: ${dev}: it goes on past the 16\\.0 MiB pciplan reads$`));
    });
  }

  it('stdin longer than the limit', () => {
    expectRefusal(pciplan(['validate', '-'], ' '.repeat(16 * 1024 * 1024 + 1)), 2, /^pciplan: stdin: it goes on past the 16\.0 MiB pciplan reads$/);
  });

  it('stdin within the limit is read', () => {
    const r = pciplan(['validate', '-'], deviceDomain(''));
    expect(r.code, r.stderr).toBe(0);
  });

  it('a FIFO that never ends, as the domain and as the policy file', async () => {
    const fifo = join(dir, 'endless.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const domain = tmpFile('small.xml', deviceDomain(''));
    for (const args of [['validate', fifo], ['validate', domain, '--policy', fifo]]) {
      // The writer dies of SIGPIPE once pciplan closes the FIFO.
      const writer = spawn('sh', ['-c', `exec cat /dev/zero > '${fifo}'`], { stdio: 'ignore' });
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      const r = pciplan(args);
      writer.kill();
      await exited;
      expectRefusal(r, 2, /endless\.fifo: it goes on past the (16\.0|1\.0) MiB pciplan reads$/);
    }
  });

  it('a regular file over the limit is refused from its size', () => {
    const big = tmpFile('big.xml', Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
    expectRefusal(pciplan(['validate', big]), 2, /big\.xml: 16\.0 MiB is larger than the 16\.0 MiB pciplan reads/);
  });
});

describe('non-PCI addresses are kept and take no PCI place (finding 5)', () => {
  it('s390x: ccw addresses stay as written with both strategies', () => {
    const input = bytesOf('input-ccw-addresses-s390x.xml').toString('utf8');
    const ccw = input.split('\n').filter((l) => l.includes("type='ccw'"));
    expect(ccw).toHaveLength(3);
    for (const strategy of ['greedy', 'optimal']) {
      const r = pciplan(['assign', fixture('input-ccw-addresses-s390x.xml'), '--strategy', strategy]);
      expect(r.code, r.stderr).toBe(0);
      for (const line of ccw) expect(r.stdout).toContain(line);
      // Nothing to add: the one PCI device has its address, so the output is the input.
      expect(r.stdout).toBe(input);
    }
  });

  const unassigned = () => bytesOf('input-hostdev-unassigned.xml').toString('utf8');
  const HOSTDEV_UNASSIGNED = /    <hostdev[^]*?<address type='unassigned'\/>\n    <\/hostdev>\n/;

  it("a hostdev's <address type='unassigned'/> is kept, and the other devices do not shift", () => {
    const withIt = unassigned();
    const block = HOSTDEV_UNASSIGNED.exec(withIt)![0];
    const without = tmpFile('no-unassigned.xml', withIt.replace(block, ''));
    for (const strategy of ['greedy', 'optimal']) {
      const r = pciplan(['assign', fixture('input-hostdev-unassigned.xml'), '--strategy', strategy]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(block);
      const addresses = (out: string) => [...out.matchAll(/<address type='pci'[^>]*>/g)].map((m) => m[0]);
      const ref = pciplan(['assign', without, '--strategy', strategy]);
      expect(ref.code, ref.stderr).toBe(0);
      expect(addresses(r.stdout)).toEqual(addresses(ref.stdout));
    }
  });

  it('40 unassigned hostdevs on pc need no slot: neither strategy adds a controller for them', () => {
    const one = HOSTDEV_UNASSIGNED.exec(unassigned())![0];
    const many = Array.from({ length: 40 }, (_, i) => one.replace("slot='0x12' function='0x5'", `slot='0x${(i + 1).toString(16)}' function='0x0'`)).join('');
    const path = tmpFile('forty.xml', unassigned().replace(one, many));
    for (const strategy of ['greedy', 'optimal']) {
      const r = pciplan(['assign', path, '--strategy', strategy, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as { objective: { addedControllers: number }; devices: { id: string }[] };
      expect(json.objective.addedControllers).toBe(0);
      expect(json.devices.filter((d) => d.id.startsWith('hostdev'))).toHaveLength(1);
    }
  });

  it('every address type libvirt knows besides pci: no PCI address wanted, no PCI place (greedy and the optimal model read deviceFlags)', () => {
    for (const type of OTHER_ADDRESS_TYPES) {
      const { domain } = parseDomain(deviceDomain(`<disk type='file' device='disk'><source file='/x.img'/><target dev='vda' bus='virtio'/><address type='${type}'/></disk>`));
      const disk = domain.devices.find((d) => d.kind === 'disk')!;
      expect(disk.address).toEqual({ type: 'other', name: type });
      expect(needsPciAddress(disk), type).toBe(false);
      expect(deviceFlags(disk, domain), type).toBeUndefined();
    }
  });

  it("address types libvirt does not read ('none', 'virtio-s390', 'PCI', '') are exit 2", () => {
    for (const type of ['none', 'virtio-s390', 'PCI', '']) {
      expectRefusal(pciplan(['validate', tmpFile('type.xml', deviceDomain(`<disk type='file' device='disk'><target dev='vda' bus='virtio'/><address type='${type}'/></disk>`))]), 2, /type\.xml:8: disk\[vda\]: (unknown address type|<address> has no type)/);
    }
  });
});

describe("the user's bytes come back unchanged", () => {
  it("`<boot dev='hd' />` and the other tags written with a space before the slash", () => {
    const input = bytesOf('input-space-before-slash.xml').toString('utf8');
    const r = pciplan(['assign', fixture('input-space-before-slash.xml')]);
    expect(r.code, r.stderr).toBe(0);
    // Every input line is in the output, in order: pciplan only inserted lines.
    const out = r.stdout.split('\n');
    let at = 0;
    for (const line of input.trimEnd().split('\n')) {
      at = out.indexOf(line, at);
      expect(at, line).toBeGreaterThanOrEqual(0);
    }
  });

  it('line breaks and tabs between attributes, spaces around =, an empty element pair', () => {
    const devices = `<disk type='file'\n          device='disk'>\n      <source\tfile = '/x.img' />\n      <target dev='vda' bus='virtio'></target>\n    </disk >`;
    const text = deviceDomain(devices);
    const r = pciplan(['assign', tmpFile('format.xml', text), '--strategy', 'greedy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("<disk type='file'\n          device='disk'>\n      <source\tfile = '/x.img' />\n      <target dev='vda' bus='virtio'></target>\n");
  });
});

describe('validate catches what libvirt refuses in the output (the aarch64 console mutant)', () => {
  it('a PCI address on the console that stands for serial 0 is an address-type error on its line', () => {
    const v = pciplan(['validate', fixture('input-console-pci-address-aarch64.xml')]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/^35 +error +console\[1\] +address-type +with no <serial>, this console is serial 0, of target type 'system-serial'/m);
    expectRefusal(pciplan(['assign', fixture('input-console-pci-address-aarch64.xml')]), 1, /input-console-pci-address-aarch64\.xml:35: console\[1\]: .*\[address-type\]/);
  });
});

// ---- real libvirt: the "as libvirt" claims above, asked of libvirt 9 itself ----

/** Values of one attribute, and whether libvirt 9 reads each (observed with virsh define). */
const SLOT_VALUES = ['010', ' 0x05', '+5', '\n5', '0x05 ', '-0', '', '4294967296', '08', '0x', '5\t'];
const INDEX_VALUES = ['010', ' 1', '+1', '0x1', '1 ', '2147483648', '4294967296', '1.0'];

describe.skipIf(!libvirtAvailable())('real libvirt agrees (virsh define on the embedded driver)', () => {
  it('refuses every fixture pciplan refuses, for the same reason', async () => {
    const results = await defineBatch(REFUSED.map((c) => bytesOf(c.file)));
    REFUSED.forEach((c, i) => {
      const r = results[i]!;
      expect(r.ok, c.file).toBe(false);
      if (!r.ok) expect(r.error, c.file).toMatch(c.libvirt);
    });
  });

  it("reads what pciplan reads at libxml2's limits, refuses one past them", async () => {
    const [deepOk, deepNo, attrOk, attrNo, nest200] = await defineBatch([
      nested(MAX_XML_DEPTH),
      nested(MAX_XML_DEPTH + 1),
      longAttribute(MAX_ATTR_BYTES),
      longAttribute(MAX_ATTR_BYTES + 1),
      bytesOf('input-deep-nesting-200.xml'),
    ]);
    expect(deepOk!.ok).toBe(true);
    expect(deepNo).toMatchObject({ ok: false, error: expect.stringMatching(/Excessive depth in document/) });
    expect(attrOk!.ok).toBe(true);
    expect(attrNo).toMatchObject({ ok: false, error: expect.stringMatching(/AttValue length too long/) });
    expect(nest200!.ok).toBe(true);
  });

  it('reads numbers exactly as pciplan does: the same values accepted, the same refused', async () => {
    const domains = [...SLOT_VALUES.map((v) => deviceDomain(diskAt(v))), ...INDEX_VALUES.map((v) => deviceDomain(rootPortIndex(v)))];
    const results = await defineBatch(domains);
    domains.forEach((xml, i) => {
      const ours = pciplan(['validate', '-'], xml);
      const value = JSON.stringify(i < SLOT_VALUES.length ? SLOT_VALUES[i] : INDEX_VALUES[i - SLOT_VALUES.length]);
      expect([0, 2]).toContain(ours.code);
      expect(ours.code === 0, `${value}: pciplan ${ours.stderr} / libvirt ${JSON.stringify(results[i])}`).toBe(results[i]!.ok);
    });
  });

  it("keeps <address type='unassigned'/> and places the other devices where greedy does", async () => {
    const [r] = await defineBatch([bytesOf('input-hostdev-unassigned.xml')]);
    expect(r!.ok).toBe(true);
    if (!r!.ok) return;
    expect(r!.xml).toContain("<address type='unassigned'/>");
    const greedy = pciplan(['assign', fixture('input-hostdev-unassigned.xml'), '--strategy', 'greedy']);
    const pci = (xml: string) =>
      parseDomain(xml)
        .domain.devices.filter((d) => d.address.type === 'pci' && d.address.pci)
        .map((d) => `${d.kind} ${JSON.stringify(d.address)}`)
        .sort();
    expect(pci(greedy.stdout)).toEqual(pci(r!.xml));
  });

  it('refuses the PCI address on the aarch64 console (serial 0), and on an isa-serial', async () => {
    const isaSerial = deviceDomain("<serial type='pty'><address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></serial>");
    const [consoleR, serialR] = await defineBatch([bytesOf('input-console-pci-address-aarch64.xml'), isaSerial]);
    expect(consoleR).toMatchObject({ ok: false, error: expect.stringMatching(/Target type 'system-serial' cannot have an associated address/) });
    expect(serialR).toMatchObject({ ok: false, error: expect.stringMatching(/Target type 'isa-serial' requires address type 'isa'/) });
    expect(pciplan(['validate', '-'], isaSerial).code).toBe(1);
  });

  it('reads a UTF-16 declaration over UTF-8 bytes as UTF-8, where pciplan refuses the mislabelled file', async () => {
    const [r] = await defineBatch([bytesOf('input-utf16-declared-utf8-bytes.xml')]);
    expect(r!.ok).toBe(true);
  });
});
