/**
 * Proves the oracle harness works against real libvirt and real QEMU.
 *
 * Without the oracles installed these tests are skipped locally, but in CI
 * (CI=true) a missing oracle is a failure: .ci/run installs them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { defineBatch, domxmlToNative, libvirtAvailable, libvirtUnavailableReason } from '../../src/oracle/libvirt.js';
import { qemuAccepts, qemuAcceptsBatch, qemuAvailable } from './qemu.js';

const available = libvirtAvailable() && qemuAvailable();
const inCI = process.env.CI === 'true';

/** A first call per QEMU binary probes capabilities for ~4 s on a cold root. */
const COLD_MS = 120_000;
const WARM_TEST_MS = 30_000;

type Arch = 'x86_64' | 'aarch64';

function domain(opts: { name: string; machine: string; arch?: Arch; devices: string[] }): string {
  const arch = opts.arch ?? 'x86_64';
  const cpu =
    arch === 'aarch64'
      ? `  <cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>cortex-a57</model>\n  </cpu>\n`
      : '';
  return `<domain type='qemu'>
  <name>${opts.name}</name>
  <memory unit='KiB'>131072</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='${arch}' machine='${opts.machine}'>hvm</type>
  </os>
${cpu}  <devices>
    <emulator>/usr/bin/qemu-system-${arch}</emulator>
    <controller type='usb' index='0' model='none'/>
    <memballoon model='none'/>
${opts.devices.map((d) => `    ${d}`).join('\n')}
  </devices>
</domain>
`;
}

const addr = (bus: number, slot: number, fn = 0, mf?: 'on' | 'off'): string =>
  `<address type='pci' domain='0x0000' bus='${bus}' slot='${slot}' function='${fn}'${mf ? ` multifunction='${mf}'` : ''}/>`;
const disk = (dev: string, address = ''): string =>
  `<disk type='file' device='disk'><source file='/nonexistent/${dev}.img'/><target dev='${dev}' bus='virtio'/>${address}</disk>`;
const rootPort = (index: number, chassis: number, address: string): string =>
  `<controller type='pci' index='${index}' model='pcie-root-port'><target chassis='${chassis}' port='${index + 7}'/>${address}</controller>`;

/** q35 with three virtio disks and no addresses: libvirt must add root ports. */
const q35ThreeDisks = domain({ name: 'three-disks', machine: 'q35', devices: [disk('vda'), disk('vdb'), disk('vdc')] });
/** Two disks at 00:05.0. */
const doubleUse = domain({ name: 'double-use', machine: 'q35', devices: [disk('vda', addr(0, 5)), disk('vdb', addr(0, 5))] });
/** A correct explicit q35 layout: two root ports as one multifunction slot. */
const q35Valid = domain({
  name: 'q35-valid',
  machine: 'q35',
  devices: [rootPort(1, 1, addr(0, 2, 0, 'on')), rootPort(2, 2, addr(0, 2, 1)), disk('vda', addr(1, 0)), disk('vdb', addr(2, 0))],
});
/**
 * libvirt keeps an explicit multifunction='off' even though function 1 of
 * the same slot is used; QEMU refuses to populate function 1 of a slot whose
 * function 0 is a single-function device.
 */
const pcMultifunctionOff = domain({
  name: 'pc-mf-off',
  machine: 'pc',
  devices: [disk('vda', addr(0, 5, 0, 'off')), disk('vdb', addr(0, 5, 1))],
});
/** libvirt does not check root-port chassis numbers; QEMU does. */
const q35DuplicateChassis = domain({
  name: 'q35-dup-chassis',
  machine: 'q35',
  devices: [rootPort(1, 7, addr(0, 2)), rootPort(2, 7, addr(0, 3)), disk('vda', addr(1, 0))],
});
const virtValid = domain({
  name: 'virt-valid',
  machine: 'virt',
  arch: 'aarch64',
  devices: [
    rootPort(1, 1, addr(0, 1, 0, 'on')),
    rootPort(2, 2, addr(0, 1, 1)),
    `<controller type='pci' index='3' model='pcie-to-pci-bridge'>${addr(2, 0)}</controller>`,
    disk('vda', addr(1, 0)),
    `<interface type='user'><model type='e1000'/>${addr(3, 1)}</interface>`,
  ],
});
const virtMultifunctionOff = domain({
  name: 'virt-mf-off',
  machine: 'virt',
  arch: 'aarch64',
  devices: [disk('vda', addr(0, 4, 0, 'off')), disk('vdb', addr(0, 4, 2))],
});
const virtSlotOnRootPort = domain({
  name: 'virt-slot-on-rp',
  machine: 'virt',
  arch: 'aarch64',
  devices: [rootPort(1, 1, addr(0, 1)), disk('vda', addr(1, 3))],
});

