/**
 * Canonical optimal layouts (issue 11, encodings/canonical.ts): the output is defined by the input
 * alone, not by Z3's search. Z3's random seeds 1..5 and no seed give byte-identical output on
 * seeded random domains (q35, pc, virt; hints, groups, NUMA nodes) and on every fixture, and the
 * same error where there is no layout. The seeds do change Z3's search: the check below that the
 * first model found differs across seeds on some domain keeps this test from being vacuous.
 *
 * How many random domains: 64 (seeds 5000-5063) unless PCIPLAN_STABLE_COUNT says otherwise; the
 * full sweep of the issue is PCIPLAN_STABLE_COUNT=200. The 64 are enough to fail on the bug this
 * suite is for: with the tie-break switched off (solve.ts keeping the search's model), 16 of the 64
 * give different bytes across these seeds (48 of the 200), besides the fixtures and the hard
 * domain below.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PciplanError } from '../../src/errors.js';
import { PolicySchema, type Policy } from '../../src/model/schemas.js';
import { buildInstance } from '../../src/optimal/instance.js';
import { buildModel, CHECK, Z3_OPTIONS } from '../../src/optimal/solve.js';
import { prepareOptimal } from '../../src/assign.js';
import { implicitDevices } from '../../src/alloc/implicit.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { seedOptions } from '../../encodings/canonical.js';
import { openSession } from '../../src/solver/backend.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { REPO } from '../helpers/corpus.js';
import { deviceElements } from '../../src/stable/previous.js';
import { chunks, plan, smallDomain, sweepCount } from './helpers.js';
import { hardMixed } from '../../testkit/hardMixed.js';

const SEEDS = [undefined, 1, 2, 3, 4, 5];

async function outputs(xml: string, policy: Policy): Promise<string[]> {
  const out: string[] = [];
  for (const solverSeed of SEEDS) {
    const r = await plan(xml, policy, solverSeed === undefined ? {} : { solverSeed });
    out.push(r instanceof PciplanError ? `error: ${r.message}` : writeXml(r.doc));
  }
  return out;
}

function fixtures(): { name: string; xml: string; policy: Policy }[] {
  const out = [];
  for (const dir of ['fixtures', 'fixtures/hard', 'fixtures/infeasible', 'fixtures/stable']) {
    const abs = join(REPO, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs).filter((x) => x.endsWith('.xml') && !x.endsWith('.libvirt.xml')).sort()) {
      const policyFile = join(abs, f.replace(/\.xml$/, '.policy.json'));
      const policy = existsSync(policyFile) ? PolicySchema.parse(JSON.parse(readFileSync(policyFile, 'utf8'))) : {};
      out.push({ name: `${dir}/${f}`, xml: readFileSync(join(abs, f), 'utf8'), policy });
    }
  }
  return out;
}

describe('layouts do not depend on the solver seed', () => {
  for (const f of fixtures()) {
    it(f.name, async () => {
      const outs = await outputs(f.xml, f.policy);
      for (const o of outs.slice(1)) expect(o).toBe(outs[0]);
    });
  }

  for (const seeds of chunks(5000, sweepCount(64), 4)) {
    it(`random domains ${seeds[0]}-${seeds[seeds.length - 1]}`, async () => {
      for (const seed of seeds) {
        const { xml, policy } = smallDomain(seed);
        const outs = await outputs(xml, policy);
        for (const o of outs.slice(1)) expect(o, `domain seed ${seed}`).toBe(outs[0]);
      }
    });
  }

  it('a hard domain whose first optimum is not the least one: canonical, the same for every seed', async () => {
    // hard mixed 64 (testkit/hardMixed.ts): many optimal layouts that differ in where hint-free NICs
    // and ports go, so the descent takes a few dozen checks (it once ran out of its own budget).
    const { xml, policy } = hardMixed(64, 3);
    const outs: string[] = [];
    for (const solverSeed of [undefined, 1, 2]) {
      const r = await plan(xml, policy, { timeoutMs: 600_000, ...(solverSeed === undefined ? {} : { solverSeed }) });
      if (r instanceof PciplanError) throw r;
      expect(r.canonical).toBe(true);
      expect(r.proven).toBe(true);
      outs.push(writeXml(r.doc));
    }
    for (const o of outs.slice(1)) expect(o).toBe(outs[0]);
  });

  it('the seeds reach Z3: the first model of the same check differs across seeds', async () => {
    // Without the tie-break these would be the layouts: so the equality above is not for free.
    const text = readFileSync(join(REPO, 'fixtures', 'hard', 'numa-4.xml'), 'utf8');
    const { doc, domain } = parseDomain(text, 'numa-4.xml');
    const input = prepareOptimal(domain, implicitDevices(domain, deviceElements(doc, domain)), {});
    const inst = buildInstance(domain, input.devices, {}, input.greedy);
    const { smt } = buildModel(inst);
    const models = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const z3 = await openSession('wasm');
      try {
        // The check the bound search makes, without the tie-break after it.
        const out = await z3.eval(`${seedOptions(seed)}${Z3_OPTIONS}${smt.script()}${CHECK}\n(get-value (${smt.vars.join(' ')}))`);
        expect(out.startsWith('sat')).toBe(true);
        models.add(out);
      } finally {
        z3.close();
      }
    }
    expect(models.size).toBeGreaterThan(1);
  });
});
