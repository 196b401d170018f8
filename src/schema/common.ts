// Pieces shared by the output schemas. Every JSON document pciplan prints starts with
// `schemaVersion`; the rule for changing it is in README.md ("Machine interface").
import { z } from 'zod';
import type { RegisteredId } from '../rules.js';
import { SCHEMA_VERSION } from './version.js';

export { SCHEMA_VERSION };

export const schemaVersion = z.literal(SCHEMA_VERSION).describe('Version of this JSON format; changes only when a reader of the previous one would break');

/** A PCI address as pciplan and libvirt print it: domain:bus:slot.function in hex. */
export const pciAddress = z.string().regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/).describe('PCI address dddd:bb:ss.f (hex)');

/** A device's name as pciplan writes it in messages: kind[alias|target|mac|...]. */
export const deviceName = z.string().describe('Device name, kind[alias|target|...]');

export const count = z.int().min(0);

/**
 * A rule id (src/rules.ts). A string in the JSON Schema, not an enum: rules are added, and a new
 * id must not break readers; in the writer's type, one of the registered ids `R`.
 */
export const ruleId = <R extends RegisteredId>(description: string) => z.string().describe(description) as unknown as z.ZodType<R>;
/** The same, optional (described as optional, as the JSON Schema has always written it). */
export const optionalRuleId = <R extends RegisteredId>(description: string) => z.string().optional().describe(description) as unknown as z.ZodOptional<z.ZodType<R>>;
