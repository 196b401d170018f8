// Device elements of generated domains, written the way libvirt and management tools write them:
// unique disk names, MACs and host addresses, the vfio driver named on passed-through devices (a
// host without VFIO gives libvirt no default backend), no PCI address unless a family pins one.
/** Hint attributes in pciplan's <addressPreferences> form. */
export interface HintAttrs {
  hotplug?: 'yes' | 'no';
  bus?: 'pci' | 'pcie';
  numa?: number;
  group?: string;
}

export interface PinnedAddress {
  bus: number;
  slot: number;
  function?: number;
}

export interface GenDevice {
  /** Element name (disk, interface, hostdev, controller ...). */
  kind: string;
  /** Opening tag without '<' and '>'. */
  open: string;
  children: string[];
  hints?: HintAttrs;
  address?: PinnedAddress;
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/** libvirt's disk naming: 0 -> a, 25 -> z, 26 -> aa. */
export function diskName(prefix: string, i: number): string {
  let s = '';
  for (let n = i; n >= 0; n = Math.floor(n / 26) - 1) s = String.fromCharCode(97 + (n % 26)) + s;
  return prefix + s;
}

export function pciAddressXml(a: PinnedAddress): string {
  return `<address type='pci' domain='0x0000' bus='${hex(a.bus, 2)}' slot='${hex(a.slot, 2)}' function='${hex(a.function ?? 0, 1)}'/>`;
}

function hintsXml(h: HintAttrs): string | undefined {
  const attrs: string[] = [];
  if (h.hotplug) attrs.push(`hotplug='${h.hotplug}'`);
  if (h.bus) attrs.push(`bus='${h.bus}'`);
  if (h.numa !== undefined) attrs.push(`numa='${h.numa}'`);
  if (h.group) attrs.push(`group='${h.group}'`);
  return attrs.length ? `<addressPreferences ${attrs.join(' ')}/>` : undefined;
}

/** The element's lines, indented by two spaces per level from column 0. */
export function renderDevice(d: GenDevice): string[] {
  const tag = d.open.split(' ')[0]!;
  const children = [...d.children];
  const hints = d.hints && hintsXml(d.hints);
  if (hints) children.push(hints);
  if (d.address) children.push(pciAddressXml(d.address));
  if (children.length === 0) return [`<${d.open}/>`];
  return [`<${d.open}>`, ...children.map((c) => `  ${c}`), `</${tag}>`];
}

export type NicModel = 'virtio' | 'e1000' | 'e1000e' | 'rtl8139' | 'virtio-transitional';

/** Makes the devices of one domain; counters keep names, MACs and host addresses unique. */
export class DeviceMaker {
  private vd = 0;
  private sd = 0;
  private mac = 0;
  private hostSlot = 0;
  private serials = 0;

  /** `name`: the domain's, the prefix of its image file names. */
  constructor(readonly name: string) {}

  disk(opts: { hints?: HintAttrs; transitional?: boolean; serial?: string } = {}): GenDevice {
    const dev = diskName('vd', this.vd++);
    return {
      kind: 'disk',
      open: `disk type='file' device='disk'${opts.transitional ? " model='virtio-transitional'" : ''}`,
      children: [
        `<driver name='qemu' type='qcow2' cache='none'/>`,
        `<source file='/var/lib/libvirt/images/${this.name}-${dev}.qcow2'/>`,
        `<target dev='${dev}' bus='virtio'/>`,
        ...(opts.serial ? [`<serial>${opts.serial}</serial>`] : []),
      ],
      ...(opts.hints ? { hints: opts.hints } : {}),
    };
  }

  /** The config drive: a read-only ISO on the bus each machine's cloud images boot with. */
  cdrom(bus: 'sata' | 'ide' | 'scsi'): GenDevice {
    const dev = bus === 'ide' ? 'hdd' : diskName('sd', this.sd++);
    return {
      kind: 'disk',
      open: `disk type='file' device='cdrom'`,
      children: [`<driver name='qemu' type='raw'/>`, `<source file='/var/lib/libvirt/images/${this.name}-config.iso'/>`, `<target dev='${dev}' bus='${bus}'/>`, `<readonly/>`],
    };
  }

