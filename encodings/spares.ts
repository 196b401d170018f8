/*
 * Spare capacity: free hot-pluggable ports and conventional slots that stay empty.
 *
 *   sum_L spP_L >= sparePorts        sum_L spS_L >= spareSlots          (both tracked)
 *
 * The counts come from the policy, or from libvirt's promise (one spare root port on a new PCIe
 * domain, one free conventional slot on pci-root machines, where libvirt's own layout keeps one).
 * ports.ts and pciSlots.ts reserve the capacity; here it is demanded.
 */
import type { CountInstance } from './instance.js';
import { ge, sum, type Smt } from '../src/solver/smt.js';
import type { Vars } from './variables.js';
import { smtName } from '../src/rules.js';

/** Returns the names of the tracked demands it made (none when no spare is asked for). */
export function encodeSpares(inst: CountInstance, v: Vars, smt: Smt): string[] {
  const { ports, slots } = inst.spares;
  const lv = [...v.loc.values()];
  const names: string[] = [];
  if (ports > 0) {
    smt.require('spare-ports', undefined, `keep ${ports} free hot-pluggable PCIe port${ports === 1 ? '' : 's'}`, ge(sum(lv.map((l) => l.spP)), String(ports)));
    names.push(smtName('spare-ports'));
  }
  if (slots > 0) {
    smt.require('spare-slots', undefined, `keep ${slots} free hot-pluggable PCI slot${slots === 1 ? '' : 's'}`, ge(sum(lv.map((l) => l.spS)), String(slots)));
    names.push(smtName('spare-slots'));
  }
  return names;
}
