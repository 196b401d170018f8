/**
 * Optimal layouts against the real oracles: for every corpus input greedy can place, and every hard
 * fixture, the optimal layout passes pciplan's validator, real libvirt defines it with no address
 * changed and no controller added, and real QEMU starts it. Corpus domains that libvirt 9.0 cannot
 * define at all (features newer than 9.0, or a QEMU binary this machine lacks) are counted and
 * skipped: their input fails the same way before pciplan touches it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { PolicySchema } from '../../src/model/schemas.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { corpusIndex, HAVE_CORPUS, pairFile, REPO } from '../helpers/corpus.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { qemuAcceptsBatch, qemuAvailable } from './qemu.js';

const available = libvirtAvailable() && qemuAvailable();

describe.runIf(!available && process.env.CI === 'true')('optimal vs oracles in CI', () => {
  it('real libvirt and QEMU are installed (run .ci/run)', () => {
    expect.fail('oracles missing');
  });
});

interface Case {
  name: string;
  xml: string;
  /** For corpus pairs: the input, to tell what libvirt 9.0 or this machine cannot run at all from layout faults. */
  reference?: string;
}

/**
 * Passed-through host devices cannot be started on this machine; for QEMU's verdict on the layout
 * each one is stood in for by a virtio-rng (a PCI Express device, like the hostdev libvirt assumes)
 * at the same address.
 */
function standInHostdevs(xml: string): string {
  return xml.replace(/<hostdev mode='subsystem' type='pci'[\s\S]*?<\/hostdev>/g, (block) => {
    const addresses = block.match(/<address type='pci'[^>]*\/>/g) ?? [];
    const guest = addresses[addresses.length - 1];
    return guest ? `<rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n      ${guest}\n    </rng>` : '';
  });
}

/**
 * Domains through QEMU in batches; a harness failure (virsh cannot even build a command line, and
 * gives up on the whole batch) splits the batch until it is pinned to one domain, a refusal.
 */
async function tryQemu(xmls: string[]): Promise<{ ok: boolean; error?: string }[]> {
  if (xmls.length === 0) return [];
  try {
    return (await qemuAcceptsBatch(xmls.map(standInHostdevs))).map((r) => (r.ok ? { ok: true } : { ok: false, error: r.error }));
  } catch (e) {
    if (xmls.length === 1) return [{ ok: false, error: (e as Error).message.slice(0, 200) }];
    const half = Math.ceil(xmls.length / 2);
    return [...(await tryQemu(xmls.slice(0, half))), ...(await tryQemu(xmls.slice(half)))];
  }
}

async function optimalCases(): Promise<Case[]> {
  const cases: Case[] = [];
  if (HAVE_CORPUS) {
    for (const p of corpusIndex().filter((x) => ['q35', 'pc', 'virt'].includes(x.machineFamily))) {
      try {
        const r = await assignDomain(parseDomain(readFileSync(pairFile(p.name, 'input.xml'), 'utf8'), p.name), { strategy: 'optimal', policy: {} });
        cases.push({ name: p.name, xml: writeXml(r.doc), reference: readFileSync(pairFile(p.name, 'input.xml'), 'utf8') });
      } catch (e) {
        if (!(e instanceof PciplanError)) throw e; // the inputs pciplan refuses are tested elsewhere
      }
    }
  }
  const hard = join(REPO, 'fixtures', 'hard');
  for (const f of readdirSync(hard).filter((x) => x.endsWith('.xml'))) {
    const name = f.replace(/\.xml$/, '');
    let policy = {};
    try {
      policy = PolicySchema.parse(JSON.parse(readFileSync(join(hard, `${name}.policy.json`), 'utf8')));
    } catch {
      // no policy for this fixture
    }
    const r = await assignDomain(parseDomain(readFileSync(join(hard, f), 'utf8'), name), { strategy: 'optimal', policy });
    cases.push({ name: `fixtures/hard/${f}`, xml: writeXml(r.doc).replace("<domain type='kvm'>", "<domain type='qemu'>") });
  }
  return cases;
}

describe.skipIf(!available)('optimal layouts in real libvirt and real QEMU', () => {
  it('are defined unchanged by libvirt and started by QEMU', async () => {
    const cases = await optimalCases();
    const refs = await defineBatch(cases.map((c) => c.reference ?? c.xml));
    const usable = cases.filter((c, i) => !c.reference || refs[i]!.ok);
    const defined = await defineBatch(usable.map((c) => c.xml));
    const failures: string[] = [];
    usable.forEach((c, i) => {
      const d = defined[i]!;
      if (!d.ok) {
        failures.push(`${c.name}: libvirt refuses: ${d.error}`);
        return;
      }
      const ours = parseDomain(c.xml).domain;
      const theirs = parseDomain(d.xml).domain;
      if (validateDomain(ours).problems.some((p) => p.severity === 'error')) failures.push(`${c.name}: pciplan's validator refuses its own layout`);
      const diff = tableDiff(addressTable(ours), addressTable(theirs));
      if (diff.length) failures.push(`${c.name}: libvirt changed the layout: ${diff.slice(0, 3).join('; ')}`);
    });
    // QEMU runs what libvirt would run; domains whose own reference layout libvirt cannot turn into a
    // command line here (host devices, secrets, hugepages, vhost-scsi) cannot be started either way.
    const refQemu = await tryQemu(usable.map((c) => c.reference ?? c.xml));
    const runnable = usable.filter((c, i) => !c.reference || refQemu[i]!.ok);
    const verdicts = await tryQemu(runnable.map((c) => c.xml));
    runnable.forEach((c, i) => {
      if (!verdicts[i]!.ok) failures.push(`${c.name}: QEMU refuses: ${verdicts[i]!.error}`);
    });
    console.log(
      `optimal layouts defined unchanged by libvirt: ${usable.length} (skipped ${cases.length - usable.length} whose input libvirt 9.0 cannot define); started by QEMU: ${runnable.length}`,
    );
    expect(failures).toEqual([]);
    expect(usable.length).toBeGreaterThan(100);
    expect(runnable.length).toBeGreaterThan(80);
  });
});
