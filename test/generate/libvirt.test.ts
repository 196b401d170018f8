// Every generated domain through real libvirt (`virsh define --validate`, so the hints in pciplan's
// metadata must satisfy libvirt's schema), all in a few virsh processes. libvirt defines a domain
// exactly when its own greedy allocator can place it; pciplan's greedy is libvirt's algorithm, so
// it predicts each verdict, and the sizes past libvirt's reach must fail with its slot error.
import { beforeAll, describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { PciplanError } from '../../src/errors.js';
import { generateDomain, type GeneratedDomain } from '../../src/generate/index.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { defineBatch, libvirtAvailable, libvirtUnavailableReason, type DefineResult } from '../../src/oracle/libvirt.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';
import { ALL_CASES, SEED } from './cases.js';

const available = libvirtAvailable();

describe.runIf(!available && process.env.CI === 'true')('generated domains vs libvirt in CI', () => {
  it('real libvirt is installed (run .ci/run)', () => {
    expect.fail(libvirtUnavailableReason());
  });
});

/** libvirt's greedy pass runs out of slots for the controllers it wants to add. */
const NO_SLOT = /a PCI slot is needed to connect a PCI controller|No more available PCI slots/;

describe.skipIf(!available)('generated domains vs real libvirt', () => {
  let domains: GeneratedDomain[];
  let results: DefineResult[];
  let greedy: ({ ok: true } | { ok: false; error: string })[];

  beforeAll(async () => {
    domains = ALL_CASES.map((c) => generateDomain({ family: c.family, machine: c.machine, devices: c.devices, seed: SEED }));
    results = await defineBatch(
      domains.map((d) => d.xml),
      { validate: true },
    );
    greedy = await Promise.all(
      domains.map((d) =>
        assignDomain(parseDomain(d.xml, d.name), { strategy: 'greedy', policy: {} }).then(
          () => ({ ok: true as const }),
          (e: unknown) => {
            if (!(e instanceof PciplanError)) throw e;
            return { ok: false as const, error: e.message };
          },
        ),
      ),
    );
  }, 300_000);

  it('defines every domain its greedy pass can place, with the hints schema-valid in metadata', () => {
    const mismatches = domains.flatMap((d, i) => {
      const lv = results[i]!;
      const predicted = greedy[i]!;
      if (lv.ok === predicted.ok && (lv.ok || NO_SLOT.test(lv.error))) return [];
      return [`${d.name}: libvirt ${lv.ok ? 'defines it' : `refuses: ${lv.error.slice(0, 160)}`}; pciplan greedy ${predicted.ok ? 'places it' : `fails: ${predicted.error.slice(0, 120)}`}`];
    });
    expect(mismatches).toEqual([]);
    // The moderate sizes of every family are within libvirt's reach on q35 and virt ...
    const moderate = domains.filter((d) => d.devices <= 150 && d.machine !== 'pc');
    expect(moderate.filter((d) => !results[domains.indexOf(d)]!.ok).map((d) => d.name)).toEqual([]);
    // ... and the metadata holds pciplan's hints through define (libvirt keeps foreign metadata).
    const withHints = domains.filter((d, i) => results[i]!.ok && d.xml.includes('<pciplan:device'));
    expect(withHints.length).toBeGreaterThan(40);
    for (const d of withHints) {
      const r = results[domains.indexOf(d)]!;
      expect(r.ok && r.xml, d.name).toContain('http://pciplan.dev/xmlns/placement/1.0');
    }
  });

  it('refuses, with its slot error, the sizes its one-port-per-device greedy pass cannot place', () => {
    const refused = (name: string) => {
      const i = domains.findIndex((d) => d.name === name);
      expect(i, name).toBeGreaterThanOrEqual(0);
      const r = results[i]!;
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.error).toMatch(NO_SLOT);
    };
    // 250 hot-pluggable PCIe devices on q35 (240 root-port functions; libvirt adds no switches) ...
    refused(`gen-hotplug-heavy-q35-250-s${SEED}`);
    refused(`gen-cloud-q35-240-s${SEED}`);
    // ... and 150 conventional devices on pc (libvirt plugs each new pci-bridge into the last one).
    refused(`gen-legacy-pc-150-s${SEED}`);
    // Past the limits, libvirt fails too, the same way.
    for (const d of domains.filter((x) => x.expect)) refused(d.name);
  });

  it("defines pciplan's optimal layout of every domain within the PCI limits, adding no controller, also where its own pass gives up", async () => {
    const feasible = domains.filter((d) => !d.expect);
    const planned = await Promise.all(feasible.map((d) => assignDomain(parseDomain(d.xml, d.name), { strategy: 'optimal', policy: d.policy })));
    const defined = await defineBatch(
      planned.map((r) => writeXml(r.doc)),
      { validate: true },
    );
    const pciControllers = (xml: string) => (xml.match(/<controller type='pci'/g) ?? []).length;
    const problems = defined.flatMap((r, i) => {
      const ours = writeXml(planned[i]!.doc);
      if (!r.ok) return [`${feasible[i]!.name}: ${r.error.slice(0, 200)}`];
      if (pciControllers(r.xml) !== pciControllers(ours)) return [`${feasible[i]!.name}: libvirt has ${pciControllers(r.xml)} PCI controllers, pciplan wrote ${pciControllers(ours)}`];
      // Every device and controller where pciplan put it.
      const diff = tableDiff(addressTable(parseDomain(ours).domain), addressTable(parseDomain(r.xml).domain));
      return diff.length ? [`${feasible[i]!.name}: libvirt changed the layout: ${diff.slice(0, 3).join('; ')}`] : [];
    });
    expect(problems).toEqual([]);
    const own = domains.filter((_, i) => results[i]!.ok).length;
    console.log(`generated domains: ${domains.length}; real libvirt defines ${own} and refuses ${domains.length - own}; pciplan's optimal layouts of the ${feasible.length} within the PCI limits all defined unchanged`);
    // Among them the ones libvirt itself could not place.
    expect(feasible.filter((d) => !results[domains.indexOf(d)]!.ok).length).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
