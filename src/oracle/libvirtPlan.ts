// Real libvirt's own placement of a domain, read back into the shape `assign` reports, so that
// `compare --libvirt` puts libvirt beside greedy and optimal with the same field names.
//
// libvirt drops elements it does not know, so the hints travel in pciplan's metadata (libvirt keeps
// <metadata>), and the placed domain read back carries them: its hints are checked like any other.
import type { PlacedDevice } from '../assign.js';
import { CONTROLLERS } from '../catalog/index.js';
import { applyLayout } from '../model/applyLayout.js';
import { parseDomain, type ParsedDomain } from '../model/parseDomain.js';
import { addressOf, guestBusNumbers } from '../model/topology.js';
import { compareAddressText, formatAddress, type Domain } from '../model/types.js';
import { writeXml } from '../xml/writeXml.js';
import { defineBatch } from './libvirt.js';

export type LibvirtPlan =
  | {
      ok: true;
      strategy: 'libvirt';
      /** The domain as libvirt completed it (`dumpxml --inactive`). */
      domain: Domain;
      devices: PlacedDevice[];
      addedControllers: { index: number; model: string; address?: string }[];
      objective: { addedControllers: number; busNumbers: number };
      lowerBound: number;
      proven: false;
      /** Wall time of the one virsh process that placed every domain, divided among them. */
      ms: number;
    }
  | { ok: false; error: string; ms: number };

/** What libvirt added and where it put everything, relative to the domain it was given. */
function readPlacement(input: Domain, placed: Domain): Omit<Extract<LibvirtPlan, { ok: true }>, 'ok' | 'strategy' | 'ms' | 'lowerBound' | 'proven'> {
  const given = new Map(input.devices.map((d) => [d.id, d]));
  const givenIndexes = new Set(input.devices.flatMap((d) => (d.pci ? [d.pci.index] : [])));
  const devices: PlacedDevice[] = placed.devices.flatMap((d) => {
    const a = addressOf(d);
    if (!a) return [];
    const before = given.get(d.id);
    const origin = !before ? 'added' : addressOf(before) ? 'kept' : 'assigned';
    const model = d.pci?.model ?? d.props.model;
    return [{ id: d.id, kind: d.kind, address: formatAddress(a), origin, ...(model ? { model } : {}) } satisfies PlacedDevice];
  });
  devices.sort((x, y) => compareAddressText(x.address, y.address));
  const added = placed.devices.filter((d) => d.pci && !givenIndexes.has(d.pci.index));
  const addedControllers = added.map((d) => {
    const a = addressOf(d);
    return { index: d.pci!.index, model: d.pci!.model as string, ...(a ? { address: formatAddress(a) } : {}) };
  });
  return {
    domain: placed,
    devices,
    addedControllers,
    // The root bus is implicit in every layout, as in `assign`'s objective.
    objective: {
      addedControllers: added.filter((d) => CONTROLLERS[d.pci!.model].connect !== null).length,
      busNumbers: guestBusNumbers(placed),
    },
  };
}

/** Each domain placed by real libvirt (define, then dumpxml --inactive), in one virsh process. */
export async function libvirtPlan(domains: readonly ParsedDomain[]): Promise<LibvirtPlan[]> {
  if (domains.length === 0) return [];
  const texts = domains.map(({ doc, domain }) => writeXml(applyLayout(doc, domain, { addresses: new Map(), added: [] })));
  const start = performance.now();
  const results = await defineBatch(texts);
  const ms = Math.round(((performance.now() - start) / domains.length) * 10) / 10;
  return results.map((r, i): LibvirtPlan => {
    const input = domains[i]!.domain;
    if (!r.ok) return { ok: false, error: r.error, ms };
    const placed = parseDomain(r.xml, input.file).domain;
    return { ok: true, strategy: 'libvirt', ...readPlacement(input, placed), lowerBound: 0, proven: false, ms };
  });
}
