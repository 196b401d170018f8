// Every input pciplan takes besides the XML structure itself is checked by a zod schema here: the
// placement hints of a device and the domain-wide policy. Errors become one readable line.
// zod/mini, not zod's classic API: every command reads these, and the classic build is about 60%
// of the bundled command's code (scripts/bundle.mjs); mini's functional form tree-shakes to the
// checks used here. The English messages are configured once, as the classic build does.
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { CONTROLLER_MODELS } from '../catalog/controllers.js';
import type { Hints, WaivableHint } from './types.js';

z.config(en());

const yesNo = z.enum(['yes', 'no'], { error: "must be 'yes' or 'no'" });

/** `<addressPreferences …/>` attributes, and the same attributes on pciplan's metadata entries. */
export const HintAttrsSchema = z.strictObject(
  {
    hotplug: z.optional(yesNo),
    bus: z.optional(z.enum(['pci', 'pcie'], { error: "must be 'pci' or 'pcie'" })),
    numa: z.optional(z.string().check(z.regex(/^\d{1,3}$/, { error: 'must be a NUMA cell id (a whole number)' }))),
    group: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'must be 1-64 letters, digits or _ . : -' }))),
    waived: z.optional(
      z.string().check(z.regex(/^(hotplug|bus|numa|group)( (hotplug|bus|numa|group))*$/, { error: 'must be hint names (hotplug, bus, numa, group) separated by spaces' })),
    ),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown attribute ${iss.keys.map((k) => `'${k}'`).join(', ')} (known: hotplug, bus, numa, group, waived)` : undefined) },
);

export function hintsFromAttrs(attrs: z.infer<typeof HintAttrsSchema>): Hints {
  return {
    ...(attrs.hotplug ? { hotplug: attrs.hotplug === 'yes' } : {}),
    ...(attrs.bus ? { bus: attrs.bus } : {}),
    ...(attrs.numa !== undefined ? { numa: Number(attrs.numa) } : {}),
    ...(attrs.group ? { group: attrs.group } : {}),
    ...(attrs.waived ? { waived: attrs.waived.split(' ') as WaivableHint[] } : {}),
  };
}

export const PolicySchema = z.strictObject(
  {
    /** Default for devices with no hotplug hint; unset = as hotpluggable as libvirt makes them. */
    hotplug: z.optional(yesNo),
    /** Free hot-pluggable PCIe ports to leave; unset = libvirt's rule (one, on new q35 domains). */
    sparePciePorts: z.optional(z.int().check(z.minimum(0), z.maximum(255))),
    /** Free hot-pluggable conventional PCI slots to leave. */
    sparePciSlots: z.optional(z.int().check(z.minimum(0), z.maximum(255 * 31))),
    /** Unrelated endpoints may be packed as functions of one slot (they then hotplug together). */
    packFunctions: z.optional(z.boolean()),
    /** Controller models pciplan may add; unset = every model the machine supports. */
    addControllers: z.optional(z.array(z.enum(CONTROLLER_MODELS))),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown setting ${iss.keys.map((k) => `'${k}'`).join(', ')} (known: hotplug, sparePciePorts, sparePciSlots, packFunctions, addControllers)`
        : undefined,
  },
);
export type Policy = z.infer<typeof PolicySchema>;

/** One line from a zod error: the first issue, the path that failed and the value found there. */
export function zodMessage(err: z.core.$ZodError, data?: unknown): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
  let value: unknown = data;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  const shown = issue.path.length && value !== undefined ? ` (got ${JSON.stringify(value)})` : '';
  return `${path}${issue.message}${shown}`;
}
