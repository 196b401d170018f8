/**
 * assign --previous (issue 11) on 288 seeded (domain, change) pairs (at least 200 feasible), a quarter of each change:
 * devices appended, a device removed, spares raised, a hint edited. With no requirement of a kept
 * device changed, nothing moves; with one edited, exactly that device moves, and only where its
 * old address breaks the new requirement (the validator, run on the old layout with the new hint,
 * is the independent judge), with the rule in its why. One consequence is allowed and required:
 * when function 0 of a slot leaves (removed, or moved by its new requirement), the other
 * functions of that slot (a group's, or packed endpoints) move with it, since a guest finds a
 * slot's functions through function 0 [function-zero]. On i440fx a new hotplug='no' turns pci.0's
 * hotplug off (src/model/rootHotplug.ts): then the device may stay there, and the hotplug='yes'
 * devices on pci.0 move instead, each for its own hint. Every other device and controller of the
 * old layout that is still there keeps its address, and the new layout meets every rule.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, PciplanError } from '../../src/errors.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { rootHotplugOffFor, withRootHotplugOff } from '../../src/model/rootHotplug.js';
import type { Domain } from '../../src/model/types.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { writeXml } from '../../src/xml/writeXml.js';
import { changed } from './changes.js';
import { chunks, plan } from './helpers.js';

const tally = { pairs: 0, infeasible: 0, moves: 0, byKind: new Map<string, number>() };

describe('assign --previous keeps every address a requirement does not force to move', () => {
  for (const seeds of chunks(1, 288, 6)) {
    it(`pairs ${seeds[0]}-${seeds[seeds.length - 1]}`, async () => {
      for (const seed of seeds) {
        const { base, change } = changed(seed);
        const old = await plan(base.xml, base.policy);
        if (old instanceof PciplanError) continue;
        const oldText = writeXml(old.doc);
        const previous = parseDomain(oldText, 'old.xml');
        const r = await plan(change.xml, change.policy, { previous });
        const label = `seed ${seed} (${change.what})`;
        if (r instanceof PciplanError) {
          // Only new demands can be impossible (spares, new devices); then the conflict is named.
          expect(r, `${label}: ${r.message}`).toBeInstanceOf(ConflictError);
          expect(['append', 'spares', 'hint'], `${label}: ${r.message}`).toContain(change.kind);
          tally.infeasible++;
          continue;
        }
        tally.pairs++;
        tally.byKind.set(change.kind, (tally.byKind.get(change.kind) ?? 0) + 1);
        const oldAt = new Map(old.domain.devices.flatMap((d) => (d.address.type === 'pci' && d.address.pci ? [[d.id, d.address.pci] as const] : [])));
        const stillThere = new Set(r.domain.devices.map((d) => d.id));
        // A slot's functions are found through function 0: when function 0 leaves (removed, or
        // moved by its own new requirement), the other functions of its slot must leave too.
        const slotMates = (id: string) => {
          const a = oldAt.get(id);
          if (!a || a.function !== 0) return [];
          return [...oldAt].filter(([x, b]) => x !== id && stillThere.has(x) && b.bus === a.bus && b.slot === a.slot).map(([x]) => x);
        };
        const forced: string[] = [];
        /** Devices whose own new requirement moves them (the rest of forced follow function 0). */
        const own = new Set<string>();
        const followers: string[] = change.removed ? slotMates(change.removed) : [];
        if (change.edited) {
          // Would the old layout break the new hint? Ask the validator about the old layout itself,
          // with pci.0's hotplug as assign sets it for the new hints: on i440fx a hotplug='no'
          // device turns it off (src/model/rootHotplug.ts), and then every hotplug='yes' device
          // on pci.0 must leave it.
          const edit = (domain: Domain) => {
            const d = domain.devices.find((x) => x.id === change.edited!.id)!;
            d.hints = { ...d.hints, hotplug: change.edited!.hotplug };
            return domain;
          };
          const oldParsed = parseDomain(oldText, 'old.xml');
          const off = rootHotplugOffFor(edit(parseDomain(oldText, 'old.xml').domain), change.policy) && withRootHotplugOff(oldParsed);
          const judged = edit(off ? off.domain : oldParsed.domain);
          const broken = validateDomain(judged, change.policy).problems.filter((p) => p.severity === 'error' && p.rule === 'hint-hotplug').map((p) => p.device!);
          for (const id of broken) {
            own.add(id);
            forced.push(id, ...slotMates(id).filter((x) => !followers.includes(x)));
          }
        }
        const expected = [...new Set([...forced, ...followers])].sort();
        expect(r.moved!.map((m) => m.id).sort(), label).toEqual(expected);
        for (const m of r.moved!) {
          expect(m.why, label).toMatch(own.has(m.id) ? /\[hint-hotplug\]$/ : /\[(function-zero|hint-group)\]$/);
        }
        tally.moves += r.moved!.length;
        // Every other device and controller of the old layout keeps its address.
        const now = new Map(r.domain.devices.map((d) => [d.id, d.address.type === 'pci' ? d.address.pci : undefined]));
        for (const d of old.domain.devices) {
          if (d.address.type !== 'pci' || !d.address.pci || !now.has(d.id) || expected.includes(d.id)) continue;
          expect(JSON.stringify(now.get(d.id) && { ...now.get(d.id), multifunction: undefined }), `${label}: ${d.id}`).toBe(JSON.stringify({ ...d.address.pci, multifunction: undefined }));
        }
        expect(validateDomain(r.domain, change.policy).problems.filter((p) => p.severity === 'error'), label).toEqual([]);
      }
    });
  }

  it('covered every kind of change and some real moves', () => {
    console.log(`--previous: ${tally.pairs} pairs (${[...tally.byKind].map(([k, n]) => `${k} ${n}`).join(', ')}), ${tally.infeasible} infeasible, ${tally.moves} moves`);
    expect(tally.pairs).toBeGreaterThanOrEqual(200);
    for (const k of ['append', 'remove', 'spares', 'hint']) expect(tally.byKind.get(k) ?? 0).toBeGreaterThan(30);
    expect(tally.moves).toBeGreaterThan(5);
  });
});
