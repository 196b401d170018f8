/**
 * libvirt 11.3 test cases (tests/qemuxmlconfdata/NAME.xml and NAME.x86_64-latest.xml) that the
 * corpus in ../shared/corpus lacks, for the implicit devices and defaults they exercise. Each input
 * keeps only what decides PCI placement (name, memory, clock and the like are dropped; graphics-spice
 * also drops its TLS port, which libvirt 9.0's test setup refuses and which places nothing), and
 * `expected` is every device of libvirt's expected output that has a PCI address, with it. The
 * greedy parity test (test/alloc/greedy-corpus.test.ts) compares greedy's table with it, the
 * libvirt oracle test (test/oracle/greedy.test.ts) checks real libvirt against the same inputs.
 */
import { domainXml, pciAddr } from '../../testkit/domains.js';

export interface LibvirtCase {
  name: string;
  /** Why the case is here: what libvirt adds or decides in it. */
  what: string;
  input: string;
  expected: string;
}

const pc = (devices: string[]) => domainXml({ machine: 'pc', devices });
const usbPiix3 = `<controller type='usb' index='0' model='piix3-uhci'>\n  ${pciAddr(0, 1, 2)}\n</controller>`;
const ide0 = `<controller type='ide' index='0'>\n  ${pciAddr(0, 1, 1)}\n</controller>`;
const ideDisk = (dev: string) =>
  `<disk type='block' device='disk'>\n  <source dev='/dev/HostVG/${dev}'/>\n  <target dev='hda' bus='ide'/>\n  <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n</disk>`;
const balloon = (address?: string) => (address ? `<memballoon model='virtio'>\n  ${address}\n</memballoon>` : `<memballoon model='virtio'/>`);
const qxl = (address?: string) =>
  `<video>\n  <model type='qxl' ram='65536' vram='32768' vgamem='8192' heads='1'/>${address ? `\n  ${address}` : ''}\n</video>`;

/** Ten SCSI host devices without an address around one written on controller 1 unit 5 (hostdev-scsi-autogen-address). */
const scsiHostdevs = (addressed: boolean) =>
  Array.from({ length: 11 }, (_, i) => {
    // libvirt's output: units 0-6 of controller 0 (its narrow bus), then controller 1 around unit 5.
    const at = i === 9 ? [1, 5] : i < 7 ? [0, i] : [1, [0, 1, 0, 2][i - 7]!];
    const written = addressed || i === 9 ? `\n  <address type='drive' controller='${at[0]}' bus='0' target='0' unit='${at[1]}'/>` : '';
    return `<hostdev mode='subsystem' type='scsi' managed='yes'>\n  <source>\n    <adapter name='scsi_host${i}'/>\n    <address bus='0' target='0' unit='${i}'/>\n  </source>${written}\n</hostdev>`;
  });

export const LIBVIRT_CASES: readonly LibvirtCase[] = [
  {
    name: 'channel-virtio-default',
    what: 'virtio-serial controller 0 for the virtio channels without an address, though controller 1 exists',
    input: pc([
      ideDisk('QEMUGuest1'),
      `<controller type='usb' index='0'/>`,
      `<controller type='ide' index='0'/>`,
      `<controller type='virtio-serial' index='1'>\n  ${pciAddr(0, 0x0a)}\n</controller>`,
      `<controller type='pci' index='0' model='pci-root'/>`,
      `<channel type='pty'>\n  <target type='virtio'/>\n</channel>`,
      `<channel type='spicevmc'>\n  <target type='virtio'/>\n</channel>`,
      `<graphics type='spice'/>`,
      balloon(),
    ]),
    expected: pc([
      usbPiix3,
      ide0,
      `<controller type='virtio-serial' index='0'>\n  ${pciAddr(0, 3)}\n</controller>`,
      `<controller type='virtio-serial' index='1'>\n  ${pciAddr(0, 0x0a)}\n</controller>`,
      `<controller type='pci' index='0' model='pci-root'/>`,
      `<video>\n  <model type='cirrus' vram='16384' heads='1' primary='yes'/>\n  ${pciAddr(0, 2)}\n</video>`,
      balloon(pciAddr(0, 4)),
    ]),
  },
  {
    name: 'disk-startuppolicy-optional-drop',
    what: 'the SCSI controller (default model) for a disk whose bus comes from its target name sda',
    input: pc([
      `<disk type='volume' device='disk'>\n  <source pool='inactive' volume='inactive' startupPolicy='optional'/>\n  <target dev='sda'/>\n</disk>`,
      `<memballoon model='none'/>`,
    ]),
    expected: pc([usbPiix3, `<controller type='pci' index='0' model='pci-root'/>`, `<controller type='scsi' index='0' model='lsilogic'>\n  ${pciAddr(0, 2)}\n</controller>`]),
  },
  {
    name: 'hostdev-scsi-autogen-address',
    what: 'SCSI controller 1, of controller 0\'s model, for the SCSI host devices that do not fit on controller 0',
    input: pc([
      ideDisk('QEMUGuest2'),
      `<controller type='scsi' index='0' model='virtio-scsi'/>`,
      `<controller type='usb' index='0'/>`,
      `<controller type='ide' index='0'/>`,
      `<controller type='pci' index='0' model='pci-root'/>`,
      ...scsiHostdevs(false),
      balloon(),
    ]),
    expected: pc([
      `<controller type='scsi' index='0' model='virtio-scsi'>\n  ${pciAddr(0, 2)}\n</controller>`,
      `<controller type='scsi' index='1' model='virtio-scsi'>\n  ${pciAddr(0, 3)}\n</controller>`,
      usbPiix3,
      ide0,
      `<controller type='pci' index='0' model='pci-root'/>`,
      ...scsiHostdevs(true),
      balloon(pciAddr(0, 4)),
    ]),
  },
  {
    name: 'graphics-spice',
    what: "the primary video at pc's preferred slot 00:02.0, the second after the memballoon",
    input: pc([
      `<controller type='usb' index='0'/>`,
      `<controller type='ide' index='0'/>`,
      `<controller type='pci' index='0' model='pci-root'/>`,
      `<graphics type='spice' port='5903' autoport='no' listen='127.0.0.1'>\n  <listen type='address' address='127.0.0.1'/>\n</graphics>`,
      qxl(),
      qxl(),
      balloon(),
    ]),
    expected: pc([usbPiix3, ide0, `<controller type='pci' index='0' model='pci-root'/>`, qxl(pciAddr(0, 2)), qxl(pciAddr(0, 4)), balloon(pciAddr(0, 3))]),
  },
  {
    name: 'pc-i440fx-acpi-root-hotplug-disable',
    what: "a pci-root written hotplug='off' still takes the memballoon: no pci-bridge (libvirt's input writes the addresses its output has; here they are left to assign)",
    input: pc([`<controller type='pci' index='0' model='pci-root'>\n  <target hotplug='off'/>\n</controller>`, `<controller type='usb' index='0' model='piix3-uhci'/>`, balloon()]),
    expected: pc([`<controller type='pci' index='0' model='pci-root'>\n  <target hotplug='off'/>\n</controller>`, usbPiix3, balloon(pciAddr(0, 2))]),
  },
];
