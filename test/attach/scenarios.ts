// Addressed domains (as virsh dumpxml gives them) and device files for the attach tests. Every
// device is a virtio-rng or a user-mode NIC, so that real libvirt can start the domain and
// hot-plug into it on a machine with no host devices, networks or disk images.
import { attachDevices, mergeAttached, type AttachOptions, type AttachResult, type NewDevice } from '../../src/attach.js';
import { parseDomain, readDomain } from '../../src/model/parseDomain.js';
import { addressOf } from '../../src/model/topology.js';
import { formatAddress } from '../../src/model/types.js';
import { parseXml } from '../../src/xml/parseXml.js';
import { rootElement } from '../../src/xml/tree.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { ctrl, domainXml, pciAddr, rootPort } from '../../testkit/domains.js';

export const rng = (alias: string, address?: string, hints = '') =>
  `<rng model='virtio'>\n  <backend model='random'>/dev/urandom</backend>\n  <alias name='${alias}'/>${hints ? `\n  ${hints}` : ''}${address ? `\n  ${address}` : ''}\n</rng>`;

export const userNic = (mac: string, model: string, address?: string, hints = '') =>
  `<interface type='user'>\n  <mac address='${mac}'/>\n  <model type='${model}'/>${hints ? `\n  ${hints}` : ''}${address ? `\n  ${address}` : ''}\n</interface>`;

/**
 * q35 with `used` root ports holding a virtio-rng each, `freeHp` empty hot-pluggable ports and
 * `freeOff` empty ports with hotplug='off', one port per pcie.0 slot from 00:02.0 on. pcie.0 then
 * has 31 - 1 (00:1f, the chipset) - ports free slots.
 */
export function q35Addressed(used: number, freeHp: number, freeOff: number): string {
  const devices: string[] = [ctrl(0, 'pcie-root')];
  const ports = used + freeHp + freeOff;
  for (let i = 1; i <= ports; i++) {
    const off = i > used + freeHp;
    devices.push(rootPort(i, 1 + i, 0, '', `<target chassis='${i}' port='0x${((1 + i) * 8).toString(16)}'${off ? " hotplug='off'" : ''}/>`));
  }
  devices.push(`<controller type='sata' index='0'>\n  ${pciAddr(0, 0x1f, 2)}\n</controller>`, "<controller type='usb' index='0' model='none'/>");
  for (let i = 1; i <= used; i++) devices.push(rng(`ua-rng${i}`, pciAddr(i, 0)));
  devices.push("<memballoon model='none'/>");
  return domainXml({ devices });
}

/**
 * i440fx with `used` virtio-rngs on pci.0 from slot 3 (slot 1 is the chipset's, 2 left free), and
 * ACPI: pci.0 is hot-pluggable through ACPI only (QEMU without it: "Bus 'pci.0' does not support
 * hotplugging").
 */
export function pcAddressed(used: number): string {
  const devices = [
    "<controller type='pci' index='0' model='pci-root'/>",
    `<controller type='usb' index='0' model='none'/>`,
    `<controller type='ide' index='0'>\n  ${pciAddr(0, 1, 1)}\n</controller>`,
    "<memballoon model='none'/>",
  ];
  for (let i = 0; i < used; i++) devices.push(rng(`ua-rng${i + 1}`, pciAddr(0, 3 + i)));
  return domainXml({ machine: 'pc', devices }).replace('  <devices>', '  <features>\n    <acpi/>\n  </features>\n  <devices>');
}

/** A device file: one element, or several in a <devices> wrapper. */
export function deviceFile(elements: string[], file = 'new.xml'): NewDevice[] {
  const text = elements.length === 1 ? elements[0]! : `<devices>\n${elements.map((e) => e.replace(/^/gm, '  ')).join('\n')}\n</devices>\n`;
  const root = rootElement(parseXml(text, file));
  const els = root.name === 'devices' ? root.children.filter((c) => c.type === 'element') : [root];
  return els.map((element) => ({ element: element as NewDevice['element'], file }));
}

/** A multifunction group of n virtio-rngs, function 0 first in document order. */
export const rngGroup = (name: string, n: number, hints = '') =>
  Array.from({ length: n }, (_, i) => rng(`ua-${name}-f${i}`, undefined, `<addressPreferences group='${name}'${hints ? ` ${hints}` : ''}/>`));

export async function attach(domain: string, news: NewDevice[], opts: Partial<AttachOptions> = {}): Promise<{ result: AttachResult; merged: string }> {
  const parsed = parseDomain(domain, 'domain.xml');
  const result = await attachDevices(parsed, news, { live: false, policy: {}, ...opts });
  return { result, merged: writeXml(mergeAttached(parsed.doc, result)) };
}

/** Every PCI address of the original domain's devices, in document order. */
export function addressesOf(xml: string): string[] {
  const { domain } = parseDomain(xml, 'x.xml');
  return domain.devices.map((d) => `${d.id} ${addressOf(d) ? formatAddress(addressOf(d)!) : '-'}`);
}

/** The merged domain read back: its first devices are the original ones, in order. */
export function mergedDomain(merged: string) {
  const doc = parseXml(merged, 'merged.xml');
  return readDomain(doc, 'merged.xml');
}
