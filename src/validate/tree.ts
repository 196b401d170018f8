// Rules about the tree as a whole: guest bus numbers (QEMU docs/pcie.txt section 4: 256 per PCI
// domain; expander buses own the range from their busNr up to the next expander's), PCIe chassis
// numbers, and host devices passed through twice.
import { EXPANDER_MODELS, GUEST_BUS_NUMBERS, isPortRole, isRootRole } from '../catalog/index.js';
import { addressOf, ancestry, type Bus, type Topology } from '../model/topology.js';
import type { Domain } from '../model/types.js';
import { error, type Problem } from './problems.js';

/** busNr of each expander as libvirt settles it: as written, else lowest busNr so far minus 2. */
export function effectiveBusNr(topo: Topology): Map<number, number> {
  const out = new Map<number, number>();
  const expanders = [...topo.buses.values()].filter((b) => EXPANDER_MODELS.includes(b.ctrl.model)).sort((x, y) => x.index - y.index);
  for (const b of expanders) if (b.ctrl.target.busNr !== undefined) out.set(b.index, b.ctrl.target.busNr);
  for (const b of expanders) {
    if (out.has(b.index)) continue;
    const lowest = Math.min(GUEST_BUS_NUMBERS, ...out.values());
    if (lowest > 2) out.set(b.index, lowest - 2);
  }
  return out;
}

/** The bus-number region a bus belongs to: its nearest expander (itself included) or its root. */
function regionOf(topo: Topology, bus: Bus): number {
  const chain = ancestry(topo, bus.index);
  const expander = chain.find((b) => EXPANDER_MODELS.includes(b.ctrl.model));
  if (expander) return expander.index;
  return chain[chain.length - 1]?.index ?? 0;
}

export function checkBusNumbers(topo: Topology): Problem[] {
  const out: Problem[] = [];
  const busNr = effectiveBusNr(topo);
  const need = new Map<number, number>();
  for (const bus of topo.buses.values()) {
    if (!bus.spec.guestBus) continue;
    // A bus that is not plugged anywhere yet still needs its number; count it at the root.
    const region = addressOf(bus.device) || isRootRole(bus.spec.role) || EXPANDER_MODELS.includes(bus.ctrl.model) ? regionOf(topo, bus) : 0;
    need.set(region, (need.get(region) ?? 0) + 1);
  }

  const byNr = new Map<number, number>();
  for (const [index, nr] of busNr) {
    const twin = byNr.get(nr);
    if (twin !== undefined) {
      out.push(error('bus-numbers', topo.buses.get(index)!.device, `busNr ${nr} is also the busNr of the expander bus with index ${twin}`));
    }
    byNr.set(nr, index);
  }

  // Regions of one PCI domain, in bus-number order: the root from 0, each expander from its busNr.
  const roots = [...topo.buses.values()].filter((b) => isRootRole(b.spec.role));
  for (const root of roots) {
    const starts: { index: number; start: number }[] = [{ index: root.index, start: 0 }];
    for (const [index, nr] of busNr) {
      const chain = ancestry(topo, index);
      if (chain[chain.length - 1]?.index === root.index) starts.push({ index, start: nr });
    }
    starts.sort((x, y) => x.start - y.start);
    let total = 0;
    starts.forEach((r, i) => {
      const end = starts[i + 1]?.start ?? GUEST_BUS_NUMBERS;
      const n = need.get(r.index) ?? 0;
      total += n;
      const room = end - r.start;
      if (n > room) {
        const bus = topo.buses.get(r.index)!;
        const what = r.index === root.index ? `the ${bus.ctrl.model} hierarchy (bus numbers 0-${end - 1})` : `the hierarchy of ${bus.ctrl.model} index ${r.index} (busNr ${r.start}-${end - 1})`;
        out.push(
          error(
            'bus-numbers',
            r.index === root.index ? undefined : bus.device,
            `${what} needs ${n} guest bus numbers but has room for ${room}${r.index === root.index && starts.length > 1 ? ': the lowest expander busNr must be higher' : ''}`,
          ),
        );
      }
    });
    if (total > GUEST_BUS_NUMBERS) {
      out.push(error('bus-numbers', undefined, `the PCI tree under ${root.device.id} needs ${total} guest bus numbers; one PCI domain has ${GUEST_BUS_NUMBERS}`));
    }
  }
  return out;
}

export function checkChassis(topo: Topology): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<number, string>();
  for (const bus of topo.buses.values()) {
    if (!isPortRole(bus.spec.role)) continue;
    const chassis = bus.ctrl.target.chassis ?? bus.index;
    const twin = seen.get(chassis);
    if (twin) out.push(error('chassis', bus.device, `chassis ${chassis} is also the chassis of ${twin}: QEMU refuses two PCIe ports with one chassis/slot pair`));
    else seen.set(chassis, bus.device.id);
  }
  return out;
}

export function checkHostdevs(domain: Domain): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, string>();
  for (const d of domain.devices) {
    if (!d.hostSource) continue;
    const twin = seen.get(d.hostSource);
    if (twin) out.push(error('hostdev-duplicate', d, `hostdev already exists in the domain configuration: ${twin} also passes through ${d.hostSource}`));
    else seen.set(d.hostSource, d.id);
  }
  return out;
}
