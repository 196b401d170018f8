// attach in the library: where new devices go, live and cold, with the expected results worked out
// by hand from each domain (stated next to each case), and the invariant that no existing device
// moves checked independently of the library's own assertion.
import { describe, expect, it } from 'vitest';
import { readDeviceFile, plugOrder } from '../../src/attach.js';
import { PciplanError } from '../../src/errors.js';
import { buildTopology, busHotpluggable } from '../../src/model/topology.js';
import { formatAddress } from '../../src/model/types.js';
import { addressesOf, attach, deviceFile, mergedDomain, pcAddressed, q35Addressed, rng, rngGroup, userNic } from './scenarios.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { writeXml } from '../../src/xml/writeXml.js';

const addr = (a?: { bus: number; slot: number; function: number }) => (a ? formatAddress({ domain: 0, ...a }) : '-');

/** The invariant, checked from the merged XML: the original devices keep every address. */
function expectNothingMoved(original: string, merged: string): void {
  const before = addressesOf(original);
  expect(addressesOf(merged).slice(0, before.length)).toEqual(before);
}

async function failure(p: Promise<unknown>): Promise<PciplanError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PciplanError) return e;
    throw e;
  }
  throw new Error('expected a PciplanError');
}

// Domain A: ports 1-4 hold devices, port 5 is empty and hot-pluggable, port 6 empty with
// hotplug='off'; pcie.0 slots 02-07 hold the ports, 1f the chipset: 31 - 1 - 6 = 24 slots free.
const A = q35Addressed(4, 1, 1);
// Domain B, full: ports 1-4 hold devices, port 5 is empty with hotplug='off', no hot-pluggable port left.
const B = q35Addressed(4, 0, 1);

