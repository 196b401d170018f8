// Small domain XML documents for tests, written the way libvirt writes them.
export interface DomainSpec {
  machine?: string;
  arch?: string;
  /** Device XML, one element per string (indentation is added). */
  devices?: string[];
  /** NUMA cell count (cells 0..n-1), with one vcpu each. */
  numa?: number;
  metadata?: string;
}

export function domainXml(spec: DomainSpec = {}): string {
  const arch = spec.arch ?? 'x86_64';
  const machine = spec.machine ?? 'q35';
  const emulator = arch === 'aarch64' ? '/usr/bin/qemu-system-aarch64' : '/usr/bin/qemu-system-x86_64';
  const numa = spec.numa ?? 0;
  const cpu = numa
    ? `  <cpu>\n    <numa>\n${Array.from({ length: numa }, (_, i) => `      <cell id='${i}' cpus='${i}' memory='131072' unit='KiB'/>`).join('\n')}\n    </numa>\n  </cpu>\n`
    : '';
  const devices = (spec.devices ?? []).map((d) => d.replace(/^/gm, '    ')).join('\n');
  return `<domain type='qemu'>
  <name>test</name>
${spec.metadata ? `  <metadata>\n${spec.metadata}\n  </metadata>\n` : ''}  <memory unit='KiB'>${131072 * Math.max(1, numa)}</memory>
  <vcpu placement='static'>${Math.max(1, numa)}</vcpu>
  <os>
    <type arch='${arch}' machine='${machine}'>hvm</type>
  </os>
${cpu}  <devices>
    <emulator>${emulator}</emulator>
${devices}
  </devices>
</domain>
`;
}

export const pciAddr = (bus: number, slot: number, fn = 0, extra = '') =>
  `<address type='pci' domain='0x0000' bus='0x${bus.toString(16).padStart(2, '0')}' slot='0x${slot.toString(16).padStart(2, '0')}' function='0x${fn.toString(16)}'${extra}/>`;

export const ctrl = (index: number, model: string, address?: string, target = '') =>
  `<controller type='pci' index='${index}' model='${model}'>${target ? `\n  ${target}` : ''}${address ? `\n  ${address}` : ''}\n</controller>`;

export const rootPort = (index: number, slot: number, fn: number, extra = '', target?: string) =>
  ctrl(index, 'pcie-root-port', pciAddr(0, slot, fn, extra), target ?? `<target chassis='${index}' port='0x${(slot * 8 + fn).toString(16)}'/>`);

export const disk = (dev: string, address?: string, hints = '') =>
  `<disk type='file' device='disk'>\n  <source file='/var/lib/libvirt/images/${dev}.img'/>\n  <target dev='${dev}' bus='virtio'/>${hints ? `\n  ${hints}` : ''}${address ? `\n  ${address}` : ''}\n</disk>`;

export const nic = (mac: string, model: string, address?: string, hints = '') =>
  `<interface type='user'>\n  <mac address='${mac}'/>\n  <model type='${model}'/>${hints ? `\n  ${hints}` : ''}${address ? `\n  ${address}` : ''}\n</interface>`;
