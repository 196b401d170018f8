// What the validator reports. Each problem names the rule it breaks, so that tests and users can
// tell rules apart, and the device (with its line) it is about.
import type { Device } from '../model/types.js';

export const RULES = {
  'address-syntax': 'address parts within range (domain 0, bus <= 0xFF, slot <= 0x1F, function <= 7)',
  'address-type': 'devices that take only a PCI address, or none',
  'bus-missing': 'an address names a bus some controller provides',
  'connect-type': "a bus accepts the device's connect type",
  integrated: 'integrated devices sit on bus 0',
  'slot-range': "a slot within the bus's slot range",
  'reserved-slot': 'chipset functions are not taken by other devices',
  'chipset-address': 'chipset devices at their fixed addresses',
  'duplicate-address': 'one device per function',
  'function-zero': 'a slot with functions > 0 has function 0',
  multifunction: "function 0 of a multi-function slot is multifunction='on'",
  'controller-index': 'controller indexes unique, 0 for the root, 1-255 for the others',
  'root-model': 'the root controller matches the machine',
  'root-address': 'root controllers take no address',
  'controller-machine': 'controller models the machine supports',
  'controller-option': 'controller <target> options the model takes, in range',
  'bridge-index': 'a pci-bridge has a higher index than the bus it plugs into',
  'numa-node': 'NUMA nodes named by controllers exist in <cpu><numa>',
  chassis: 'pcie ports have distinct chassis numbers (QEMU: chassis/slot pairs are unique)',
  'bus-numbers': 'the PCI tree fits in 256 guest bus numbers, expander ranges hold their subtrees',
  'index-gap': 'controller indexes have no gaps',
  'hostdev-duplicate': 'a host device is passed through once',
  'hint-hotplug': 'hotplug hints honoured',
  'hint-numa': 'NUMA hints honoured',
  'hint-bus': 'bus type hints honoured',
  'hint-group': 'multifunction groups share one slot, function 0 first',
  'policy-spares': 'the spare hot-pluggable ports and slots the policy asks for',
  'hint-waived': 'a hint or spare a greedy layout does not honour, recorded as waived in the file (a warning)',
  unassigned: 'devices that still need an address',
} as const;
export type RuleId = keyof typeof RULES;

export interface Problem {
  severity: 'error' | 'warning' | 'note';
  rule: RuleId;
  /** The device's name (kind[...]); absent for problems about the domain as a whole. */
  device?: string;
  line?: number;
  message: string;
  /** On a hint-waived warning: the rule the layout breaks (waived in the file). */
  waives?: RuleId;
}

export function problem(severity: Problem['severity'], rule: RuleId, device: Device | undefined, message: string): Problem {
  return {
    severity,
    rule,
    ...(device ? { device: device.id } : {}),
    ...(device?.line ? { line: device.line } : {}),
    message,
  };
}

export const error = (rule: RuleId, device: Device | undefined, message: string) => problem('error', rule, device, message);
export const warning = (rule: RuleId, device: Device | undefined, message: string) => problem('warning', rule, device, message);
