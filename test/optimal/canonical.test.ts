/**
 * The tie-break's closed form (encodings/canonical.ts): with the units fixed, every packed-slot
 * count at ceil(x / 8) is still a layout of the count model with the same number of controllers,
 * so the slots block needs no question. Checked by asserting the whole lowered assignment back
 * into the model on packed domains.
 */
import { describe, expect, it } from 'vitest';
import { leastSlots } from '../../encodings/canonical.js';
import { hardMixed } from '../../testkit/hardMixed.js';
import { implicitDevices } from '../../src/alloc/implicit.js';
import { prepareOptimal } from '../../src/assign.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { buildInstance } from '../../src/optimal/instance.js';
import { buildModel, CHECK, Z3_OPTIONS } from '../../src/optimal/solve.js';
import { parseCheck } from '../../src/solver/session.js';
import { openSession } from '../../src/solver/backend.js';
import { deviceElements } from '../../src/stable/previous.js';

async function modelOf(devices: number, seed: number) {
  const { xml, policy } = hardMixed(devices, seed);
  const { doc, domain } = parseDomain(xml, 'hard.xml');
  const input = prepareOptimal(domain, implicitDevices(domain, deviceElements(doc, domain)), policy);
  const inst = buildInstance(domain, input.devices, policy, input.greedy);
  return buildModel(inst);
}

describe('packed slots at their closed-form least', () => {
  for (const [devices, seed] of [[16, 7], [64, 7], [64, 3], [200, 5]] as const) {
    it(`hard mixed ${devices} (seed ${seed})`, async () => {
      const { smt, vars } = await modelOf(devices, seed);
      // One fresh session per question (declarations do not carry over).
      const ask = async (extra: string) => {
        const z3 = await openSession();
        try {
          return await z3.query(`${Z3_OPTIONS}${smt.script()}${extra}${CHECK}\n(get-value (${smt.vars.join(' ')}))`, (out) => parseCheck(out, smt.vars));
        } finally {
          z3.close();
        }
      };
      {
        // A model whose packed slots are not least: ask for a slot count above ceil(x / 8).
        const packed = vars.assignments.filter((a) => a.u !== a.x);
        expect(packed.length).toBeGreaterThan(0);
        const loose = await ask(`(assert (or false ${packed.map((a) => `(> (* 8 ${a.u}) (+ ${a.x} 7))`).join(' ')}))\n`);
        expect(loose.answer).toBe('sat');
        const lowered = leastSlots(vars, loose.values!);
        expect([...lowered].some(([k, v]) => loose.values!.get(k) !== v)).toBe(true);
        // The lowered assignment, every variable fixed, is still a model, with the same count.
        const fixed = smt.vars.map((n) => `(assert (= ${n} ${lowered.get(n)}))`).join('\n');
        const back = await ask(`${fixed}\n`);
        expect(back.answer).toBe('sat');
        expect(lowered.get(vars.added)).toBe(loose.values!.get(vars.added));
      }
    });
  }
});
