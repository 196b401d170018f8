/**
 * attach against the real oracles. Cold: the original domain with the attached elements merged in
 * (as `virsh attach-device --config` of each, in order, leaves it) is defined by real libvirt,
 * which must keep every address and add no controller, and started by real QEMU. Live: a guest is
 * started paused under real libvirt and the planned devices are hot-plugged into it in the printed
 * order; for a multifunction slot, libvirt's refusal of a function other than 0 is checked (it is
 * why attach warns), and QEMU's own device_add takes the functions in the printed order only.
 */
import { describe, expect, it } from 'vitest';
import { elementText, type AttachResult } from '../../src/attach.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { addressOf } from '../../src/model/topology.js';
import { formatAddress } from '../../src/model/types.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { qemuAcceptsBatch, qemuAvailable } from '../oracle/qemu.js';
import { runLive, type Step } from './liveLibvirt.js';
import { attach, deviceFile, pcAddressed, q35Addressed, rng, rngGroup, userNic } from './scenarios.js';

const available = libvirtAvailable() && qemuAvailable();

describe.runIf(!available && process.env.CI === 'true')('attach vs oracles in CI', () => {
  it('real libvirt and QEMU are installed (run .ci/run)', () => {
    expect.fail('oracles missing');
  });
});

const A = q35Addressed(4, 1, 1);
const B = q35Addressed(4, 0, 1);

/** Every PCI-addressed device as "kind address", and the PCI controller count. */
function pciPicture(xml: string): { placed: string[]; controllers: number } {
  const { domain } = parseDomain(xml, 'x.xml');
  const placed = domain.devices.flatMap((d) => (addressOf(d) ? [`${d.kind} ${formatAddress(addressOf(d)!)}`] : [])).sort();
  return { placed, controllers: domain.devices.filter((d) => d.pci).length };
}

const CASES: { name: string; domain: string; news: () => ReturnType<typeof deviceFile>; live: boolean }[] = [
  { name: 'cold: two PCIe devices, one new root port', domain: A, news: () => [...deviceFile([rng('ua-a')], 'a.xml'), ...deviceFile([userNic('52:54:00:00:00:02', 'virtio')], 'b.xml')], live: false },
  { name: 'cold: 2- and 8-function groups on a full topology', domain: B, news: () => [...deviceFile(rngGroup('two', 2), 't.xml'), ...deviceFile(rngGroup('eight', 8), 'e.xml')], live: false },
  { name: 'cold: conventional NICs behind a new pcie-to-pci-bridge', domain: B, news: () => [1, 2, 3].flatMap((i) => deviceFile([userNic(`52:54:00:00:01:0${i}`, 'e1000')], `${i}.xml`)), live: false },
  { name: "cold: hotplug='no' where the guest cannot eject it", domain: B, news: () => deviceFile([rng('ua-fixed', undefined, "<addressPreferences hotplug='no'/>")]), live: false },
  { name: 'live: a 2-function group in the empty port', domain: A, news: () => deviceFile(rngGroup('g', 2)), live: true },
  { name: 'live: an 8-function group in the empty port', domain: A, news: () => deviceFile(rngGroup('g', 8)), live: true },
  { name: 'live: a NIC on i440fx pci.0', domain: pcAddressed(3), news: () => deviceFile([userNic('52:54:00:00:00:09', 'virtio')]), live: true },
];

describe.runIf(available)('attach: the merged domain under real libvirt and QEMU', () => {
  it('libvirt keeps every address and adds nothing; QEMU starts it', async () => {
    const runs = await Promise.all(CASES.map(async (c) => ({ c, ...(await attach(c.domain, c.news(), { live: c.live })) })));
    const defined = await defineBatch(runs.map((r) => r.merged));
    const qemu = await qemuAcceptsBatch(runs.map((r) => r.merged));
    runs.forEach((r, i) => {
      const d = defined[i]!;
      expect(d.ok ? 'ok' : d.error, r.c.name).toBe('ok');
      if (!d.ok) return;
      const ours = pciPicture(r.merged);
      const theirs = pciPicture(d.xml);
      expect(theirs.controllers, `${r.c.name}: libvirt added controllers`).toBe(ours.controllers);
      for (const p of ours.placed) expect(theirs.placed, r.c.name).toContain(p);
      const q = qemu[i]!;
      expect(q.ok ? 'ok' : q.error, r.c.name).toBe('ok');
    });
  });
});

const monitorAdd = (id: string, a: { bus: number; slot: number; function: number }, multi: boolean) =>
  JSON.stringify({ execute: 'device_add', arguments: { driver: 'virtio-rng-pci', id, bus: a.bus === 0 ? 'pcie.0' : `pci.${a.bus}`, addr: `${a.slot}.${a.function}`, ...(multi ? { multifunction: 'on' } : {}) } });

const attachSteps = (r: AttachResult): Step[] => r.devices.map((d) => ({ attach: elementText(d.element, r.quote) }));

describe.runIf(available)('attach --live: hot-plugged into a running guest', () => {
  it('single devices: libvirt hot-plugs each where attach put it (q35 port, i440fx pci.0)', async () => {
    for (const [domain, news] of [
      [A, deviceFile([userNic('52:54:00:00:00:01', 'virtio')])],
      [pcAddressed(3), deviceFile([rng('ua-new')])],
    ] as const) {
      const { result } = await attach(domain, [...news], { live: true });
      const run = runLive(domain, attachSteps(result));
      expect(run.errors).toEqual(result.devices.map(() => ''));
      const live = pciPicture(run.liveXml).placed;
      for (const d of result.devices) expect(live).toContain(`${d.kind} ${formatAddress(d.address!)}`);
    }
  });

  it('a multifunction group: libvirt refuses function 1 (hence the warning); QEMU takes the printed order, not function 0 first', async () => {
    const { result } = await attach(A, deviceFile(rngGroup('g', 2)), { live: true });
    const [f1, f0] = result.devices;
    expect(f1!.address!.function).toBe(1);
    // libvirt: attach-device --live of function 1.
    const viaLibvirt = runLive(A, [{ attach: elementText(f1!.element, result.quote) }]);
    expect(viaLibvirt.errors[0]).toContain('Only PCI device addresses with function=0 are supported');
    // QEMU: the printed order plugs both functions; function 0 first leaves function 1 out.
    const printed = runLive(A, result.devices.map((d, i) => ({ monitor: monitorAdd(`f${i}`, d.address!, d.address!.function === 0) })));
    expect(printed.errors).toEqual(['', '']);
    const reversed = runLive(A, [f0!, f1!].map((d, i) => ({ monitor: monitorAdd(`f${i}`, d.address!, d.address!.function === 0) })));
    expect(reversed.errors[1]).toContain('cannot be exposed to guest');
  });

  it('an 8-function group in the printed order', async () => {
    const { result } = await attach(A, deviceFile(rngGroup('g', 8)), { live: true });
    const run = runLive(A, result.devices.map((d, i) => ({ monitor: monitorAdd(`f${i}`, d.address!, d.address!.function === 0) })));
    expect(run.errors).toEqual(result.devices.map(() => ''));
  });
});
