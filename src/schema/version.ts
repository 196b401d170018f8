// The JSON formats' version, on its own so that the commands that write JSON do not build zod's
// schemas of those formats (src/schema/*.ts: for the published JSON Schemas and the tests).

/**
 * The version of every JSON output. Bump it when a change breaks a reader of the previous one:
 * a field removed or renamed, a type or meaning changed, an optional field made required or a
 * value allowed that was not (an enum member, null). Adding a field does not: readers ignore
 * fields they do not know. test/schema/schema.test.ts holds the shipped schema/*.json to this.
 */
export const SCHEMA_VERSION = 1;
