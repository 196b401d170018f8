/**
 * "Hard mixed" q35 domains for the optimal allocator's benchmarks: what an admin of a large VM
 * writes when libvirt's greedy pass is not enough. Per 100 devices, about: 70 conventional PCI
 * NICs (e1000/rtl8139; 20% hotplug='no', 25% pinned to one of 4 NUMA nodes), 8 hot-pluggable
 * virtio disks and NICs, 12 virtio devices that must not be ejectable, and 5 two-function groups
 * (GPU + audio), with policy packFunctions (unrelated hotplug='no' endpoints may share a slot).
 * The mix scales to 2,000 devices within the 256 guest bus numbers.
 */
import type { Policy } from '../src/model/schemas.js';
import { domainXml } from './domains.js';
import { mulberry32 } from '../src/generate/prng.js';

const mac = (i: number) => `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const devName = (i: number) => {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(97 + ((n - 1) % 26)) + s;
  return `vd${s}`;
};

export function hardMixed(devices: number, seed: number): { xml: string; policy: Policy; devices: number } {
  const r = mulberry32(seed);
  const hint = (attrs: string[]) => (attrs.length ? `\n  <addressPreferences ${attrs.join(' ')}/>` : '');
  const out: string[] = [];
  let i = 0;
  let hotplugPcie = 0;
  const maxHotplugPcie = 90;
  while (i < devices) {
    const x = r();
    if (x < 0.05 && devices - i >= 2) {
      const g = `gpu${i}`;
      const hp = r() < 0.5 ? 'no' : 'yes';
      if (hp === 'yes' && hotplugPcie >= maxHotplugPcie) continue;
      if (hp === 'yes') hotplugPcie++;
      for (let f = 0; f < 2; f++) {
        out.push(`<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x0000' bus='0x${(0x10 + (i >> 8)).toString(16)}' slot='0x${((i & 255) >> 3).toString(16).padStart(2, '0')}' function='0x${(i & 7).toString(16)}'/>\n  </source>${hint([`hotplug='${hp}'`, `group='${g}'`])}\n</hostdev>`);
        i++;
      }
    } else if (x < 0.13 && hotplugPcie < maxHotplugPcie) {
      hotplugPcie++;
      out.push(`<disk type='file' device='disk'>\n  <source file='/var/lib/libvirt/images/${devName(i)}.qcow2'/>\n  <target dev='${devName(i)}' bus='virtio'/>${hint(r() < 0.3 ? [`numa='${Math.floor(r() * 4)}'`] : [])}\n</disk>`);
      i++;
    } else if (x < 0.25) {
      out.push(`<interface type='user'>\n  <mac address='${mac(i)}'/>\n  <model type='virtio'/>${hint(["hotplug='no'"])}\n</interface>`);
      i++;
    } else {
      const attrs: string[] = [];
      if (r() < 0.2) attrs.push("hotplug='no'");
      if (r() < 0.25) attrs.push(`numa='${Math.floor(r() * 4)}'`);
      out.push(`<interface type='user'>\n  <mac address='${mac(i)}'/>\n  <model type='${r() < 0.7 ? 'e1000' : 'rtl8139'}'/>${hint(attrs)}\n</interface>`);
      i++;
    }
  }
  out.push("<controller type='usb' index='0' model='qemu-xhci'/>", "<memballoon model='virtio'/>");
  return { xml: domainXml({ machine: 'q35', devices: out, numa: 4 }), policy: { packFunctions: true }, devices };
}