  nic(model: NicModel, hints?: HintAttrs): GenDevice {
    const m = this.mac++;
    const mac = `52:54:00:${hex((m >> 16) & 0xff, 2).slice(2)}:${hex((m >> 8) & 0xff, 2).slice(2)}:${hex(m & 0xff, 2).slice(2)}`;
    return { kind: 'interface', open: `interface type='user'`, children: [`<mac address='${mac}'/>`, `<model type='${model}'/>`], ...(hints ? { hints } : {}) };
  }

  /**
   * Passed-through PCI functions of one host card (a GPU and its audio function, the ports of a
   * NIC): host addresses this machine does not have, so libvirt takes them for PCI Express.
   */
  hostCard(functions: number, hints: (fn: number) => HintAttrs | undefined = () => undefined): GenDevice[] {
    const k = this.hostSlot++;
    const domain = Math.floor(k / (255 * 32));
    const bus = 1 + (Math.floor(k / 32) % 255);
    const slot = k % 32;
    return Array.from({ length: functions }, (_, fn) => {
      const h = hints(fn);
      return {
        kind: 'hostdev',
        open: `hostdev mode='subsystem' type='pci' managed='yes'`,
        children: [`<driver name='vfio'/>`, `<source>`, `  <address domain='${hex(domain, 4)}' bus='${hex(bus, 2)}' slot='${hex(slot, 2)}' function='${hex(fn, 1)}'/>`, `</source>`],
        ...(h ? { hints: h } : {}),
      };
    });
  }

  /** A mediated device (a vGPU slice), as Nova and KubeVirt attach them. */
  vgpu(uuid: string, hints?: HintAttrs): GenDevice {
    return {
      kind: 'hostdev',
      open: `hostdev mode='subsystem' type='mdev' model='vfio-pci' managed='no'`,
      children: [`<source>`, `  <address uuid='${uuid}'/>`, `</source>`],
      ...(hints ? { hints } : {}),
    };
  }

  controller(type: string, index: number, model?: string, address?: PinnedAddress): GenDevice {
    return { kind: 'controller', open: `controller type='${type}' index='${index}'${model ? ` model='${model}'` : ''}`, children: [], ...(address ? { address } : {}) };
  }

  serialConsole(): GenDevice[] {
    const port = this.serials++;
    return [
      { kind: 'serial', open: `serial type='pty'`, children: [`<target port='${port}'/>`] },
      { kind: 'console', open: `console type='pty'`, children: [`<target type='serial' port='${port}'/>`] },
    ];
  }

  guestAgent(): GenDevice {
    return { kind: 'channel', open: `channel type='unix'`, children: [`<target type='virtio' name='org.qemu.guest_agent.0'/>`] };
  }

  tablet(): GenDevice {
    return { kind: 'input', open: `input type='tablet' bus='usb'`, children: [] };
  }

  graphics(): GenDevice {
    return { kind: 'graphics', open: `graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'`, children: [] };
  }

  video(model: string, hints?: HintAttrs): GenDevice {
    return { kind: 'video', open: 'video', children: [`<model type='${model}'/>`], ...(hints ? { hints } : {}) };
  }

  balloon(): GenDevice {
    return { kind: 'memballoon', open: `memballoon model='virtio'`, children: [`<stats period='10'/>`] };
  }

  rng(): GenDevice {
    return { kind: 'rng', open: `rng model='virtio'`, children: [`<backend model='random'>/dev/urandom</backend>`] };
  }

  watchdog(): GenDevice {
    return { kind: 'watchdog', open: `watchdog model='i6300esb' action='reset'`, children: [] };
  }

  sound(model: 'ich6' | 'ac97'): GenDevice {
    return { kind: 'sound', open: `sound model='${model}'`, children: [] };
  }
}

/** The order libvirt writes device kinds in; generated domains read like `virsh dumpxml`. */
export const KIND_ORDER = [
  'disk', 'controller', 'interface', 'serial', 'console', 'channel', 'input', 'graphics', 'sound', 'video', 'hostdev',
  'watchdog', 'memballoon', 'rng',
];
