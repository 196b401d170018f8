// An optimal plan as everything a user sees of it (the XML, the JSON without its timing, explain's
// reasons, or the conflict), and the fixtures to plan: what the backend tests compare byte for byte.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignDomain } from '../../src/assign.js';
import { planJson as assignJson } from '../../src/api/assign.js';
import { ConflictError, PciplanError } from '../../src/errors.js';
import { explainLayout } from '../../src/explain/explainLayout.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { PolicySchema, type Policy } from '../../src/model/schemas.js';
import type { SolverChoice } from '../../src/solver/session.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { REPO } from './corpus.js';

export interface Input {
  name: string;
  xml: string;
  policy: Policy;
}

/** Everything a user sees of an optimal plan, as text; timing left out. */
export async function planText(input: Input, solver: SolverChoice): Promise<string> {
  try {
    const r = await assignDomain(parseDomain(input.xml, input.name), { strategy: 'optimal', policy: input.policy, solver, timeoutMs: 60_000 });
    const { ms: _ms, ...json } = assignJson(r);
    return `${writeXml(r.doc)}\n${JSON.stringify(json)}\n${JSON.stringify(explainLayout(r, input.policy))}`;
  } catch (e) {
    if (e instanceof ConflictError) return `conflict: ${e.message}\n${JSON.stringify(e.conflict)}`;
    if (e instanceof PciplanError) return `error: ${e.message}`;
    throw e;
  }
}

export function fixtureInputs(): Input[] {
  const out: Input[] = [];
  for (const dir of ['', 'hard', 'infeasible']) {
    const path = join(REPO, 'fixtures', dir);
    for (const f of readdirSync(path).filter((x) => x.endsWith('.xml') && !x.endsWith('.libvirt.xml')).sort()) {
      const policyFile = join(path, f.replace(/\.xml$/, '.policy.json'));
      const policy = existsSync(policyFile) ? PolicySchema.parse(JSON.parse(readFileSync(policyFile, 'utf8'))) : {};
      out.push({ name: join(dir, f), xml: readFileSync(join(path, f), 'utf8'), policy });
    }
  }
  return out;
}
