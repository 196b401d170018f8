// Bad input of every kind: one line on stderr naming the file (and line), exit code 2, no stack.
import { mkdtempSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainXml } from '../../testkit/domains.js';
import { pciplan } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pciplan-bad-'));
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function expectInputError(args: string[], message: RegExp) {
  const r = pciplan(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pciplan: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE domain [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<domain type='kvm'><name>&lol9;</name></domain>
`;

describe('bad input gives one line and exit code 2', () => {
  it('malformed XML, with the line of the fault', () => {
    expectInputError(['validate', file('malformed.xml', "<domain type='kvm'>\n  <devices>\n  </domain>\n")], /malformed\.xml:3: malformed XML: Expected closing tag 'devices'/);
  });
  it('an entity-expansion bomb, refused before any expansion', () => {
    expectInputError(['validate', file('bomb.xml', LAUGHS)], /bomb\.xml:2: the DOCTYPE declares entities/);
  });
  it('an external entity', () => {
    expectInputError(['validate', file('xxe.xml', `<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<domain>&x;</domain>\n`)], /declares entities/);
  });
  it('a reference to an undeclared entity', () => {
    expectInputError(['validate', file('undeclared.xml', domainXml().replace('<name>test</name>', '<name>&nbsp;</name>'))], /undeclared\.xml:2: undefined or malformed entity reference '&nbsp;'/);
  });
  it('a root that is not <domain>', () => {
    expectInputError(['validate', file('network.xml', "<network>\n  <name>default</name>\n</network>\n")], /network\.xml:1: the root element is <network>, not <domain>/);
  });
  it('an unknown machine', () => {
    expectInputError(['validate', file('machine.xml', domainXml({ machine: 'pc-q36' }))], /machine\.xml:6: unknown machine 'pc-q36' for arch 'x86_64'/);
  });
  it('an address with junk in it, naming the device', () => {
    const xml = domainXml({ devices: ["<disk type='file' device='disk'>\n  <target dev='vda' bus='virtio'/>\n  <address type='pci' domain='0x0000' bus='0xZZ' slot='0x01' function='0x0'/>\n</disk>"] });
    expectInputError(['validate', file('junk.xml', xml)], /junk\.xml:12: disk\[vda\] <address>: bus='0xZZ' is not a number/);
  });
  it('a 50 MB file, refused from its size without reading it', () => {
    const p = join(dir, 'huge.xml');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    expectInputError(['validate', p], /huge\.xml: 50\.0 MiB is larger than the 16\.0 MiB pciplan reads/);
  });
  it('an empty file and a binary file', () => {
    expectInputError(['validate', file('empty.xml', '')], /empty\.xml/);
    expectInputError(['validate', file('binary.xml', '\u0000\u0001\u0002garbage')], /binary\.xml/);
  });
  it('a missing file, and a directory', () => {
    expectInputError(['validate', join(dir, 'nope.xml')], /nope\.xml: cannot read: no such file/);
    expectInputError(['validate', dir], /is a directory/);
  });
  it('a bad hint', () => {
    const xml = domainXml({ devices: ["<disk type='file' device='disk'>\n  <target dev='vda' bus='virtio'/>\n  <addressPreferences hotplug='maybe'/>\n</disk>"] });
    expectInputError(['validate', file('hint.xml', xml)], /hint\.xml:12: disk\[vda\]: <addressPreferences>: hotplug: must be 'yes' or 'no' \(got "maybe"\)/);
  });
  it('a bad policy file', () => {
    const good = file('good.xml', domainXml());
    expectInputError(['validate', good, '--policy', file('p1.json', '{"sparePorts": 2}')], /p1\.json: policy: unknown setting 'sparePorts'/);
    expectInputError(['validate', good, '--policy', file('p2.json', '{"sparePciePorts": -1}')], /p2\.json: policy: sparePciePorts: /);
    expectInputError(['validate', good, '--policy', file('p3.json', '{oops')], /p3\.json: not valid JSON/);
  });
  it('bad usage: unknown command, unknown option, missing argument, bad enum', () => {
    expectInputError(['frobnicate'], /unknown command 'frobnicate'/);
    expectInputError(['validate', 'x.xml', '--colour'], /unknown option '--colour'/);
    expectInputError(['validate'], /Missing required positional argument: DOMAIN/);
    expectInputError(['validate', file('ok.xml', domainXml()), '--format', 'yaml'], /Invalid value for argument: --format \(yaml\)/);
  });
});
