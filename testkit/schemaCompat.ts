// What in a change of a JSON Schema breaks a reader of the old one: a property removed, a
// property newly required, a type or constant changed, an enum member added (a value the old
// reader does not expect) or removed. Adding an optional property breaks nobody. Used by
// scripts/write-schemas.ts (which refuses to overwrite a schema of the same version with a
// breaking change) and tested in test/schema/schema.test.ts.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function breakingChanges(before: unknown, after: unknown, path = '$'): string[] {
  if (!isObject(before) || !isObject(after)) return same(before, after) ? [] : [`${path}: changed`];
  const out: string[] = [];
  for (const key of ['type', 'const', 'format', 'pattern'] as const) {
    if (!same(before[key], after[key])) out.push(`${path}: ${key} ${JSON.stringify(before[key])} -> ${JSON.stringify(after[key])}`);
  }
  if (before.enum || after.enum) {
    const was = new Set((before.enum as unknown[] | undefined)?.map((v) => JSON.stringify(v)));
    const is = new Set((after.enum as unknown[] | undefined)?.map((v) => JSON.stringify(v)));
    for (const v of was) if (!is.has(v)) out.push(`${path}: enum value ${v} removed`);
    for (const v of is) if (!was.has(v)) out.push(`${path}: enum value ${v} added`);
  }
  const wasRequired = new Set((before.required as string[] | undefined) ?? []);
  for (const r of (after.required as string[] | undefined) ?? []) if (!wasRequired.has(r)) out.push(`${path}: '${r}' is now required`);
  const props = (s: Json) => (isObject(s.properties) ? s.properties : {});
  for (const [name, schema] of Object.entries(props(before))) {
    const next = props(after)[name];
    if (next === undefined) out.push(`${path}.${name}: removed`);
    else out.push(...breakingChanges(schema, next, `${path}.${name}`));
  }
  if (isObject(before.items) || isObject(after.items)) out.push(...breakingChanges(before.items, after.items, `${path}[]`));
  if (isObject(before.additionalProperties) || isObject(after.additionalProperties)) {
    out.push(...breakingChanges(before.additionalProperties, after.additionalProperties, `${path}{}`));
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const a = (before[key] as unknown[] | undefined) ?? [];
    const b = (after[key] as unknown[] | undefined) ?? [];
    if (a.length !== b.length) out.push(`${path}: ${key} has ${b.length} branches, had ${a.length}`);
    else a.forEach((s, i) => out.push(...breakingChanges(s, b[i], `${path}|${i}`)));
  }
  return out;
}

/** The schemaVersion a JSON Schema pins (its `schemaVersion` property's const, in any branch). */
export function versionOf(schema: unknown): number | undefined {
  if (!isObject(schema)) return undefined;
  const props = isObject(schema.properties) ? schema.properties : {};
  const own = isObject(props.schemaVersion) ? props.schemaVersion.const : undefined;
  if (typeof own === 'number') return own;
  for (const branch of [...((schema.oneOf as unknown[]) ?? []), ...((schema.anyOf as unknown[]) ?? [])]) {
    const v = versionOf(branch);
    if (v !== undefined) return v;
  }
  return undefined;
}
