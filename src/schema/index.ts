// The JSON outputs of the CLI and the API, one zod schema each. schema/<name>.json in the package
// is z.toJSONSchema of these (npm run schema writes them; a test checks they are current).
import { z } from 'zod';
import { AssignJson } from './assign.js';
import { AttachJson } from './attach.js';
import { CompareJson } from './compare.js';
import { ExplainJson } from './explain.js';
import { ValidateJson } from './validate.js';

export { SCHEMA_VERSION } from './common.js';
export { AssignJson, PlanJson } from './assign.js';
export { AttachJson } from './attach.js';
export { CompareJson, SideJson } from './compare.js';
export { ConflictJson, ExplainJson } from './explain.js';
export { ValidateJson } from './validate.js';

/** The commands with a JSON output, and its schema. */
export const OUTPUT_SCHEMAS = {
  assign: AssignJson,
  validate: ValidateJson,
  explain: ExplainJson,
  attach: AttachJson,
  compare: CompareJson,
} as const;
export type OutputName = keyof typeof OUTPUT_SCHEMAS;

/**
 * The JSON Schema shipped as schema/<name>.json. Written for readers ('input' mode): objects are
 * open, so a reader validating with it accepts fields a later release adds.
 */
export function jsonSchemaOf(name: OutputName): Record<string, unknown> {
  return { $id: `https://pciplan.dev/schema/${name}.json`, ...z.toJSONSchema(OUTPUT_SCHEMAS[name], { io: 'input' }) };
}
