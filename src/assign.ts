// `assign`: a domain in, the same domain out with every PCI address filled in and the controllers
// it needs added. The given layout is validated first (a broken input is not "fixed" silently),
// and the result is validated again before it is returned.
import { implicitDevices } from './alloc/implicit.js';
import { assignGreedy } from './alloc/greedy.js';
import { PciplanError } from './errors.js';
import { applyLayout, type Layout } from './model/applyLayout.js';
import type { ParsedDomain } from './model/parseDomain.js';
import { readDomain } from './model/parseDomain.js';
import type { Policy } from './model/schemas.js';
import { formatAddress, type Device, type Domain } from './model/types.js';
import { validateDomain } from './validate/validateDomain.js';
import { rootElement, type XmlDocument, type XmlElement } from './xml/tree.js';

export type Strategy = 'greedy';

export interface PlacedDevice {
  id: string;
  kind: string;
  address: string;
  /** kept: the XML gave it; assigned: pciplan chose it; added: a device or controller pciplan adds. */
  origin: 'kept' | 'assigned' | 'added';
  model?: string;
}

export interface AssignResult {
  strategy: Strategy;
  doc: XmlDocument;
  /** The written domain, read back. */
  domain: Domain;
  devices: PlacedDevice[];
  addedControllers: { index: number; model: string; address?: string }[];
  /** One line per hint the strategy could not honour. */
  ignoredHints: string[];
  ms: number;
}

export interface AssignOptions {
  strategy: Strategy;
  policy: Policy;
}

/** Refuse a layout that breaks a rule before placing anything around it. */
function checkInput(domain: Domain, policy: Policy): void {
  const { problems } = validateDomain(domain, { ...policy, sparePciePorts: undefined, sparePciSlots: undefined });
  // Hints are requirements for the allocator, not faults of the input, until devices are placed;
  // a bus named by an address but not written is one of the controllers the allocator adds.
  const errors = problems.filter((p) => p.severity === 'error' && !p.rule.startsWith('hint-') && p.rule !== 'bus-missing');
  if (errors.length === 0) return;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: run pciplan validate)` : '';
  throw new PciplanError('invalid', `${domain.file}${first.line ? `:${first.line}` : ''}: ${first.device ? `${first.device}: ` : ''}${first.message} [${first.rule}]${more}`);
}

function describeHints(d: Device): string[] {
  const out: string[] = [];
  const h = d.hints;
  if (h.hotplug !== undefined) out.push(`hotplug='${h.hotplug ? 'yes' : 'no'}'`);
  if (h.bus) out.push(`bus='${h.bus}'`);
  if (h.numa !== undefined) out.push(`numa='${h.numa}'`);
  if (h.group) out.push(`group='${h.group}'`);
  return out;
}

export function assignDomain(parsed: ParsedDomain, opts: AssignOptions): AssignResult {
  const start = performance.now();
  const { doc, domain } = parsed;
  checkInput(domain, opts.policy);
  const root = rootElement(doc);
  const deviceEls = domain.devices.map((d) => (root.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement);
  const implicit = implicitDevices(domain, deviceEls);
  const result = assignGreedy(domain, implicit);
  const ignoredHints = domain.devices.flatMap((d) =>
    describeHints(d).map((h) => `greedy ignores ${h} on ${d.id}: libvirt's algorithm cannot express it`),
  );

  const layout: Layout = {
    addresses: new Map([...result.addresses].filter(([i]) => i < domain.devices.length)),
    added: result.added,
    implicit: implicit.map((i) => ({ element: i.element, ...(result.addresses.has(i.device.index) ? { address: result.addresses.get(i.device.index)! } : {}) })),
  };
  const out = applyLayout(doc, domain, layout);
  const written = readDomain(out, domain.file);

  const check = validateDomain(written, opts.policy);
  const errors = check.problems.filter((p) => p.severity === 'error' && !p.rule.startsWith('hint-') && p.rule !== 'policy-spares');
  if (errors.length) throw new Error(`the ${opts.strategy} layout fails validation: ${errors[0]!.device ?? ''} ${errors[0]!.message}`);

  const devices: PlacedDevice[] = result.devices
    .filter((d) => result.addresses.has(d.index))
    .map((d) => {
      const model = d.pci?.model ?? d.props.model;
      return {
        id: d.id,
        kind: d.kind,
        address: formatAddress(result.addresses.get(d.index)!),
        origin: d.index >= domain.devices.length ? ('added' as const) : d.address.type === 'pci' && d.address.pci ? ('kept' as const) : ('assigned' as const),
        ...(model ? { model } : {}),
      };
    })
    .sort((x, y) => x.address.localeCompare(y.address));
  return {
    strategy: opts.strategy,
    doc: out,
    domain: written,
    devices,
    addedControllers: [
      ...implicit.filter((i) => i.device.pci).map((i) => ({ index: i.device.pci!.index, model: i.device.pci!.model as string })),
      ...result.added.map((c) => ({ index: c.index, model: c.model as string, ...(c.address ? { address: formatAddress(c.address) } : {}) })),
    ],
    ignoredHints,
    ms: performance.now() - start,
  };
}
