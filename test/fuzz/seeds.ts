// The documents the fuzzer mutates, in a fixed order (a mutant is replayed by its index): the
// project's fixtures, libvirt's test domains (the corpus beside the checkout, never copied here) and
// generated domains of every family and machine (src/generate, small sizes so that solves stay short).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FAMILIES, generateDomain, MACHINES } from '../../src/generate/index.js';
import { CORPUS, HAVE_CORPUS, REPO } from '../helpers/corpus.js';

export interface Seed {
  name: string;
  text: string;
}

function xmlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? xmlFiles(join(dir, e.name)) : e.name.endsWith('.xml') ? [join(dir, e.name)] : []))
    .sort();
}

/** Fixtures other helpers add while fixing what the fuzzer finds are left out, so that indexes stay put. */
const OWN_FIXTURES = (f: string) => !/^fixtures\/(fuzz|repro)\//.test(f);

export function fuzzSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const f of xmlFiles(join(REPO, 'fixtures'))) {
    const name = relative(REPO, f);
    if (OWN_FIXTURES(name)) seeds.push({ name, text: readFileSync(f, 'utf8') });
  }
  if (HAVE_CORPUS) {
    for (const sub of ['libvirt', 'libvirt-errors']) {
      const dir = join(CORPUS, sub);
      for (const d of readdirSync(dir).sort()) {
        const f = join(dir, d, 'input.xml');
        if (existsSync(f)) seeds.push({ name: `corpus/${sub}/${d}`, text: readFileSync(f, 'utf8') });
      }
    }
  }
  const sizes = [4, 12, 30];
  let k = 0;
  for (const family of FAMILIES) {
    for (const machine of MACHINES) {
      const devices = sizes[k++ % sizes.length]!;
      try {
        const g = generateDomain({ family, machine, devices, seed: k });
        seeds.push({ name: `generate --family ${family} --machine ${machine} --devices ${devices} --seed ${k}`, text: g.xml });
      } catch {
        // A family the machine cannot have (the generator refuses it): nothing to mutate.
      }
    }
  }
  return seeds;
}
