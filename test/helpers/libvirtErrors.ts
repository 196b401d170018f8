/**
 * What pciplan must say for each case of libvirt's error corpus: the rule and a pattern carrying the
 * same meaning as libvirt's message (validate and explain both answer with it).
 * pcie-root-port-too-many is an allocation case, not validation.
 */
export const EXPECTED_ERRORS: Record<string, { rule: string; message: RegExp }> = {
  'hostdev-pci-duplicate': { rule: 'hostdev-duplicate', message: /hostdev already exists .* 0000:06:12\.5/ },
  'pci-bridge-duplicate-index': { rule: 'controller-index', message: /multiple 'pci' controllers with index '1'/ },
  'pci-bridge-negative-index-invalid': { rule: 'controller-index', message: /'index'.*'-1'. Expected non-negative value/ },
  'pci-bus-invalid': { rule: 'address-syntax', message: /bus='0x100', must be <= 0xFF/ },
  'pci-domain-invalid': { rule: 'address-syntax', message: /bus='0x100', must be <= 0xFF/ },
  'pci-expander-bus-bad-bus': { rule: 'connect-type', message: /0000:01:01\.0 cannot be plugged into the PCI controller with index='1'.*accepts a pci-expander-bus/ },
  'pci-expander-bus-bad-machine': { rule: 'root-model', message: /index='0' must be model='pcie-root'.*model='pci-root' was found/ },
  'pci-expander-bus-bad-node': { rule: 'numa-node', message: /NUMA node \(1\) not present in the domain's <cpu><numa> array \(0\)/ },
  'pci-function-invalid': { rule: 'address-syntax', message: /function=0x8, must be <= 7/ },
  'pci-root-address': { rule: 'root-address', message: /pci-root and pcie-root controllers should not have an address/ },
  'pci-root-nonzero-index': { rule: 'controller-index', message: /pci-root and pcie-root controllers should have index 0/ },
  'pci-slot-invalid': { rule: 'address-syntax', message: /slot='0x20', must be <= 0x1F/ },
  'pcie-expander-bus-bad-bus': { rule: 'connect-type', message: /0000:01:00\.0 cannot be plugged into the PCI controller with index='1'.*accepts a pcie-expander-bus/ },
  'pcie-expander-bus-bad-machine': { rule: 'controller-machine', message: /pcie-expander-bus controllers are not supported with this machine type/ },
  'pvpanic-pci-invalid-address-aarch64': { rule: 'address-type', message: /only 'pci' addresses are supported for panic model 'pvpanic'/ },
  'q35-dmi-bad-address1': { rule: 'controller-index', message: /multiple 'pci' controllers with index '2'/ },
  'q35-dmi-bad-address2': { rule: 'connect-type', message: /0000:01:00\.0 cannot be plugged into the PCI controller with index='1'.*accepts a dmi-to-pci-bridge/ },
  'q35-wrong-root': { rule: 'root-model', message: /index='0' must be model='pcie-root'.*model='pci-root' was found/ },
  'shmem-invalid-address': { rule: 'address-type', message: /only 'pci' addresses are supported for shmem/ },
  'video-ramfb-display-device-pci-address': { rule: 'address-type', message: /address not supported for video ramfb/ },
  'virtio-iommu-invalid-address': { rule: 'integrated', message: /0000:01:00\.0 needs to be an integrated device \(bus=0\)/ },
};
