// Seeded random domains for property tests and benchmarks.
import type { Policy } from '../../src/model/schemas.js';
import { domainXml } from '../../testkit/domains.js';
import { mulberry32 } from './prng.js';

/** `maxDevices` caps the device count (1..maxDevices, default 24) for suites that solve a domain many times. */
export function randomDomain(seed: number, withHints: boolean, maxDevices = 24): { xml: string; policy: Policy } {
  const r = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const machine = pick(['q35', 'q35', 'pc', 'virt'] as const);
  const arch = machine === 'virt' ? 'aarch64' : 'x86_64';
  const numa = withHints && machine !== 'virt' && r() < 0.4 ? 1 + Math.floor(r() * 3) : 0;
  const n = 1 + Math.floor(r() * maxDevices);
  const devices: string[] = [];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const hints: string[] = [];
    if (withHints && r() < 0.35) hints.push(`hotplug='${r() < 0.5 ? 'yes' : 'no'}'`);
    if (withHints && numa && r() < 0.3) hints.push(`numa='${Math.floor(r() * numa)}'`);
    if (withHints && r() < 0.15) {
      const g = groups.length && r() < 0.6 ? pick(groups) : `g${groups.push(`g${groups.length}`) - 1}`;
      hints.push(`group='${g}'`);
    }
    const h = hints.length ? `\n  <addressPreferences ${hints.join(' ')}/>` : '';
    const kind = pick(['disk', 'disk', 'nic', 'legacy', 'rng']);
    const name = `vd${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`;
    if (kind === 'disk') devices.push(`<disk type='file' device='disk'>\n  <source file='/var/lib/${name}.img'/>\n  <target dev='${name}' bus='virtio'/>${h}\n</disk>`);
    else if (kind === 'nic') devices.push(`<interface type='user'>\n  <mac address='52:54:00:00:01:${i.toString(16).padStart(2, '0')}'/>\n  <model type='${pick(['virtio', 'e1000e'])}'/>${h}\n</interface>`);
    else if (kind === 'legacy' && arch === 'x86_64') devices.push(`<interface type='user'>\n  <mac address='52:54:00:00:02:${i.toString(16).padStart(2, '0')}'/>\n  <model type='${pick(['e1000', 'rtl8139'])}'/>${h}\n</interface>`);
    else devices.push(`<rng model='virtio'>\n  <backend model='random'>/dev/urandom</backend>${h}\n</rng>`);
  }
  if (r() < 0.5) devices.push("<memballoon model='none'/>");
  const policy: Policy = {};
  if (withHints && r() < 0.3) policy.sparePciePorts = Math.floor(r() * 3);
  if (withHints && r() < 0.2) policy.hotplug = r() < 0.5 ? 'yes' : 'no';
  if (withHints && r() < 0.2) policy.packFunctions = true;
  return { xml: domainXml({ machine, arch, devices, numa }), policy };
}