describe('attach --live', () => {
  it('puts a 2-function group in the one empty hot-pluggable port, function 0 plugged last', async () => {
    const { result, merged } = await attach(A, deviceFile(rngGroup('g', 2)), { live: true });
    // Port 5 is the only empty hot-pluggable place (port 6 is hotplug='off', pcie.0 is not hot-pluggable).
    expect(result.devices.map((d) => `${d.plugOrder} ${d.id} ${addr(d.address)}`)).toEqual(['1 rng[ua-g-f1] 0000:05:00.1', '2 rng[ua-g-f0] 0000:05:00.0']);
    expect(result.addedControllers).toEqual([]);
    expect(result.devices[1]!.address!.multifunction).toBe('on');
    expect(result.warnings.join('\n')).toMatch(/function=0 are supported.*device_add/);
    expectNothingMoved(A, merged);
  });

  it('puts an 8-function group in one empty hot-pluggable slot: functions 1-7, then 0', async () => {
    const { result, merged } = await attach(A, deviceFile(rngGroup('g', 8)), { live: true });
    expect(result.devices.map((d) => addr(d.address))).toEqual([1, 2, 3, 4, 5, 6, 7, 0].map((f) => `0000:05:00.${f}`));
    expect(result.devices.map((d) => d.plugOrder)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expectNothingMoved(A, merged);
  });

  it('uses only hot-pluggable places: one device fits, a second one does not, and the message says why', async () => {
    const one = await attach(A, deviceFile([userNic('52:54:00:00:00:01', 'virtio')]), { live: true });
    expect(one.result.devices.map((d) => addr(d.address))).toEqual(['0000:05:00.0']);
    const e = await failure(attach(A, [...deviceFile([userNic('52:54:00:00:00:01', 'virtio')], 'a.xml'), ...deviceFile([rng('ua-new')], 'b.xml')], { live: true }));
    expect(e.kind).toBe('invalid');
    expect(e.message).toContain('no layout exists');
    expect(e.message).toContain("1 empty hot-pluggable PCIe port and 0 free hot-pluggable PCI slots left, 1 empty port has hotplug='off', 24 free slots of pcie.0 (not hot-pluggable); --live forbids adding controllers");
  });

  it('fails on a full topology, naming the hotplug-off port', async () => {
    const e = await failure(attach(B, deviceFile(rngGroup('g', 2)), { live: true }));
    expect(e.message).toMatch(/0 empty hot-pluggable PCIe ports .* 1 empty port has hotplug='off'/);
  });

  it("refuses a device with hotplug='no', naming it and the rule", async () => {
    const e = await failure(attach(A, deviceFile([rng('ua-fixed', undefined, "<addressPreferences hotplug='no'/>")], 'fixed.xml'), { live: true }));
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(/^fixed\.xml:1: rng\[ua-fixed\] has hotplug='no' and cannot be attached with --live.*\[live-hotplug\]$/);
  });

  it('refuses a PCI controller', async () => {
    const e = await failure(attach(A, deviceFile(["<controller type='pci' index='9' model='pcie-root-port'/>"]), { live: true }));
    expect(e.message).toContain('[live-controller]');
  });

  it('uses a free pci.0 slot on i440fx, where the root bus is hot-pluggable', async () => {
    const pc = pcAddressed(3);
    const { result, merged } = await attach(pc, deviceFile([rng('ua-new')]), { live: true });
    // pci.0: slot 1 the chipset, 3-5 the rngs: slot 2 is the first free one.
    expect(result.devices.map((d) => addr(d.address))).toEqual(['0000:00:02.0']);
    expectNothingMoved(pc, merged);
    // Without ACPI, QEMU has no hotplug on pci.0 (real QEMU: "Bus 'pci.0' does not support hotplugging").
    const e = await failure(attach(pc.replace(/<features>[\s\S]*?<\/features>\n\s*/, ''), deviceFile([rng('ua-new')]), { live: true }));
    expect(e.message).toContain('hot-plugs through ACPI only');
  });
});

describe('attach (cold)', () => {
  it('adds the fewest controllers: 2 PCIe devices with 1 free port need 1 new root port', async () => {
    const news = [...deviceFile([rng('ua-a')], 'a.xml'), ...deviceFile([userNic('52:54:00:00:00:02', 'virtio')], 'b.xml')];
    const { result, merged } = await attach(A, news);
    expect(result.addedControllers.map((c) => c.element.attrs.find(([n]) => n === 'model')?.[1])).toEqual(['pcie-root-port']);
    const buses = result.devices.map((d) => d.address!.bus).sort();
    expect(buses).toEqual([5, 7]);
    expect(result.proven).toBe(true);
    expectNothingMoved(A, merged);
  });

  it('full topology: 3 PCIe devices need 3 root ports (one hot-pluggable device per port)', async () => {
    const news = [rng('ua-a'), rng('ua-b'), rng('ua-c')].flatMap((x, i) => deviceFile([x], `${i}.xml`));
    const { result, merged } = await attach(B, news);
    expect(result.addedControllers.length).toBe(3);
    expect(new Set(result.devices.map((d) => d.address!.bus)).size).toBe(3);
    // Parents first: every added controller plugs into pcie.0 or one added before it.
    const seen = new Set([0]);
    for (const c of result.addedControllers) {
      expect(seen.has(c.address!.bus)).toBe(true);
      seen.add(Number(c.element.attrs.find(([n]) => n === 'index')![1]));
    }
    expectNothingMoved(B, merged);
  });

  it('full topology: a 2-function and an 8-function group need one root port each', async () => {
    const news = [...deviceFile(rngGroup('two', 2), 'two.xml'), ...deviceFile(rngGroup('eight', 8), 'eight.xml')];
    const { result, merged } = await attach(B, news);
    expect(result.addedControllers.length).toBe(2);
    const slots = new Map<string, number[]>();
    for (const d of result.devices) slots.set(`${d.address!.bus}:${d.address!.slot}`, [...(slots.get(`${d.address!.bus}:${d.address!.slot}`) ?? []), d.address!.function]);
    expect([...slots.values()].map((f) => f.join(','))).toEqual(['1,0', '1,2,3,4,5,6,7,0']);
    expectNothingMoved(B, merged);
  });

  it('full topology: 3 conventional PCI NICs need one pcie-to-pci-bridge, in the empty hotplug-off port', async () => {
    // The bridge's own slots are hot-pluggable (SHPC) whatever the port above it says, so the
    // hotplug='off' port 5 can hold it: 1 controller, where a fresh port would make 2.
    const news = [1, 2, 3].flatMap((i) => deviceFile([userNic(`52:54:00:00:01:0${i}`, 'e1000')], `${i}.xml`));
    const { result, merged } = await attach(B, news);
    expect(result.addedControllers.map((c) => `${c.id} ${addr(c.address)}`)).toEqual(['controller[pci 6] 0000:05:00.0']);
    expect(result.devices.map((d) => addr(d.address))).toEqual(['0000:06:01.0', '0000:06:02.0', '0000:06:03.0']);
    expectNothingMoved(B, merged);
  });

  it("places hotplug='no' where the guest cannot eject it, adding nothing", async () => {
    const { result, merged } = await attach(B, deviceFile([rng('ua-fixed', undefined, "<addressPreferences hotplug='no'/>")]));
    expect(result.addedControllers).toEqual([]);
    const topo = buildTopology(mergedDomain(merged));
    expect(busHotpluggable(topo.buses.get(result.devices[0]!.address!.bus)!)).toBe(false);
    // The hint is for pciplan: the element to attach carries no <addressPreferences>.
    expect(JSON.stringify(result.devices[0]!.element)).not.toContain('addressPreferences');
    expectNothingMoved(B, merged);
  });

  it('keeps an address the new device already has', async () => {
    const { result } = await attach(A, deviceFile([rng('ua-given', "<address type='pci' domain='0x0000' bus='0x00' slot='0x10' function='0x0'/>")]));
    expect(addr(result.devices[0]!.address)).toBe('0000:00:10.0');
  });

  it('is deterministic', async () => {
    const a = await attach(B, deviceFile(rngGroup('g', 3)));
    const b = await attach(B, deviceFile(rngGroup('g', 3)));
    expect(a.merged).toBe(b.merged);
  });
});

describe('attach into a layout that breaks its own hints', () => {
  it('ignores the hints of placed devices: a new group may reuse a group name, nothing moves', async () => {
    // The workstation as libvirt's greedy lays it out: its GPU group 'gpu' split over two ports,
    // its hotplug='no' devices on hot-pluggable ports. Those hints no longer decide anything.
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO } = await import('../helpers/corpus.js');
    const { assignDomain } = await import('../../src/assign.js');
    const greedy = await assignDomain(parseDomain(readFileSync(join(REPO, 'fixtures', 'q35-workstation.xml'), 'utf8'), 'ws.xml'), { strategy: 'greedy', policy: {} });
    const domain = writeXml(greedy.doc);
    const { result, merged } = await attach(domain, deviceFile(rngGroup('gpu', 2)));
    expect(result.devices.map((d) => formatAddress(d.address!))).toEqual([expect.stringMatching(/:00\.1$/), expect.stringMatching(/:00\.0$/)]);
    expect(new Set(result.devices.map((d) => formatAddress(d.address!).slice(0, -2))).size).toBe(1);
    expect(addressesOf(merged).slice(0, addressesOf(domain).length)).toEqual(addressesOf(domain));
  });
});

