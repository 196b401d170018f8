/**
 * Real libvirt 9.0 on the libvirt 11.3 test cases of test/helpers/libvirtCases.ts (x86_64 pc, all
 * of them): defining the input gives greedy's table, and defining pciplan's greedy and optimal
 * output keeps every address pciplan wrote.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assignDomain, type AssignResult } from '../../src/assign.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { defineBatch, libvirtAvailable, type DefineResult } from '../../src/oracle/libvirt.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { addressTable, tableDiff } from '../../testkit/parity.js';
import { LIBVIRT_CASES } from '../helpers/libvirtCases.js';

const table = (r: DefineResult, name: string) => {
  if (!r.ok) throw new Error(`${name}: libvirt refused it: ${r.error}`);
  return addressTable(parseDomain(r.xml, `${name}.libvirt.xml`).domain);
};

describe.skipIf(!libvirtAvailable())('libvirt 9.0 on the libvirt test cases the corpus lacks', () => {
  const runs: { greedy: AssignResult; optimal: AssignResult; defined: DefineResult[] }[] = [];
  beforeAll(async () => {
    const texts: string[] = [];
    for (const c of LIBVIRT_CASES) {
      const greedy = await assignDomain(parseDomain(c.input, `${c.name}.xml`), { strategy: 'greedy', policy: {} });
      const optimal = await assignDomain(parseDomain(c.input, `${c.name}.xml`), { strategy: 'optimal', policy: {}, progressAfterMs: Infinity });
      runs.push({ greedy, optimal, defined: [] });
      texts.push(c.input, writeXml(greedy.doc), writeXml(optimal.doc));
    }
    const defined = await defineBatch(texts);
    runs.forEach((r, i) => (r.defined = defined.slice(3 * i, 3 * i + 3)));
  }, 120_000);

  LIBVIRT_CASES.forEach((c, i) => {
    it(`${c.name}: libvirt places the input as greedy does and keeps both layouts`, () => {
      const { greedy, optimal, defined } = runs[i]!;
      const [input, ofGreedy, ofOptimal] = defined as [DefineResult, DefineResult, DefineResult];
      expect(tableDiff(addressTable(greedy.domain), table(input, c.name))).toEqual([]);
      expect(tableDiff(addressTable(greedy.domain), table(ofGreedy, c.name))).toEqual([]);
      expect(tableDiff(addressTable(optimal.domain), table(ofOptimal, c.name))).toEqual([]);
    });
  });
});
