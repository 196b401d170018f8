/**
 * assign --previous against real libvirt: the layouts of seeded (domain, change) pairs and of the
 * KubeVirt scenario are defined by libvirt 9.0 with every address unchanged (libvirt re-addresses
 * nothing and adds no controller), so the addresses kept from the old layout are the guest's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { REPO } from '../helpers/corpus.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';
import { changed, withFourDisks } from './changes.js';
import { plan } from './helpers.js';

const available = libvirtAvailable();

describe.runIf(!available && process.env.CI === 'true')('--previous vs libvirt in CI', () => {
  it('real libvirt is installed (run .ci/run)', () => {
    expect.fail('libvirt missing');
  });
});

describe.skipIf(!available)('--previous layouts in real libvirt', () => {
  it('are defined with every address unchanged', async () => {
    const cases: { name: string; xml: string }[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const { base, change } = changed(seed);
      const old = await plan(base.xml, base.policy);
      if (old instanceof PciplanError) continue;
      const r = await plan(change.xml, change.policy, { previous: parseDomain(writeXml(old.doc), 'old.xml') });
      if (r instanceof PciplanError) continue;
      cases.push({ name: `seed ${seed} (${change.what})`, xml: writeXml(r.doc) });
    }
    const fixture = readFileSync(join(REPO, 'fixtures', 'stable', 'kubevirt-windows.xml'), 'utf8');
    const step1 = await plan(fixture, { sparePciePorts: 1 });
    if (step1 instanceof PciplanError) throw step1;
    const step2 = await plan(withFourDisks(fixture), { sparePciePorts: 8 }, { previous: parseDomain(writeXml(step1.doc), 'step1.xml') });
    if (step2 instanceof PciplanError) throw step2;
    cases.push({ name: 'kubevirt step 2', xml: writeXml(step2.doc).replace("<domain type='kvm'>", "<domain type='qemu'>") });

    const defined = await defineBatch(cases.map((c) => c.xml));
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const d = defined[i]!;
      if (!d.ok) return void failures.push(`${c.name}: libvirt refuses: ${d.error}`);
      const diff = tableDiff(addressTable(parseDomain(c.xml).domain), addressTable(parseDomain(d.xml).domain));
      if (diff.length) failures.push(`${c.name}: libvirt changed the layout: ${diff.slice(0, 3).join('; ')}`);
    });
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(25);
  });
});