describe('attach input', () => {
  it('refuses a domain with a device still to be placed', async () => {
    const e = await failure(attach(A.replace("<alias name='ua-rng1'/>\n      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>", "<alias name='ua-rng1'/>"), deviceFile([rng('ua-x')])));
    expect(e.kind).toBe('input');
    expect(e.message).toMatch(/rng\[ua-rng1\] has no PCI address: attach needs a domain whose devices all have addresses \(run pciplan assign first/);
  });

  it('reads one element or a <devices> wrapper, and refuses anything else', () => {
    expect(readDeviceFile(rng('x'), 'one.xml').length).toBe(1);
    expect(readDeviceFile(`<devices>${rng('x')}${rng('y')}</devices>`, 'two.xml').length).toBe(2);
    expect(() => readDeviceFile('<domain/>', 'd.xml')).toThrow(/d\.xml:1: <domain> is not a device element/);
    expect(() => readDeviceFile('<devices/>', 'e.xml')).toThrow(/holds no device element/);
  });

  it('orders a slot function 0 last, other devices as given', () => {
    const at = (bus: number, fn: number) => ({ address: { domain: 0, bus, slot: 0, function: fn }, n: `${bus}.${fn}` });
    expect(plugOrder([at(1, 0), at(2, 0), at(1, 1), at(1, 2)]).map((x) => x.n)).toEqual(['1.1', '1.2', '1.0', '2.0']);
  });
});
