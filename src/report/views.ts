// What one picture shows: a domain's tree with the heading that says where the layout came from
// (as written, or a strategy's result with its controller count). `--compare` shows two.
import type { AssignResult } from '../assign.js';
import type { Policy } from '../model/schemas.js';
import type { Domain } from '../model/types.js';
import { buildPciTree, plural, type PciTree } from './pciTree.js';

export interface View {
  /** Prefix that keeps node ids apart when several views share one graph or page ('' alone). */
  key: string;
  heading: string;
  tree: PciTree;
  /** Controllers the strategy added (undefined for a domain as written). */
  addedControllers?: number;
}

export function writtenView(domain: Domain, policy: Policy = {}): View {
  return { key: '', heading: `${domain.name} (${domain.machineName}), as written`, tree: buildPciTree(domain, policy) };
}

export function strategyView(r: AssignResult, policy: Policy = {}, key = ''): View {
  const n = r.objective.addedControllers;
  const proof = r.strategy === 'optimal' ? (r.proven ? ', proven optimal' : `, not proven (no layout needs fewer than ${r.lowerBound})`) : '';
  const who = r.strategy === 'greedy' ? 'greedy (libvirt)' : 'optimal';
  return {
    key,
    heading: `${r.domain.name} (${r.domain.machineName}), ${who}: ${plural(n, 'controller')} added${proof}`,
    tree: buildPciTree(r.domain, policy),
    addedControllers: n,
  };
}

/** A strategy that gives no layout (under --compare): the domain as written, and why. */
export function failedView(domain: Domain, strategy: 'greedy' | 'optimal', message: string, policy: Policy = {}, key = ''): View {
  const who = strategy === 'greedy' ? 'greedy (libvirt)' : 'optimal';
  const why = message.startsWith(`${domain.file}: `) ? message.slice(domain.file.length + 2) : message;
  return { key, heading: `${domain.name} (${domain.machineName}), ${who} gives no layout: ${why}; shown as written`, tree: buildPciTree(domain, policy) };
}
