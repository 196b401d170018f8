// A family's devices -> domain XML text. The devices are written with <addressPreferences>, then
// the document goes through pciplan's own writer, which moves the hints into pciplan's metadata
// namespace: the same form `assign` writes, which `virsh define --validate` accepts and pciplan
// reads back with the same device names.
import { applyLayout } from '../model/applyLayout.js';
import { parseDomain, type ParsedDomain } from '../model/parseDomain.js';
import { writeXml } from '../xml/writeXml.js';
import { KIND_ORDER, renderDevice, type GenDevice } from './devices.js';
import { ARCH, type MachineName } from './options.js';

export interface Skeleton {
  name: string;
  machine: MachineName;
  description: string;
  vcpus: number;
  memoryMiB: number;
  /** NUMA cells (0 = none): vCPUs and memory are split evenly over them. */
  numa: number;
}

const EMULATOR: Record<MachineName, string> = { q35: '/usr/bin/qemu-system-x86_64', pc: '/usr/bin/qemu-system-x86_64', virt: '/usr/bin/qemu-system-aarch64' };

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function cpuLines(s: Skeleton): string[] {
  const cells = Array.from({ length: s.numa }, (_, i) => {
    const per = s.vcpus / s.numa;
    const cpus = per === 1 ? `${i}` : `${i * per}-${i * per + per - 1}`;
    return `    <cell id='${i}' cpus='${cpus}' memory='${(s.memoryMiB / s.numa) * 1024}' unit='KiB'/>`;
  });
  const numa = s.numa ? ['  <numa>', ...cells, '  </numa>'] : [];
  // An aarch64 guest under TCG needs a CPU model QEMU can emulate.
  if (s.machine === 'virt') return [`<cpu mode='custom' match='exact' check='none'>`, `  <model fallback='forbid'>cortex-a57</model>`, ...numa, `</cpu>`];
  return s.numa ? ['<cpu>', ...numa, '</cpu>'] : [];
}

/** The domain with hints still on the devices, in libvirt's order of device kinds. */
function draft(s: Skeleton, devices: GenDevice[]): string {
  const rank = (d: GenDevice) => KIND_ORDER.indexOf(d.kind);
  const ordered = devices.map((d, i) => ({ d, i })).sort((x, y) => rank(x.d) - rank(y.d) || x.i - y.i);
  const lines = [
    `<name>${s.name}</name>`,
    `<description>${escapeText(s.description)}</description>`,
    `<memory unit='KiB'>${s.memoryMiB * 1024}</memory>`,
    `<vcpu placement='static'>${s.vcpus}</vcpu>`,
    `<os>`,
    `  <type arch='${ARCH[s.machine]}' machine='${s.machine}'>hvm</type>`,
    `</os>`,
    ...(s.machine === 'virt' ? [] : ['<features>', '  <acpi/>', '</features>']),
    ...cpuLines(s),
    `<devices>`,
    `  <emulator>${EMULATOR[s.machine]}</emulator>`,
    ...ordered.flatMap(({ d }) => renderDevice(d)).map((l) => `  ${l}`),
    `</devices>`,
  ];
  return [`<domain type='qemu'>`, ...lines.map((l) => `  ${l}`), '</domain>', ''].join('\n');
}

/** The final XML, and the domain as pciplan reads it. */
export function renderDomain(s: Skeleton, devices: GenDevice[]): { xml: string; parsed: ParsedDomain } {
  const first = parseDomain(draft(s, devices), `${s.name}.xml`);
  const xml = writeXml(applyLayout(first.doc, first.domain, { addresses: new Map(), added: [] }));
  return { xml, parsed: parseDomain(xml, `${s.name}.xml`) };
}
