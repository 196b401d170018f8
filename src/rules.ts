// Every rule and requirement pciplan names, in one table: the id a validator problem, a conflict's
// requirement, a tracked assertion of the count model and an attach refusal carry, each with its
// one-line meaning. It sits beside errors.ts, below every other module, so that the validator,
// the encodings, explain, attach and the report all name a rule by the same typed id; a grep for
// an id finds every place that enforces it. docs/rules.md lists the same table for readers
// (test/architecture/registry.test.ts holds the two, and the code, to each other).
//
// The kinds, by who names the id:
//   validator    a problem `validate` reports (`rule` in its JSON; in a conflict, the rule a given
//                address or controller breaks, or a hint refused before placing)
//   requirement  a requirement of a conflict `explain` names (`rule` of a requirement) that a
//                person can lift
//   relaxation   a change a fix proposes that is no requirement of the domain (fixes.ts)
//   solver       a tracked assertion of the count model (encodings/): its SMT name is the id with
//                '_' for '-', with the class or location after it where there is one of each
//   attach       a refusal of `attach --live`, named in brackets at the end of its message and as
//                the error's `rule`
//   placement    a rule several places enforce that has no output of its own: broken in a
//                given layout, the validator reports it as `reportedAs`. Each place that enforces it
//                says so with an `@rule <id>` tag in a comment

export type RuleKind = 'validator' | 'requirement' | 'relaxation' | 'solver' | 'attach' | 'placement';

export interface RuleEntry {
  readonly kinds: readonly RuleKind[];
  readonly meaning: string;
  /** For a placement rule: the validator rule that reports it broken. */
  readonly reportedAs?: string;
}

