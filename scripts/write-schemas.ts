// npm run schema: writes schema/<output>.json from the zod schemas in src/schema. A change that
// would break a reader of the schema already written, at the same schemaVersion, is refused:
// bump SCHEMA_VERSION in src/schema/version.ts first (README: Machine interface).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaOf, OUTPUT_SCHEMAS, SCHEMA_VERSION, type OutputName } from '../src/schema/index.js';
import { breakingChanges, versionOf } from '../testkit/schemaCompat.js';

const dir = join(import.meta.dirname, '..', 'schema');
let refused = false;
for (const name of Object.keys(OUTPUT_SCHEMAS) as OutputName[]) {
  const file = join(dir, `${name}.json`);
  const fresh = jsonSchemaOf(name);
  if (existsSync(file)) {
    const old: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const broken = versionOf(old) === SCHEMA_VERSION ? breakingChanges(old, fresh) : [];
    if (broken.length) {
      refused = true;
      process.stderr.write(`schema/${name}.json: breaking change at schemaVersion ${SCHEMA_VERSION} (bump SCHEMA_VERSION in src/schema/version.ts):\n  ${broken.join('\n  ')}\n`);
      continue;
    }
  }
  writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`);
}
process.exitCode = refused ? 1 : 0;
