// Device-to-address tables for comparing a layout with libvirt's.
import type { Domain } from '../src/model/types.js';
import { formatAddress } from '../src/model/types.js';

/** id -> address of every device with a PCI address; PCI controllers also carry their model. */
export function addressTable(domain: Domain): Map<string, string> {
  const t = new Map<string, string>();
  for (const d of domain.devices) {
    if (d.address.type !== 'pci' || !d.address.pci || d.cls.addressRule === 'mirror') continue;
    // Controllers by type, index and model: libvirt reorders them, so document ordinals differ.
    const key = d.pci ? `${d.id} ${d.pci.model}` : d.kind === 'controller' ? `controller[${d.props.type} ${d.props.index} ${d.props.model ?? ''}]` : d.id;
    t.set(key, formatAddress(d.address.pci));
  }
  return t;
}

/** The differences between two tables, as readable lines (empty when equal). */
export function tableDiff(ours: Map<string, string>, theirs: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of theirs) if (ours.get(k) !== v) out.push(`${k}: ours ${ours.get(k) ?? '-'}, libvirt ${v}`);
  for (const [k, v] of ours) if (!theirs.has(k)) out.push(`${k}: ours ${v}, libvirt -`);
  return out;
}
