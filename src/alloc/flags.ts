// What each device needs from a bus, from the catalog: its connect type on this machine and
// whether it is an auto-placed endpoint, integrated, or an aggregating root port.
import { CONTROLLERS } from '../catalog/index.js';
import { endpointKind } from '../model/topology.js';
import type { Device, Domain } from '../model/types.js';
import type { DeviceFlags } from './addressSet.js';

/** undefined: the device takes no PCI address (or is a root bus). */
export function deviceFlags(d: Device, domain: Domain): DeviceFlags | undefined {
  if (d.pci) {
    const spec = CONTROLLERS[d.pci.model];
    if (!spec.connect) return undefined;
    return { connect: spec.connect, autoAssign: false, integrated: false, aggregate: spec.aggregate };
  }
  if (d.cls.addressRule === 'mirror') return undefined;
  // A ccw, drive, unassigned … address is the user's: the device takes no PCI place (as in libvirt).
  if (d.address.type === 'other') return undefined;
  if (d.cls.connect === 'none') {
    // A PCI address on a device that takes none: libvirt keeps it as a conventional PCI device's.
    return d.address.type === 'pci' && d.address.pci ? { connect: 'pci-device', autoAssign: true, integrated: false, aggregate: false } : undefined;
  }
  return {
    connect: endpointKind(d, domain) === 'pcie' ? 'pcie-device' : 'pci-device',
    autoAssign: true,
    integrated: d.cls.integrated,
    aggregate: false,
  };
}
