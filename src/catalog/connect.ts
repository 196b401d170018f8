// Connect types: what a thing is when it plugs into a PCI bus, and what a bus accepts. libvirt
// keeps these as bit flags (domain_addr.h, VIR_PCI_CONNECT_TYPE_*); pciplan keeps the same facts
// as names, and every compatibility question in pciplan goes through `busAccepts` below.

export const CONNECT_TYPES = [
  'pci-device',
  'pcie-device',
  'pcie-root-port',
  'pcie-switch-upstream-port',
  'pcie-switch-downstream-port',
  'dmi-to-pci-bridge',
  'pci-expander-bus',
  'pcie-expander-bus',
  'pci-bridge',
  'pcie-to-pci-bridge',
] as const;
export type ConnectType = (typeof CONNECT_TYPES)[number];

/** How libvirt names a connect type in "It requires a controller that accepts a %s." */
export const CONNECT_TYPE_WORDING: Record<ConnectType, string> = {
  'pci-device': 'standard PCI device',
  'pcie-device': 'PCI Express device',
  'pcie-root-port': 'pcie-root-port',
  'pcie-switch-upstream-port': 'pcie-switch-upstream-port',
  'pcie-switch-downstream-port': 'pcie-switch-downstream-port',
  'dmi-to-pci-bridge': 'dmi-to-pci-bridge',
  'pcie-to-pci-bridge': 'pcie-to-pci-bridge',
  'pci-expander-bus': 'pci-expander-bus',
  'pcie-expander-bus': 'pcie-expander-bus',
  'pci-bridge': 'pci-bridge',
};

/** Endpoint kinds: the bus type of a device as the user and the hints see it. */
export type BusKind = 'pci' | 'pcie';
export const ENDPOINT_CONNECT: Record<BusKind, ConnectType> = { pci: 'pci-device', pcie: 'pcie-device' };

/**
 * Whether a bus whose downstream side accepts `accepts` takes a thing of connect type `what`.
 * `fromConfig` is libvirt's relaxed test for addresses the user wrote (domain_addr.c
 * virDomainPCIAddressFlagsCompatible): a bus taking either endpoint kind takes both, and a
 * pci-bridge counts as a PCI endpoint. The strict form is what an allocator may choose.
 */
export function busAccepts(accepts: readonly ConnectType[], what: ConnectType, fromConfig: boolean): boolean {
  if (accepts.includes(what)) return true;
  if (!fromConfig) return false;
  const takesEndpoints = accepts.includes('pci-device') || accepts.includes('pcie-device');
  if (takesEndpoints && (what === 'pci-device' || what === 'pcie-device' || what === 'pci-bridge')) return true;
  return false;
}