export const REGISTRY = {
  // The validator's rules, in the order `validate` documents them (src/schema/validate.ts quotes the first).
  'address-syntax': { kinds: ['validator'], meaning: 'address parts within range (domain 0, bus <= 0xFF, slot <= 0x1F, function <= 7)' },
  'address-type': { kinds: ['validator'], meaning: 'devices that take only a PCI address, or none' },
  'bus-missing': { kinds: ['validator'], meaning: 'an address names a bus some controller provides' },
  'connect-type': { kinds: ['validator'], meaning: "a bus accepts the device's connect type" },
  integrated: { kinds: ['validator'], meaning: 'integrated devices sit on bus 0' },
  'slot-range': { kinds: ['validator'], meaning: "a slot within the bus's slot range" },
  'reserved-slot': { kinds: ['validator'], meaning: 'chipset functions are not taken by other devices' },
  'chipset-address': { kinds: ['validator'], meaning: 'chipset devices at their fixed addresses' },
  'duplicate-address': { kinds: ['validator'], meaning: 'one device per function' },
  'function-zero': { kinds: ['validator'], meaning: 'a slot with functions > 0 has function 0' },
  multifunction: { kinds: ['validator'], meaning: "function 0 of a multi-function slot is multifunction='on'" },
  'controller-index': { kinds: ['validator'], meaning: 'controller indexes unique, 0 for the root, 1-255 for the others' },
  'root-model': { kinds: ['validator'], meaning: 'the root controller matches the machine' },
  'root-address': { kinds: ['validator'], meaning: 'root controllers take no address' },
  'controller-machine': { kinds: ['validator'], meaning: 'controller models the machine supports' },
  'controller-option': { kinds: ['validator'], meaning: 'controller <target> options the model takes, in range' },
  'bridge-index': { kinds: ['validator'], meaning: 'a pci-bridge has a higher index than the bus it plugs into' },
  'numa-node': { kinds: ['validator'], meaning: 'NUMA nodes named by controllers exist in <cpu><numa>' },
  chassis: { kinds: ['validator'], meaning: 'pcie ports have distinct chassis numbers (QEMU: chassis/slot pairs are unique)' },
  'bus-numbers': { kinds: ['validator', 'solver'], meaning: 'the PCI tree fits in 256 guest bus numbers, expander ranges hold their subtrees' },
  'index-gap': { kinds: ['validator'], meaning: 'controller indexes have no gaps' },
  'hostdev-duplicate': { kinds: ['validator'], meaning: 'a host device is passed through once' },
  'hint-hotplug': { kinds: ['validator', 'requirement'], meaning: 'hotplug hints honoured' },
  'hint-numa': { kinds: ['validator', 'requirement'], meaning: 'NUMA hints honoured' },
  'hint-bus': { kinds: ['validator'], meaning: 'bus type hints honoured' },
  'hint-group': { kinds: ['validator', 'requirement'], meaning: 'multifunction groups share one slot, function 0 first' },
  'policy-spares': { kinds: ['validator', 'requirement'], meaning: 'the spare hot-pluggable ports and slots the policy asks for' },
  'hint-waived': { kinds: ['validator'], meaning: 'a hint or spare a greedy layout does not honour, recorded as waived in the file (a warning)' },
  unassigned: { kinds: ['validator'], meaning: 'devices that still need an address' },

  // What else a conflict's requirements name.
  place: { kinds: ['requirement'], meaning: 'every device gets a place (left out of the domain: the last resort of a fix)' },
  'default-hotplug': { kinds: ['requirement'], meaning: "as hot-pluggable as libvirt makes a device, or as the policy's hotplug says, where no hint says" },
  'policy-add-controllers': { kinds: ['requirement'], meaning: "only the controller models the policy's addControllers lists are added" },
  address: { kinds: ['requirement'], meaning: 'an address the XML gives stays where it is' },

  // The relaxations a fix proposes.
  'bus-pci': { kinds: ['relaxation'], meaning: "a device that works in either kind of slot placed as conventional PCI (bus='pci')" },
  'root-hotplug-off': { kinds: ['relaxation'], meaning: "i440fx's pci.0 made not hot-pluggable (<target hotplug='off'/>)" },

  // The count model's tracked assertions (bus-numbers above is one too).
  demand: { kinds: ['solver'], meaning: "a class's units all get a place (demand_<class>)" },
  'spare-ports': { kinds: ['solver'], meaning: "the policy's spare hot-pluggable PCIe ports are kept free" },
  'spare-slots': { kinds: ['solver'], meaning: "the policy's spare hot-pluggable PCI slots are kept free" },
  'root-slots': { kinds: ['solver'], meaning: "what goes straight on bus 0 fits bus 0's free slots" },
  'bus-region': { kinds: ['solver'], meaning: "a bus-number range holds the buses numbered in it (bus_region_root below the lowest expander, bus_region_<location> each expander's)" },
  'controller-indexes': { kinds: ['solver'], meaning: 'the controllers added fit the indexes left below 256' },
  'overflow-root-ports': { kinds: ['solver'], meaning: 'existing pcie-root-ports bus 0 has no slot for go on an expander bus' },

  // attach --live's refusals.
  'live-hotplug': { kinds: ['attach'], meaning: 'a live attach goes only where the guest hot-plugs, and not for a device with hotplug=no' },
  'live-controller': { kinds: ['attach'], meaning: 'a live attach adds no controller but a SCSI one (libvirt hot-plugs no other)' },

  // Rules enforced in several places.
  'hotplug-no': {
    kinds: ['placement'],
    meaning: "a device that must not be hot-pluggable (hotplug='no' by hint, policy or libvirt's default) goes only where the guest cannot eject it: pcie.0, a port with hotplug='off', a dmi-to-pci-bridge, pci.0 with hotplug='off'",
    reportedAs: 'hint-hotplug',
  },
} as const satisfies Record<string, RuleEntry>;

export type Registry = typeof REGISTRY;
/** Any registered id. */
export type RegisteredId = keyof Registry;
/** The ids of one kind (an id may be of several). */
export type IdOf<K extends RuleKind> = { [I in RegisteredId]: K extends Registry[I]['kinds'][number] ? I : never }[RegisteredId];

export type ValidatorRule = IdOf<'validator'>;
/** What a conflict's requirement or a fix's lift names: a requirement, a relaxation, or the validator rule a given layout breaks. */
export type RequirementRule = IdOf<'validator' | 'requirement' | 'relaxation'>;
export type SolverRule = IdOf<'solver'>;
export type AttachRule = IdOf<'attach'>;
export type PlacementRule = IdOf<'placement'>;

/** The ids of one kind with their meanings, in the registry's order. */
export function idsOf<K extends RuleKind>(kind: K): { readonly [I in IdOf<K>]: string } {
  const out: Record<string, string> = {};
  for (const [id, e] of Object.entries(REGISTRY) as [RegisteredId, RuleEntry][]) if (e.kinds.includes(kind)) out[id] = e.meaning;
  return out as { readonly [I in IdOf<K>]: string };
}

/** A tracked assertion's SMT name: the id with '_' for '-' (SMT-LIB symbols), then its part. */
export function smtName(rule: SolverRule, part?: string | number): string {
  return `${rule.replaceAll('-', '_')}${part === undefined ? '' : `_${part}`}`;
}
