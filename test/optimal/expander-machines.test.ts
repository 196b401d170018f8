/**
 * pcie-expander-bus exists only where libvirt accepts it: q35 and virt on ARM
 * (qemuDomainIsQ35 || qemuDomainIsARMVirt in qemuDomainControllerDefPostParse,
 * libvirt:src/qemu/qemu_postparse.c; the catalog's `machines`). On the riscv and loongarch virt
 * machines neither the optimal search nor the constructive pass may add one, even for a NUMA hint
 * that then has no layout; on aarch64 the same domain gets one.
 */
import { describe, expect, it } from 'vitest';
import { assignDomain, constructiveLayout } from '../../src/assign.js';
import { ConflictError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { domainXml, nic } from '../../testkit/domains.js';

const numaNic = (arch: string) =>
  parseDomain(domainXml({ machine: 'virt', arch, numa: 1, devices: [nic('52:54:00:00:00:06', 'virtio', undefined, "<addressPreferences numa='0'/>")] }), `numa-${arch}.xml`);

describe('a NUMA hint on a virt machine', () => {
  it('aarch64: both passes add a pcie-expander-bus on node 0', async () => {
    const built = constructiveLayout(numaNic('aarch64'), {});
    expect(built).toMatchObject({ found: true, errors: [] });
    const r = await assignDomain(numaNic('aarch64'), { strategy: 'optimal', policy: {}, progressAfterMs: Infinity });
    expect(r.addedControllers.map((c) => c.model)).toContain('pcie-expander-bus');
  });

  for (const arch of ['riscv64', 'loongarch64']) {
    it(`${arch}: no pass adds one, so the hint has no layout`, async () => {
      expect(constructiveLayout(numaNic(arch), {})).toEqual({ found: false, reason: 'the machine or the policy does not allow adding a pcie-expander-bus' });
      const run = assignDomain(numaNic(arch), { strategy: 'optimal', policy: {}, progressAfterMs: Infinity });
      await expect(run).rejects.toBeInstanceOf(ConflictError);
      await expect(run).rejects.toMatchObject({ conflict: { requirements: expect.arrayContaining([expect.objectContaining({ rule: 'hint-numa' })]) } });
    });
  }
});
