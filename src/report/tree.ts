// The PCI tree as a person reads it: each bus with what sits in its slots, ports and bridges with
// their own buses nested below, free ports marked. Pure: Domain in, text out.
import { CONTROLLERS } from '../catalog/index.js';
import { addressOf, buildTopology, busHotpluggable, type Bus } from '../model/topology.js';
import { formatAddress, needsPciAddress, type Device, type Domain } from '../model/types.js';

function label(d: Device): string {
  if (d.pci) {
    const t = d.pci.target;
    const extras = [
      t.hotplug === 'off' ? "hotplug='off'" : '',
      t.node !== undefined ? `NUMA node ${t.node}` : '',
      t.busNr !== undefined ? `busNr ${t.busNr}` : '',
    ].filter(Boolean);
    return `${d.id} ${d.pci.model}${extras.length ? ` (${extras.join(', ')})` : ''}`;
  }
  const model = d.props.model ? ` ${d.props.model}` : '';
  const hints = Object.entries(d.hints).map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
  return `${d.id}${model}${hints.length ? ` [${hints.join(' ')}]` : ''}`;
}

export function renderTree(domain: Domain): string {
  const topo = buildTopology(domain);
  const onBus = new Map<number, Device[]>();
  for (const d of domain.devices) {
    const a = addressOf(d);
    if (!a || d.cls.addressRule === 'mirror') continue;
    onBus.set(a.bus, [...(onBus.get(a.bus) ?? []), d]);
  }
  const lines: string[] = [];
  const walk = (bus: Bus, prefix: string, seen: Set<number>) => {
    if (seen.has(bus.index)) return;
    seen.add(bus.index);
    const children = (onBus.get(bus.index) ?? []).sort((x, y) => {
      const a = addressOf(x)!;
      const b = addressOf(y)!;
      return a.slot - b.slot || a.function - b.function;
    });
    if (children.length === 0 && bus.spec.accepts.some((t) => t === 'pcie-device' || t === 'pci-device')) {
      lines.push(`${prefix}└─ (free${busHotpluggable(bus) ? ', hot-pluggable' : ''})`);
    }
    children.forEach((d, i) => {
      const last = i === children.length - 1;
      lines.push(`${prefix}${last ? '└─' : '├─'} ${formatAddress(addressOf(d)!).slice(5)} ${label(d)}`);
      const own = d.pci ? topo.buses.get(d.pci.index) : undefined;
      if (own && own.device === d) walk(own, `${prefix}${last ? '   ' : '│  '}`, seen);
    });
  };
  const roots = [...topo.buses.values()].filter((b) => CONTROLLERS[b.ctrl.model].connect === null);
  for (const root of roots) {
    const hp = busHotpluggable(root) ? 'hot-pluggable' : 'not hot-pluggable';
    lines.push(`${root.ctrl.model === 'pcie-root' ? 'pcie.0' : `pci.${root.index}`} (${root.ctrl.model}, bus ${root.index}, ${hp})`);
    walk(root, '', new Set());
  }
  const unplaced = domain.devices.filter((d) => needsPciAddress(d) && !addressOf(d));
  if (unplaced.length) lines.push(`no address yet (${unplaced.length}): ${unplaced.map((d) => d.id).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
