import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { corpusIndex, errorCases, pairFile, skipCorpus } from '../helpers/corpus.js';
import { EXPECTED_ERRORS } from '../helpers/libvirtErrors.js';

/**
 * expected.xml files libvirt itself produced that carry a real fault, with the rule that finds it.
 * - q35-multifunction: function 1 of slot 00:04 beside a function 0 written multifunction='off';
 *   QEMU refuses it ("single function device can't be populated in function 4.1").
 * - pcie-expander-bus: a pcie-expander-bus at busNr 254 with 35 bus-creating controllers below it;
 *   only bus numbers 254-255 belong to it (QEMU docs/pcie.txt section 4, libvirt's own busNr
 *   documentation), so firmware cannot number that hierarchy. libvirt does not check the range.
 */
const FAULTY: Record<string, { rule: string; message: RegExp }> = {
  'q35-multifunction': { rule: 'multifunction', message: /multifunction='off' at 0000:00:04\.0 .* function 1/ },
  'pcie-expander-bus': { rule: 'bus-numbers', message: /busNr 254-255\) needs 35 guest bus numbers but has room for 2/ },
};

describe.skipIf(skipCorpus)('validator on libvirt expected output', () => {
  for (const p of corpusIndex()) {
    it(`${p.name}: ${FAULTY[p.name] ? 'rejected for its real fault' : 'accepted'}`, () => {
      const { domain } = parseDomain(readFileSync(pairFile(p.name, 'expected.xml'), 'utf8'), `${p.name}/expected.xml`);
      const { valid, problems } = validateDomain(domain);
      const errors = problems.filter((x) => x.severity === 'error');
      const fault = FAULTY[p.name];
      if (!fault) {
        expect(errors).toEqual([]);
        expect(valid).toBe(true);
        // libvirt assigned everything: nothing may be left without an address.
        expect(problems.filter((x) => x.rule === 'unassigned')).toEqual([]);
      } else {
        expect(valid).toBe(false);
        expect(errors).toHaveLength(1);
        expect(errors[0]!.rule).toBe(fault.rule);
        expect(errors[0]!.message).toMatch(fault.message);
      }
    });
  }
});

describe.skipIf(skipCorpus)('validator on the libvirt error corpus', () => {
  const cases = errorCases();
  it('covers the 21 validation cases and the one allocation case', () => {
    expect(cases.map((c) => c.name).sort()).toEqual([...Object.keys(EXPECTED_ERRORS), 'pcie-root-port-too-many'].sort());
  });
  for (const c of cases.filter((x) => x.name in EXPECTED_ERRORS)) {
    it(`${c.name}: rejected like libvirt ("${c.libvirtError}")`, () => {
      const { domain } = parseDomain(readFileSync(c.input, 'utf8'), c.name);
      const { valid, problems } = validateDomain(domain);
      expect(valid).toBe(false);
      const want = EXPECTED_ERRORS[c.name]!;
      const match = problems.find((p) => p.severity === 'error' && p.rule === want.rule && want.message.test(p.message));
      expect(match, problems.map((p) => `${p.rule}: ${p.message}`).join('\n')).toBeDefined();
    });
  }
});

describe.skipIf(skipCorpus)('pcie-expander-bus on the virt machines libvirt refuses it on', () => {
  // libvirt accepts pxb-pcie on q35 and ARM virt only (qemuDomainIsQ35 || qemuDomainIsARMVirt):
  // the corpus pair pcie-expander-bus-aarch64 moved to riscv64 or loongarch64 gets the message of
  // the error case pcie-expander-bus-bad-machine.
  const input = readFileSync(pairFile('pcie-expander-bus-aarch64', 'input.xml'), 'utf8');
  const libvirtError = errorCases().find((c) => c.name === 'pcie-expander-bus-bad-machine')!.libvirtError;
  const errors = (arch: string) => {
    const text = input.replace("arch='aarch64'", `arch='${arch}'`);
    expect(text).toContain(`arch='${arch}'`);
    return validateDomain(parseDomain(text, `pcie-expander-bus-${arch}.xml`).domain).problems.filter((p) => p.severity === 'error');
  };
  it('aarch64: accepted', () => {
    expect(errors('aarch64')).toEqual([]);
  });
  for (const arch of ['riscv64', 'loongarch64']) {
    it(`${arch}: refused with libvirt's message`, () => {
      const found = errors(arch);
      expect(found.map((p) => p.rule)).toEqual(['controller-machine']);
      expect(libvirtError).toBe(`unsupported configuration: ${found[0]!.message}`);
    });
  }
});
