/**
 * What pciplan writes must be what libvirt accepts: `virsh define --validate` checks the document
 * against libvirt's schema, which refuses <addressPreferences> in a device but accepts pciplan's
 * namespaced metadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyLayout } from '../../src/model/applyLayout.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { REPO } from '../helpers/corpus.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';

const available = libvirtAvailable();

describe.skipIf(!available)('written XML and libvirt schema validation', () => {
  it('refuses the hints in device elements, accepts them moved to metadata, and keeps them there', async () => {
    const text = readFileSync(join(REPO, 'fixtures', 'q35-workstation.xml'), 'utf8');
    const { doc, domain } = parseDomain(text);
    const written = writeXml(applyLayout(doc, domain, { addresses: new Map(), added: [] }));
    const [raw, moved] = await defineBatch([text, written], { validate: true });
    expect(raw!.ok).toBe(false);
    expect(raw!.ok ? '' : raw!.error).toMatch(/failed to validate against schema/);
    expect(moved).toMatchObject({ ok: true });
    // libvirt keeps the metadata, so pciplan reads the same hints back from libvirt's own output.
    const back = parseDomain(moved!.ok ? moved!.xml : '').domain;
    const hinted = (d: typeof domain) => d.devices.filter((x) => Object.keys(x.hints).length).map((x) => [x.id, x.hints]);
    expect(hinted(back)).toEqual(hinted(domain));
    expect(hinted(domain)).toHaveLength(3);
  });
});
