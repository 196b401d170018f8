// Why a layout adds what it adds: each added controller is traced to what sits below it, and the
// requirement that put it there (a hotplug hint or default, a NUMA hint, a conventional PCI
// device, a spare the policy keeps, a full bus 0). Controllers with the same model and reason are
// counted together: "3 pcie-root-port: hotplug=yes on disk[vda], disk[vdb], interface[net0]".
import type { AssignResult } from '../assign.js';
import { CONTROLLERS, isExpanderRole } from '../catalog/index.js';
import { ROOT_CONTROLLER } from '../model/rootHotplug.js';
import type { Policy } from '../model/schemas.js';
import { addressOf, buildTopology, busHotpluggable, numaBus } from '../model/topology.js';
import type { Device } from '../model/types.js';
import { nameList } from '../conflict.js';

export interface ControllerReason {
  model: string;
  count: number;
  /** The controllers' indexes. */
  indexes: number[];
  reason: string;
  /** Devices (or controllers) the reason names. */
  devices: string[];
}

function hotplugSource(d: Device, policy: Policy): string {
  if (d.hints.hotplug !== undefined) return 'hint';
  if (policy.hotplug) return 'policy';
  return "libvirt's default";
}

/** Endpoints below a bus, all the way down. */
function endpointsBelow(bus: number, children: Map<number, Device[]>): Device[] {
  return (children.get(bus) ?? []).flatMap((d) => (d.pci ? endpointsBelow(d.pci.index, children) : [d]));
}

export function explainLayout(result: AssignResult, policy: Policy): ControllerReason[] {
  const domain = result.domain;
  const topo = buildTopology(domain);
  const children = new Map<number, Device[]>();
  for (const d of domain.devices) {
    const a = addressOf(d);
    if (a) children.set(a.bus, [...(children.get(a.bus) ?? []), d]);
  }
  const groups = new Map<string, ControllerReason>();
  const add = (model: string, index: number, reason: string, devices: string[]) => {
    const key = `${model}\u0000${reason}`;
    const g = groups.get(key) ?? { model, count: 0, indexes: [], reason, devices: [] };
    g.count++;
    g.indexes.push(index);
    g.devices.push(...devices);
    groups.set(key, g);
  };
  // A setting the plan changed comes first: the controllers it adds may follow from it.
  for (const c of result.settings) add(result.domain.machine.root, 0, c.devices.length ? `hotplug='${c.target.hotplug}' set, so that the guest cannot eject` : `hotplug='${c.target.hotplug}' set, for the policy's hotplug='no'`, c.devices);
  const rootOff = result.settings.some((c) => c.device === ROOT_CONTROLLER && c.target.hotplug === 'off');
  const added = result.addedControllers.filter((c) => CONTROLLERS[c.model as keyof typeof CONTROLLERS]?.connect);
  for (const c of added) {
    const bus = topo.buses.get(c.index);
    if (!bus) continue;
    const below = children.get(c.index) ?? [];
    const endpoints = below.filter((d) => !d.pci);
    const ctrls = below.filter((d) => d.pci);
    const spec = bus.spec;
    const node = numaBus(topo, c.index)?.ctrl.target.node;
    const onNode = node !== undefined ? ` on NUMA node ${node}` : '';
    const sources = (ds: Device[]) => [...new Set(ds.map((d) => hotplugSource(d, policy)))].join(', ');
    if (isExpanderRole(spec.role)) {
      const all = endpointsBelow(c.index, children);
      const numa = all.filter((d) => d.hints.numa !== undefined);
      if (node !== undefined && numa.length) add(c.model, c.index, `numa='${node}' on`, numa.map((d) => d.id));
      else add(c.model, c.index, 'more slots than bus 0 has free, for', all.map((d) => d.id));
      continue;
    }
    if (endpoints.length === 0 && ctrls.length === 0) {
      const source = policy.sparePciePorts !== undefined || policy.sparePciSlots !== undefined ? 'the policy' : "libvirt's default";
      add(c.model, c.index, `kept free for hotplug later (${source} spare)`, []);
      continue;
    }
    if (endpoints.length === 0) {
      add(c.model, c.index, `connects${onNode}`, ctrls.map((d) => `${d.pci!.model} ${d.pci!.index}`));
      continue;
    }
    const names = endpoints.map((d) => d.id);
    const kind = spec.accepts.includes('pcie-device') ? 'pcie' : 'pci';
    if (kind === 'pci') {
      const why = !busHotpluggable(bus) ? ' (not hot-pluggable)' : rootOff ? " (hot-pluggable: pci.0's are not)" : '';
      add(c.model, c.index, `conventional PCI slots${why}${onNode} for`, names);
    } else if (busHotpluggable(bus)) {
      add(c.model, c.index, `hotplug=yes (${sources(endpoints)})${onNode} for`, names);
    } else {
      // Off bus 0 only because bus 0 is full, or because an expander's bus takes only ports.
      add(c.model, c.index, `hotplug=no (${sources(endpoints)})${node !== undefined ? onNode : ', bus 0 has no free slot,'} for`, names);
    }
  }
  return [...groups.values()].sort((x, y) => x.indexes[0]! - y.indexes[0]!);
}

export function reasonLine(r: ControllerReason): string {
  const what = `${r.count} ${r.model}`;
  return r.devices.length ? `${what}: ${r.reason} ${nameList(r.devices, 8)}` : `${what}: ${r.reason}`;
}
