// What `pciplan generate` takes, checked by one zod schema: the ranges, and the family/machine
// combinations that describe no real situation (refused as bad input, exit 2, with the reason).
import * as z from 'zod/mini';
import { CONTROLLERS, findMachine, type MachineSpec } from '../catalog/index.js';
import { inputError } from '../errors.js';
import { zodMessage } from '../model/schemas.js';

export const FAMILIES = ['hotplug-heavy', 'mixed', 'legacy', 'numa', 'multifunction', 'fragmented', 'cloud'] as const;
export type Family = (typeof FAMILIES)[number];

export const MACHINES = ['q35', 'pc', 'virt'] as const;
export type MachineName = (typeof MACHINES)[number];

/** The guest architecture each machine is generated for. */
export const ARCH: Record<MachineName, string> = { q35: 'x86_64', pc: 'x86_64', virt: 'aarch64' };

/** Past this the XML outgrows what pciplan reads comfortably; the PCI limits are far below it. */
export const MAX_DEVICES = 10_000;
export const MAX_NUMA_NODES = 8;

const whole = (what: string, min: [number, string], max: [number, string]) =>
  z.int({ error: `${what} must be a whole number` }).check(z.minimum(min[0], { error: min[1] }), z.maximum(max[0], { error: max[1] }));

export const GenerateOptionsSchema = z
  .strictObject({
    machine: z.enum(MACHINES, { error: `must be one of ${MACHINES.join(', ')}` }),
    family: z.enum(FAMILIES, { error: `must be one of ${FAMILIES.join(', ')}` }),
    devices: whole('devices', [1, 'must be at least 1'], [MAX_DEVICES, `must be at most ${MAX_DEVICES}`]),
    seed: whole('seed', [0, 'must be 0 or more'], [0xffffffff, 'must fit in 32 bits (at most 4294967295)']),
    numa: z.optional(whole('numa', [1, 'must be at least 1 node'], [MAX_NUMA_NODES, `must be at most ${MAX_NUMA_NODES} nodes`])),
  })
  .check(
    z.superRefine((o, ctx) => {
      const refuse = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message, input: o });
      if (o.numa !== undefined && o.family !== 'numa') refuse('numa', `applies to --family numa only (family '${o.family}' pins nothing to NUMA nodes)`);
      if (o.family === 'mixed' && !canRefuseHotplug(machineSpec(o.machine))) {
        refuse(
          'family',
          `'mixed' needs places where the guest cannot eject a device (hotplug='no'); on machine '${o.machine}' every slot of ${machineSpec(o.machine).root} and its bridges is hot-pluggable (use q35 or virt)`,
        );
      }
      if (o.family === 'multifunction' && o.devices < 2) refuse('devices', "must be at least 2 for family 'multifunction' (a group has 2-8 functions)");
    }),
  );

export type GenerateOptions = z.infer<typeof GenerateOptionsSchema>;

export function machineSpec(machine: MachineName): MachineSpec {
  return findMachine(machine, ARCH[machine])!;
}

/** Whether the machine has a slot the guest cannot hot-unplug from: a root bus without hotplug. */
export function canRefuseHotplug(spec: MachineSpec): boolean {
  return !CONTROLLERS[spec.root].hotpluggable;
}

/** NUMA nodes of a numa-family domain when --numa is not given: 2 for small domains, else 4. */
export function defaultNumaNodes(devices: number): number {
  return devices < 32 ? 2 : 4;
}

/** Checked options, or a one-line input error (exit 2) naming the option. */
export function checkOptions(raw: unknown): GenerateOptions {
  const parsed = GenerateOptionsSchema.safeParse(raw);
  // Options are named as the command line spells them.
  if (!parsed.success) throw inputError(undefined, `generate: ${parsed.error.issues[0]?.path.length ? '--' : ''}${zodMessage(parsed.error, raw)}`);
  return parsed.data;
}
