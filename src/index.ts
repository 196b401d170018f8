// pciplan as a library: `import { assign, validate, ... } from 'pciplan'`. Each function takes a
// domain (XML text, { xml, file } or a parsed domain) and typed options, and returns the report
// the CLI prints as JSON (plus the written XML where there is one). Failures are PciplanError
// (kind 'input' | 'invalid' | 'internal', with file, line, device and rule where known); a domain
// that breaks a rule is a report (validate) or a ConflictError with the conflict (assign).
// Nothing here touches process.exit, stdout or the file system; Z3 and Graphviz are loaded on
// the first call that needs them, not on import.
export { assign, type AssignOptions, type AssignReport, type Progress, type Strategy } from './api/assign.js';
export { attach, type AttachOptions, type AttachReport, type DeviceInput } from './api/attach.js';
export { compare, type CompareOptions, type CompareReport } from './api/compare.js';
export { explain, type ExplainOptions, type ExplainReport } from './api/explain.js';
export { generate, type GenerateOptions, type GenerateReport } from './api/generate.js';
export { show, type ShowFormat, type ShowOptions, type ShowReport } from './api/show.js';
export { validate, type ValidateOptions, type ValidateReport } from './api/validate.js';
export type { DomainInput, DomainOptions, HintAttrs, SearchOptions, Solver } from './api/options.js';
export { parseDomain, type ParsedDomain } from './model/parseDomain.js';
export type { Policy } from './model/schemas.js';
export { ConflictError, EXIT_CODES, PciplanError, type ErrorDetails, type ErrorKind } from './errors.js';
export type { Conflict, Requirement } from './conflict.js';
export { OUTPUT_SCHEMAS, SCHEMA_VERSION, jsonSchemaOf, type OutputName } from './schema/index.js';
export type { AssignJson, AttachJson, CompareJson, ExplainJson, PlanJson, ValidateJson } from './schema/index.js';