describe.runIf(!available && inCI)('oracles in CI', () => {
  it('real libvirt and QEMU are installed (run .ci/run)', () => {
    expect.fail(`oracles missing: ${libvirtUnavailableReason() ?? 'qemu-system-x86_64 / qemu-system-aarch64 not runnable'}`);
  });
});

describe.skipIf(!available)('libvirt oracle', () => {
  beforeAll(async () => {
    // Pays the one-off capability probes (x86_64 and aarch64) outside the timed tests.
    await defineBatch([q35ThreeDisks, virtValid]);
  }, COLD_MS);

  it('defines a q35 domain and adds pcie-root-ports for its virtio disks', async () => {
    const [r] = await defineBatch([q35ThreeDisks]);
    if (!r?.ok) throw new Error(`define failed: ${r?.error}`);
    expect(r.xml).toContain('<name>three-disks</name>');
    const rootPorts = r.xml.match(/model='pcie-root-port'/g) ?? [];
    expect(rootPorts.length).toBeGreaterThanOrEqual(3);
    // Every disk ended up at slot 0 behind a root port.
    const diskAddrs = [...r.xml.matchAll(/<target dev='vd.' bus='virtio'\/>\s*<address type='pci' domain='0x0000' bus='(0x..)' slot='(0x..)'/g)];
    expect(diskAddrs).toHaveLength(3);
    for (const m of diskAddrs) {
      expect(Number(m[1])).toBeGreaterThan(0);
      expect(m[2]).toBe('0x00');
    }
  }, WARM_TEST_MS);

  it('reports libvirt errors per domain and goes on with the batch', async () => {
    const results = await defineBatch([doubleUse, q35Valid, doubleUse, '<domain>', virtValid]);
    expect(results.map((r) => r.ok)).toEqual([false, true, false, false, true]);
    const first = results[0];
    if (first?.ok !== false) throw new Error('expected a failure');
    expect(first.error).toMatch(/Attempted double use of PCI Address 0000:00:05\.0/);
    expect(first.error).not.toContain('\n');
    expect(first.error).not.toMatch(/^error:/);
    const virt = results[4];
    expect(virt?.ok && virt.xml).toContain('<name>virt-valid</name>');
  }, WARM_TEST_MS);

  it('is fast once the capability cache is warm', async () => {
    const t0 = performance.now();
    await defineBatch([q35Valid]);
    const single = performance.now() - t0;
    const batch = Array.from({ length: 20 }, (_, i) => q35ThreeDisks.replace('three-disks', `three-disks-${i}`));
    const t1 = performance.now();
    const rs = await defineBatch(batch);
    const twenty = performance.now() - t1;
    console.log(`libvirt define: 1 domain ${single.toFixed(0)} ms, 20 domains ${twenty.toFixed(0)} ms`);
    expect(rs.every((r) => r.ok)).toBe(true);
    // A thrown-away capability cache costs 4-8 s per call (see docs/architecture.md, Oracles).
    expect(single).toBeLessThan(3000);
  }, WARM_TEST_MS);

  it('returns the QEMU command line libvirt would run', async () => {
    const [ok, bad] = await domxmlToNative([q35Valid, doubleUse]);
    if (!ok?.ok) throw new Error(`domxml-to-native failed: ${ok?.error}`);
    expect(ok.argv[0]).toBe('/usr/bin/qemu-system-x86_64');
    const devices = ok.argv.filter((_, i) => ok.argv[i - 1] === '-device');
    expect(devices.some((d) => d.includes('"driver":"pcie-root-port"') && d.includes('"addr":"0x2"'))).toBe(true);
    expect(bad?.ok).toBe(false);
    expect(bad?.ok === false && bad.error).toMatch(/Attempted double use/);
  }, WARM_TEST_MS);
});

