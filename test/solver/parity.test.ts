/**
 * The same bytes from both Z3 backends: optimal assign (the XML, and the JSON without its timing)
 * and explain (the conflict, or the reasons for each controller) on every fixture, a sample of the
 * libvirt corpus and generated domains of every family, solved once with the native z3 and once
 * with the z3-solver WASM build.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignDomain } from '../../src/assign.js';
import { planJson as assignJson } from '../../src/api/assign.js';
import { ConflictError, PciplanError } from '../../src/errors.js';
import { explainLayout } from '../../src/explain/explainLayout.js';
import { generateDomain, type Family, type MachineName } from '../../src/generate/index.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { PolicySchema, type Policy } from '../../src/model/schemas.js';
import type { SolverChoice } from '../../src/solver/session.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { skipNative } from '../helpers/backends.js';
import { corpusIndex, pairFile, REPO, skipCorpus } from '../helpers/corpus.js';

interface Input {
  name: string;
  xml: string;
  policy: Policy;
}

/** Everything a user sees of an optimal plan, as text; timing left out. */
async function planText(input: Input, solver: SolverChoice): Promise<string> {
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

function fixtureInputs(): Input[] {
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

/** Every 6th pair of the corpus (about 27 domains of all machines). */
function corpusInputs(): Input[] {
  return corpusIndex()
    .filter((_, i) => i % 6 === 0)
    .map((p) => ({ name: p.name, xml: readFileSync(pairFile(p.name, 'input.xml'), 'utf8'), policy: {} }));
}

const GENERATED: [Family, MachineName, number][] = [
  ['hotplug-heavy', 'q35', 64],
  ['mixed', 'q35', 64],
  ['legacy', 'pc', 64],
  ['legacy', 'q35', 40],
  ['numa', 'q35', 64],
  ['multifunction', 'virt', 64],
  ['fragmented', 'q35', 64],
  ['cloud', 'q35', 64],
  ['mixed', 'q35', 256],
  ['hotplug-heavy', 'virt', 256],
];

function generatedInputs(): Input[] {
  return GENERATED.map(([family, machine, devices]) => {
    const g = generateDomain({ family, machine, devices, seed: 1 });
    return { name: g.name, xml: g.xml, policy: g.policy };
  });
}

function parity(inputs: () => Input[]) {
  for (const input of inputs()) {
    it(input.name, async () => {
      const native = await planText(input, 'native');
      const wasm = await planText(input, 'wasm');
      expect(native).toBe(wasm);
    });
  }
}

describe.skipIf(skipNative)('native and WASM Z3 give the same bytes', () => {
  describe('fixtures', () => parity(fixtureInputs));
  describe('generated families', () => parity(generatedInputs));
  describe.skipIf(skipCorpus)('libvirt corpus sample', () => parity(corpusInputs));
});
