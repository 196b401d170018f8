// Which devices changed address between two layouts: the one check that `attach` (nothing may
// move) and `assign --previous` (only what a changed requirement forces may move) share.
import { formatAddress, type PciAddress } from '../model/types.js';

/** A device whose address changed, and why it was allowed to (empty when it was not). */
export interface Move {
  id: string;
  from: string;
  to: string;
  why: string;
}

export interface Kept {
  id: string;
  before: PciAddress | undefined;
  after: PciAddress | undefined;
}

const show = (a: PciAddress | undefined) => (a ? formatAddress(a) : 'nowhere');

/** Pairs whose bus, slot or function differ (multifunction attributes are not a move). */
export function addressChanges(pairs: readonly Kept[]): Omit<Move, 'why'>[] {
  return pairs.filter((p) => show(p.before) !== show(p.after)).map((p) => ({ id: p.id, from: show(p.before), to: show(p.after) }));
}

/** The invariant of a kept layout, checked on the result rather than assumed: a move is pciplan's bug. */
export function assertNothingMoved(what: string, pairs: readonly Kept[]): void {
  const m = addressChanges(pairs)[0];
  if (m) throw new Error(`${what} moved ${m.id} from ${m.from} to ${m.to}`);
}

/** One stderr line per move. */
export function moveLine(m: Move): string {
  return `moved ${m.id} from ${m.from} to ${m.to}: ${m.why}`;
}

/**
 * Devices of `previous` that sit elsewhere in `layout` (same name, both addressed): what compare's
 * "moved vs --previous" column counts and show marks. Names are pciplan's device names (alias,
 * natural key, or ordinal within the kind).
 */
export function movedSince(previous: { devices: readonly { id: string; address: { type: string; pci?: PciAddress } }[] }, layout: { devices: readonly { id: string; address: { type: string; pci?: PciAddress } }[] }): Map<string, string> {
  const before = new Map(previous.devices.flatMap((d) => (d.address.type === 'pci' && d.address.pci ? [[d.id, d.address.pci] as const] : [])));
  const out = new Map<string, string>();
  for (const d of layout.devices) {
    const was = before.get(d.id);
    const is = d.address.type === 'pci' ? d.address.pci : undefined;
    if (was && is && show(was) !== show(is)) out.set(d.id, show(was));
  }
  return out;
}