/** NICs at explicit addresses; libvirt's own domxml-to-native would drop them. */
const pcNics = domain({
  name: 'pc-nics',
  machine: 'pc',
  devices: [
    `<interface type='user'><mac address='52:54:00:00:00:01'/><model type='e1000'/>${addr(0, 7, 0, 'on')}</interface>`,
    `<interface type='user'><model type='virtio'/>${addr(0, 7, 3)}</interface>`,
  ],
});
const nicClash = domain({
  name: 'nic-clash',
  machine: 'pc',
  devices: [`<interface type='user'><model type='e1000'/>${addr(0, 6)}</interface>`, disk('vda', addr(0, 6))],
});

describe.skipIf(!available)('QEMU oracle', () => {
  beforeAll(async () => {
    await defineBatch([q35Valid, virtValid]);
  }, COLD_MS);

  it('keeps explicit NIC addresses in the command line', async () => {
    const [n] = await domxmlToNative([pcNics]);
    if (!n?.ok) throw new Error(`domxml-to-native failed: ${n?.error}`);
    const devices = n.argv.filter((_, i) => n.argv[i - 1] === '-device').map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(devices).toContainEqual(expect.objectContaining({ driver: 'e1000', bus: 'pci.0', addr: '0x7', multifunction: true, mac: '52:54:00:00:00:01' }));
    expect(devices).toContainEqual(expect.objectContaining({ driver: 'virtio-net-pci', bus: 'pci.0', addr: '0x7.0x3' }));
    const [accepted, clash] = await qemuAcceptsBatch([pcNics, nicClash]);
    expect(accepted).toEqual({ ok: true });
    expect(clash).toMatchObject({ ok: false, stage: 'libvirt' });
    expect(clash?.ok === false && clash.error).toMatch(/Attempted double use of PCI Address 0000:00:06\.0/);
  }, WARM_TEST_MS);

  it('accepts a valid q35 layout', async () => {
    expect(await qemuAccepts(q35Valid)).toEqual({ ok: true });
  }, WARM_TEST_MS);

  it('rejects at the libvirt stage what libvirt rejects', async () => {
    const r = await qemuAccepts(doubleUse);
    expect(r).toMatchObject({ ok: false, stage: 'libvirt' });
    expect(r.ok === false && r.error).toMatch(/^libvirt: .*Attempted double use/);
  }, WARM_TEST_MS);

  it('rejects layouts that libvirt accepts but QEMU does not', async () => {
    const lv = await defineBatch([pcMultifunctionOff, q35DuplicateChassis]);
    expect(lv.map((r) => r.ok)).toEqual([true, true]);
    const [mf, chassis] = await qemuAcceptsBatch([pcMultifunctionOff, q35DuplicateChassis]);
    expect(mf).toMatchObject({ ok: false, stage: 'qemu' });
    expect(mf?.ok === false && mf.error).toMatch(/single function device can't be populated in function 5\.1/);
    expect(chassis).toMatchObject({ ok: false, stage: 'qemu' });
    expect(chassis?.ok === false && chassis.error).toMatch(/Can't add chassis slot/);
  }, WARM_TEST_MS);

  it('judges aarch64 virt layouts', async () => {
    const [valid, mfOff, slotOnRp] = await qemuAcceptsBatch([virtValid, virtMultifunctionOff, virtSlotOnRootPort]);
    expect(valid).toEqual({ ok: true });
    expect(mfOff).toMatchObject({ ok: false, stage: 'qemu' });
    expect(mfOff?.ok === false && mfOff.error).toMatch(/single function device/);
    // libvirt itself refuses a slot other than 0 behind a root port.
    expect(slotOnRp).toMatchObject({ ok: false, stage: 'libvirt' });
    expect(slotOnRp?.ok === false && slotOnRp.error).toMatch(/slot must be <= 0/);
  }, WARM_TEST_MS);
});
