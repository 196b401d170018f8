import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import { needsPciAddress } from '../../src/model/types.js';
import { canonicalXml } from '../../src/xml/canonical.js';
import { parseXml } from '../../src/xml/parseXml.js';
import { elements, rootElement, type XmlElement } from '../../src/xml/tree.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { corpusIndex, pairFile, skipCorpus } from '../helpers/corpus.js';

describe.skipIf(skipCorpus)('lossless round trip over the libvirt corpus', () => {
  const pairs = corpusIndex();

  it('has the 159 pairs the issue names', () => {
    expect(pairs).toHaveLength(159);
  });

  for (const p of pairs) {
    for (const file of ['input.xml', 'expected.xml'] as const) {
      it(`${p.name}/${file}: parse then write gives the same document`, () => {
        const text = readFileSync(pairFile(p.name, file), 'utf8');
        const doc = parseXml(text, file);
        const written = writeXml(doc);
        // Canonical equality is the requirement; pciplan in fact keeps every byte.
        expect(canonicalXml(parseXml(written))).toBe(canonicalXml(doc));
        expect(written).toBe(text.endsWith('\n') ? text : `${text}\n`);
      });
    }
  }

  it('finds the devices and controllers index.json counts, in every pair', () => {
    const mismatches: string[] = [];
    for (const p of pairs) {
      const input = parseDomain(readFileSync(pairFile(p.name, 'input.xml'), 'utf8')).domain;
      const expected = parseDomain(readFileSync(pairFile(p.name, 'expected.xml'), 'utf8')).domain;
      const got = {
        controllersIn: input.devices.filter((d) => d.pci).length,
        controllersOut: expected.devices.filter((d) => d.pci).length,
        explicitPciAddressesIn: input.devices.filter((d) => d.address.type === 'pci' && d.address.pci).length,
        pciAddressesOut: expected.devices.filter((d) => d.address.type === 'pci').length,
        devicesNeedingAddress: input.devices.filter((d) => needsPciAddress(d) && !(d.address.type === 'pci' && d.address.pci)).length,
      };
      for (const [k, v] of Object.entries(got)) {
        if (v !== p[k as keyof typeof got]) mismatches.push(`${p.name}: ${k} ${v} != ${p[k as keyof typeof got]}`);
      }
    }
    // No differences to explain: every count agrees.
    expect(mismatches).toEqual([]);
  });
});

describe('writing keeps what the user wrote', () => {
  it('keeps comments, CDATA, processing instructions, entity spelling and per-attribute quotes', () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<!-- created by hand -->
<domain type='kvm' xmlns:q="http://libvirt.org/schemas/domain/qemu/1.0">
  <name>a &amp; b &#x41;</name>
  <description><![CDATA[ <raw> & text ]]></description>
  <devices>
    <disk type="file" device='disk' x="it's"><target dev='vda' bus='virtio'/></disk>
  </devices>
</domain>
`;
    expect(writeXml(parseXml(text))).toBe(text);
  });

  it('keeps an empty element pair, and the spacing inside tags, as written', () => {
    const text = "<domain  type='kvm'\n        id='1'><devices></devices ><boot dev='hd' />\t<x a = \"1\"\t/></domain>\n";
    expect(writeXml(parseXml(text))).toBe(text);
  });

  it('keeps the text around the root as written: blank lines, no line break after the declaration, a doctype', () => {
    for (const text of [
      '<?xml version="1.0"?><domain/>\n',
      "<?xml version='1.0'?>\n\n<!-- by hand -->\n<domain/>\n\n",
      '  <domain/>\n<!-- after -->  \n',
      '<?xml version="1.0"?>\n<!DOCTYPE domain>\n\n<domain>\n <a/>\n</domain>\n',
      '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<domain/>\n',
    ]) {
      expect(writeXml(parseXml(text))).toBe(text);
    }
  });

  it('rebuilds only a tag whose attributes changed, opening a self-closed one that gained a child', () => {
    const doc = parseXml("<domain>\n  <disk type='file' />\n  <boot dev='hd' />\n</domain>\n");
    const [disk, boot] = elements(rootElement(doc)) as [XmlElement, XmlElement];
    disk.children.push({ type: 'element', name: 'address', attrs: [['type', "pci"]], children: [], line: 0 });
    boot.attrs[0]![1] = 'cdrom';
    expect(writeXml(doc)).toBe("<domain>\n  <disk type='file'><address type='pci'/></disk>\n  <boot dev='cdrom'/>\n</domain>\n");
  });
});
