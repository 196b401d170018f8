// Seeded (domain, change) pairs for the --previous suites: a small random domain is planned, then
// changed the way a management layer changes a VM (devices appended, devices removed, spares
// raised, a hint edited), and planned again with the first layout as --previous.
import type { Policy } from '../../src/model/schemas.js';
import { mulberry32 } from '../helpers/prng.js';
import { smallDomain } from './helpers.js';

export type ChangeKind = 'append' | 'remove' | 'spares' | 'hint';

export interface Change {
  kind: ChangeKind;
  xml: string;
  policy: Policy;
  /** What changed, for messages. */
  what: string;
  /** The one device whose requirement changed ('hint'), and its new hotplug requirement. */
  edited?: { id: string; hotplug: boolean };
  /** The device removed ('remove'). */
  removed?: string;
}

const disks = (xml: string) => [...xml.matchAll(/<disk type='file' device='disk'>[\s\S]*?<\/disk>\n?/g)].map((m) => m[0]);

export function changed(seed: number): { base: { xml: string; policy: Policy; pc: boolean }; change: Change } {
  const base = smallDomain(seed);
  const r = mulberry32(seed * 104729 + 3);
  const kinds: ChangeKind[] = ['append', 'remove', 'spares', 'hint'];
  let kind = kinds[seed % 4]!;
  const ds = disks(base.xml);
  const plain = ds.filter((d) => !/group=/.test(d));
  if (kind === 'remove' && ds.length === 0) kind = 'append';
  if (kind === 'hint' && plain.length === 0) kind = 'spares';
  const policy = { ...base.policy };
  switch (kind) {
    case 'append': {
      const n = 1 + Math.floor(r() * 3);
      const add: string[] = [];
      for (let i = 0; i < n; i++) {
        const hint = r() < 0.4 ? `\n      <addressPreferences hotplug='${r() < 0.5 ? 'yes' : 'no'}'/>` : '';
        add.push(
          r() < 0.6
            ? `    <disk type='file' device='disk'>\n      <source file='/var/lib/new${i}.img'/>\n      <target dev='vdz${String.fromCharCode(97 + i)}' bus='virtio'/>${hint}\n    </disk>\n`
            : `    <interface type='user'>\n      <mac address='52:54:00:00:09:0${i}'/>\n      <model type='virtio'/>${hint}\n    </interface>\n`,
        );
      }
      return { base, change: { kind, policy, what: `${n} devices appended`, xml: base.xml.replace('  </devices>', `${add.join('')}  </devices>`) } };
    }
    case 'remove': {
      const victim = ds[Math.floor(r() * ds.length)]!;
      const target = /dev='(\w+)'/.exec(victim)![1]!;
      return { base, change: { kind, policy, what: `disk[${target}] removed`, xml: base.xml.replace(victim, ''), removed: `disk[${target}]` } };
    }
    case 'spares': {
      const k = 1 + Math.floor(r() * 7);
      if (base.pc) policy.sparePciSlots = (policy.sparePciSlots ?? 0) + k;
      else policy.sparePciePorts = (policy.sparePciePorts ?? 0) + k;
      return { base, change: { kind, policy, what: `spares raised by ${k}`, xml: base.xml } };
    }
    case 'hint': {
      const disk = plain[Math.floor(r() * plain.length)]!;
      const target = /dev='(\w+)'/.exec(disk)![1]!;
      const was = /hotplug='(yes|no)'/.exec(disk)?.[1];
      const hotplug = was === 'no' ? 'yes' : was === 'yes' ? 'no' : r() < 0.5 ? 'yes' : 'no';
      const edited = /hotplug='(yes|no)'/.test(disk)
        ? disk.replace(/hotplug='(yes|no)'/, `hotplug='${hotplug}'`)
        : /<addressPreferences /.test(disk)
          ? disk.replace('<addressPreferences ', `<addressPreferences hotplug='${hotplug}' `)
          : disk.replace(/(<target [^>]*\/>)/, `$1\n  <addressPreferences hotplug='${hotplug}'/>`);
      return {
        base,
        change: { kind, policy, what: `disk[${target}] now hotplug='${hotplug}'`, xml: base.xml.replace(disk, edited), edited: { id: `disk[${target}]`, hotplug: hotplug === 'yes' } },
      };
    }
  }
}

/** The KubeVirt scenario's change (fixtures/stable/kubevirt-windows.xml): 4 data disks added. */
export function withFourDisks(xml: string): string {
  const disks = ['c', 'd', 'e', 'f']
    .map((c, i) => `    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n      <source file='/var/run/kubevirt-private/vmi-disks/vol${i}/disk.img'/>\n      <target dev='vd${c}' bus='virtio'/>\n      <alias name='ua-vol${i}'/>\n    </disk>\n`)
    .join('');
  return xml.replace("    <controller type='usb'", `${disks}    <controller type='usb'`);
}
