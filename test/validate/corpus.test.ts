import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { corpusIndex, errorCases, pairFile, skipCorpus } from '../helpers/corpus.js';

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

/**
 * What pciplan must say for each libvirt error case: the rule and a pattern carrying the same
 * meaning as libvirt's message. pcie-root-port-too-many is an allocation case, not validation.
 */
const EXPECTED_ERRORS: Record<string, { rule: string; message: RegExp }> = {
  'hostdev-pci-duplicate': { rule: 'hostdev-duplicate', message: /hostdev already exists .* 0000:06:12\.5/ },
  'pci-bridge-duplicate-index': { rule: 'controller-index', message: /multiple 'pci' controllers with index '1'/ },
  'pci-bridge-negative-index-invalid': { rule: 'controller-index', message: /'index'.*'-1'. Expected non-negative value/ },
  'pci-bus-invalid': { rule: 'address-syntax', message: /bus='0x100', must be <= 0xFF/ },
  'pci-domain-invalid': { rule: 'address-syntax', message: /bus='0x100', must be <= 0xFF/ },
  'pci-expander-bus-bad-bus': { rule: 'connect-type', message: /0000:01:01\.0 cannot be plugged into the PCI controller with index='1'.*accepts a pci-expander-bus/ },
  'pci-expander-bus-bad-machine': { rule: 'root-model', message: /index='0' must be model='pcie-root'.*model='pci-root' was found/ },
  'pci-expander-bus-bad-node': { rule: 'numa-node', message: /NUMA node \(1\) not present in the domain's <cpu><numa> array \(0\)/ },
  'pci-function-invalid': { rule: 'address-syntax', message: /function=0x8, must be <= 7/ },
  'pci-root-address': { rule: 'root-address', message: /pci-root and pcie-root controllers should not have an address/ },
  'pci-root-nonzero-index': { rule: 'controller-index', message: /pci-root and pcie-root controllers should have index 0/ },
  'pci-slot-invalid': { rule: 'address-syntax', message: /slot='0x20', must be <= 0x1F/ },
  'pcie-expander-bus-bad-bus': { rule: 'connect-type', message: /0000:01:00\.0 cannot be plugged into the PCI controller with index='1'.*accepts a pcie-expander-bus/ },
  'pcie-expander-bus-bad-machine': { rule: 'controller-machine', message: /pcie-expander-bus controllers are not supported with this machine type/ },
  'pvpanic-pci-invalid-address-aarch64': { rule: 'address-type', message: /only 'pci' addresses are supported for panic model 'pvpanic'/ },
  'q35-dmi-bad-address1': { rule: 'controller-index', message: /multiple 'pci' controllers with index '2'/ },
  'q35-dmi-bad-address2': { rule: 'connect-type', message: /0000:01:00\.0 cannot be plugged into the PCI controller with index='1'.*accepts a dmi-to-pci-bridge/ },
  'q35-wrong-root': { rule: 'root-model', message: /index='0' must be model='pcie-root'.*model='pci-root' was found/ },
  'shmem-invalid-address': { rule: 'address-type', message: /only 'pci' addresses are supported for shmem/ },
  'video-ramfb-display-device-pci-address': { rule: 'address-type', message: /address not supported for video ramfb/ },
  'virtio-iommu-invalid-address': { rule: 'integrated', message: /0000:01:00\.0 needs to be an integrated device \(bus=0\)/ },
};

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
