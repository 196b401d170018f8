// A VirtualMachineInstance as the sidecar-shim passes it to onDefineDomain (--vmi): the
// object KubeVirt stores, with the hook sidecar annotation and the pciplan annotations given.
export function kubevirtVmi(annotations: Record<string, string>): object {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: 'vmi-fedora',
      namespace: 'default',
      uid: '0f2b1c7e-8f0e-4c52-a6a4-3d1e6b9c2a10',
      annotations: {
        'hooks.kubevirt.io/hookSidecars': '[{"args": ["--version", "v1alpha3"], "image": "registry.example/pciplan-hook:latest"}]',
        ...annotations,
      },
    },
    spec: {
      domain: {
        devices: {
          disks: [
            { name: 'containerdisk', disk: { bus: 'virtio' } },
            { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
          ],
          interfaces: [{ name: 'default', masquerade: {} }],
          rng: {},
        },
        machine: { type: 'q35' },
        resources: { requests: { memory: '2Gi' } },
      },
      networks: [{ name: 'default', pod: {} }],
      volumes: [
        { name: 'containerdisk', containerDisk: { image: 'quay.io/containerdisks/fedora:latest' } },
        { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config\n' } },
      ],
    },
  };
}
