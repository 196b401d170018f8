/**
 * `compare --libvirt` runs real libvirt. Without hints in play libvirt and pciplan's greedy are the
 * same algorithm, so the libvirt column must equal the greedy one wherever both are reported; and
 * the libvirt result carries the same fields as `assign --format json`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { libvirtAvailable } from '../../src/oracle/libvirt.js';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';

const hard = join(REPO, 'fixtures', 'hard');
const fixtures = [join(REPO, 'fixtures', 'q35-workstation.xml'), ...readdirSync(hard).filter((f) => f.endsWith('.xml')).sort().map((f) => join(hard, f))];

describe.skipIf(!libvirtAvailable())('pciplan compare --libvirt', () => {
  const r = pciplan(['compare', ...fixtures, '--libvirt', '--format', 'json']);
  const json = JSON.parse(r.stdout);

  it('gives real libvirt the column greedy has, field for field', () => {
    expect(r.code).toBe(0);
    for (const d of json.domains) {
      expect(d.libvirt.ok).toBe(d.greedy.ok);
      if (!d.greedy.ok) {
        expect(d.libvirt.error).toMatch(/^libvirt refuses it: .*a PCI slot is needed/);
        continue;
      }
      for (const k of ['addedControllers', 'byModel', 'busNumbers', 'freeHotplugPorts', 'freeHotplugSlots', 'hintsViolated']) {
        expect([d.file, k, d.libvirt[k]]).toEqual([d.file, k, d.greedy[k]]);
      }
      expect(Object.keys(d.libvirt.result).sort()).toEqual(Object.keys(d.greedy.result).sort());
      expect(d.libvirt.result.strategy).toBe('libvirt');
      expect(d.libvirt.result.addedControllers).toEqual(d.greedy.result.addedControllers);
      // Every PCI address greedy gives a device of the input, libvirt gives too.
      const lv = new Map(d.libvirt.result.devices.map((x: { id: string; address: string }) => [x.id, x.address]));
      for (const x of d.greedy.result.devices) if (!x.id.startsWith('controller[')) expect([x.id, lv.get(x.id)]).toEqual([x.id, x.address]);
    }
  });

  it('agrees with the layout libvirt wrote for the workstation fixture', () => {
    const ws = json.domains[0].libvirt.result.devices as { id: string; address: string }[];
    const shown = pciplan(['show', join(REPO, 'fixtures', 'q35-workstation.libvirt.xml')]).stdout;
    for (const x of ws) expect(shown).toContain(`${x.address.slice(5)} ${x.id}`);
  });

  it('adds a libvirt row per domain to the table', () => {
    const t = pciplan(['compare', fixtures[0]!, '--libvirt']).stdout;
    expect(t).toMatch(/q35-workstation\.xml\s+libvirt\s+10\s+10 pcie-root-port\s+11\s+1\/0\s+4\s/);
  });
});
