/**
 * The validator against real libvirt (define) and real QEMU (paused start) on generated layouts:
 * every layout either oracle rejects, pciplan rejects. Where pciplan rejects a layout both accept,
 * the rule it applies must be one of STRICTER, each with the rule behind it.
 */
import { describe, expect, it } from 'vitest';
import { PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import type { RuleId } from '../../src/validate/problems.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { crossCheck, formatSummary } from '../gen/crosscheck.js';
import { generateLayouts } from '../gen/layouts.js';
import { libvirtAvailable } from '../../src/oracle/libvirt.js';
import { qemuAvailable } from './qemu.js';

/** Rules by which pciplan refuses layouts that libvirt 9.0 and QEMU 7.2 both accept. */
const STRICTER: Partial<Record<RuleId, string>> = {
  'function-zero':
    'PCI: a device is found through function 0 of its slot; firmware (SeaBIOS) and guest kernels never enumerate functions 1-7 when function 0 is absent, so the device is invisible.',
  'bus-numbers':
    "QEMU docs/pcie.txt section 4 and libvirt's busNr documentation: an expander owns the bus numbers from its busNr up to the next expander's; a hierarchy that needs more cannot be numbered by firmware (libvirt does not check it).",
  'bus-missing':
    "libvirt completes a layout that names a bus no controller provides by adding default controllers (documented as possibly leading to an invalid configuration); the file then does not describe the topology that runs. pciplan asks for the controller to be written.",
};

const COUNT = 240;
const available = libvirtAvailable() && qemuAvailable();

describe.runIf(!available && process.env.CI === 'true')('validator vs oracles in CI', () => {
  it('real libvirt and QEMU are installed (run .ci/run)', () => {
    expect.fail('oracles missing');
  });
});

describe.skipIf(!available)(`validator vs real libvirt and QEMU on ${COUNT} generated layouts`, () => {
  it('rejects every layout an oracle rejects; is stricter only by the named rules', async () => {
    const layouts = generateLayouts(20261122, COUNT);
    const rows = await crossCheck(layouts);
    const missed: string[] = [];
    const stricter = new Map<string, number>();
    let rejectedByOracle = 0;
    for (const [i, l] of layouts.entries()) {
      const row = rows[i]!;
      let errors: { rule: string; message: string }[];
      try {
        const { domain } = parseDomain(l.xml, l.name);
        errors = validateDomain(domain).problems.filter((p) => p.severity === 'error');
      } catch (e) {
        if (!(e instanceof PciplanError)) throw e;
        errors = [{ rule: 'input', message: e.message }];
      }
      const oracleRejects = !row.libvirt.ok || !row.qemu.ok;
      if (oracleRejects) rejectedByOracle++;
      if (oracleRejects && errors.length === 0) {
        missed.push(`${l.name} (${row.fault}): libvirt ${row.libvirt.error ?? 'ok'}; qemu ${row.qemu.error ?? 'ok'}`);
      }
      if (!oracleRejects && errors.length > 0) {
        for (const e of errors) {
          expect(STRICTER, `${l.name} (${row.fault}): ${e.rule}: ${e.message}`).toHaveProperty(e.rule);
          stricter.set(e.rule, (stricter.get(e.rule) ?? 0) + 1);
        }
      }
    }
    console.log(`${formatSummary(rows)}\n\noracle rejections: ${rejectedByOracle}/${COUNT}; pciplan stricter by rule: ${JSON.stringify(Object.fromEntries(stricter))}`);
    expect(missed).toEqual([]);
    // The sample must exercise both sides: many oracle rejections and many good layouts.
    expect(rejectedByOracle).toBeGreaterThan(COUNT / 4);
    expect(rows.filter((r) => r.libvirt.ok && r.qemu.ok).length).toBeGreaterThan(COUNT / 3);
    // Good layouts (no fault injected) are accepted by pciplan too.
    for (const [i, l] of layouts.entries()) {
      if (l.fault) continue;
      const { domain } = parseDomain(l.xml, l.name);
      expect(validateDomain(domain).problems.filter((p) => p.severity === 'error'), `${l.name}: ${rows[i]!.libvirt.error ?? ''}`).toEqual([]);
    }
  });
});
