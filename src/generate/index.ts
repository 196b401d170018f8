// `pciplan generate` as a library: options in, one reproducible domain XML out. Pure: the same
// options give byte-identical XML. The domain's name and description carry the family, machine,
// size and seed, so a domain found in a log can be generated again.
import type { Policy } from '../model/schemas.js';
import { DeviceMaker } from './devices.js';
import { FAMILY_BUILDERS } from './families.js';
import { exceeds, type Exceeds } from './limits.js';
import { checkOptions, defaultNumaNodes, machineSpec, type Family, type MachineName } from './options.js';
import { mix, Rng } from './prng.js';
import { renderDomain } from './render.js';

export { FAMILIES, MACHINES, GenerateOptionsSchema, type Family, type GenerateOptions, type MachineName } from './options.js';
export type { Exceeds } from './limits.js';

export interface GeneratedDomain {
  xml: string;
  name: string;
  /** Device elements written in <devices> (the emulator not counted). */
  devices: number;
  family: Family;
  machine: MachineName;
  seed: number;
  /** NUMA cells in <cpu><numa> (0: none). */
  numa: number;
  /** The policy the family is meant to be planned with (`assign` flags; also in <description>). */
  policy: Policy;
  /** Set when counting alone proves that no PCI layout can hold the domain. */
  expect?: Exceeds;
}

/** Salt per family, so that one seed gives unrelated streams to different families and machines. */
const salt = (s: string) => [...s].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 7);

function policyFlags(p: Policy): string {
  const flags = [
    ...(p.sparePciePorts !== undefined ? [`--spare-pcie-ports ${p.sparePciePorts}`] : []),
    ...(p.sparePciSlots !== undefined ? [`--spare-pci-slots ${p.sparePciSlots}`] : []),
  ];
  return flags.length ? `; plan it with ${flags.join(' ')}` : '';
}

/** Options as `checkOptions` accepts them (numbers, not strings); throws a PciplanError('input') when they are bad. */
export function generateDomain(raw: unknown): GeneratedDomain {
  const opts = checkOptions(raw);
  const { family, machine, seed, devices: n } = opts;
  const numa = family === 'numa' ? (opts.numa ?? defaultNumaNodes(n)) : 0;
  const name = `gen-${family}-${machine}-${n}-s${seed}`;
  const rng = new Rng(mix(seed, salt(`${family}/${machine}`)));
  const built = FAMILY_BUILDERS[family]({ rng, machine, spec: machineSpec(machine), n, numa, make: new DeviceMaker(name), });
  const command = `pciplan generate --machine ${machine} --family ${family} --devices ${n} --seed ${seed}${opts.numa !== undefined ? ` --numa ${opts.numa}` : ''}`;
  const { xml, parsed } = renderDomain(
    { name, machine, description: `${command}${policyFlags(built.policy)}`, vcpus: built.vcpus, memoryMiB: built.memoryMiB, numa },
    built.devices,
  );
  const proof = exceeds(parsed.domain);
  return { xml, name, devices: built.devices.length, family, machine, seed, numa, policy: built.policy, ...(proof ? { expect: proof } : {}) };
}
