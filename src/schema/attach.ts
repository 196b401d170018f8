// `pciplan attach --format json`.
import { z } from 'zod';
import { count, deviceName, pciAddress, schemaVersion } from './common.js';

const step = {
  id: deviceName,
  address: pciAddress.nullable().describe('null for a device that takes no PCI address (a USB or SATA disk)'),
  plugOrder: z.int().min(1).describe('1-based position in the order the elements must be attached (controllers count too)'),
};

export const AttachJson = z
  .object({
    schemaVersion,
    live: z.boolean(),
    devices: z.array(z.object({ ...step, kind: z.string(), file: z.string().optional().describe('The device file it came from; absent for a device the new ones imply') })),
    addedControllers: z.array(z.object(step)).describe('Controllers to add first (never with --live)'),
    warnings: z.array(z.string()),
    proven: z.boolean(),
    lowerBound: count,
  })
  .meta({ title: 'pciplan attach --format json' });

export type AttachJson = z.infer<typeof AttachJson>;
