/**
 * The same bytes from both Z3 backends: optimal assign (the XML, and the JSON without its timing)
 * and explain (the conflict, or the reasons for each controller) on every fixture, a sample of the
 * libvirt corpus and generated domains of every family, solved once with the native z3 and once
 * with the z3-solver WASM build.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateDomain, type Family, type MachineName } from '../../src/generate/index.js';
import { skipNative } from '../helpers/backends.js';
import { corpusIndex, pairFile, skipCorpus } from '../helpers/corpus.js';
import { fixtureInputs, planText, type Input } from '../helpers/planText.js';

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
