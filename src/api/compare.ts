// compare(domains, options): libvirt's greedy layout and the optimal one side by side (and real
// libvirt's, when asked and available), with the figures that tell them apart.
import type { ParsedDomain } from '../model/parseDomain.js';
import type { Policy } from '../model/schemas.js';
import { PciplanError } from '../errors.js';
import { SCHEMA_VERSION } from '../schema/version.js';
import type { CompareJson, PlanJson, SideJson } from '../schema/index.js';
import { planJson } from './assign.js';
import { checkPolicy, checkSolver, checkTimeout, domainOf, toParsed, type DomainInput, type DomainOptions, type SearchOptions } from './options.js';

export interface CompareOptions extends DomainOptions, SearchOptions {
  /** Also place each domain with real libvirt (virsh define + dumpxml in a private, offline libvirt). */
  libvirt?: boolean;
  /** An earlier layout: each side says how many of its devices it moves (optimal keeps its addresses, as assign does with previous). */
  previous?: DomainInput;
}

/** The fields of `pciplan compare --format json`. */
export type CompareReport = CompareJson;

type Plan = Parameters<typeof planJson>[0];

/** The figures compare shows for one plan; `result` has the fields of `assign --format json`. */
async function summarise(r: Plan, policy: Policy, previous?: ParsedDomain): Promise<SideJson> {
  const [{ buildTopology }, { spareCapacity }, { brokenRequirements }, { movedSince }] = await Promise.all([
    import('../model/topology.js'),
    import('../validate/hints.js'),
    import('../validate/validateDomain.js'),
    import('../stable/moves.js'),
  ]);
  const byModel: Record<string, number> = {};
  for (const c of r.addedControllers) if (c.address) byModel[c.model] = (byModel[c.model] ?? 0) + 1;
  const spare = spareCapacity(r.domain, buildTopology(r.domain));
  return {
    ok: true,
    addedControllers: r.objective.addedControllers,
    byModel,
    busNumbers: r.objective.busNumbers,
    freeHotplugPorts: spare.pciePorts,
    freeHotplugSlots: spare.pciSlots,
    hintsViolated: brokenRequirements(r.domain, policy).length,
    proven: r.proven,
    ms: Math.round(r.ms * 10) / 10,
    ...(previous ? { movedVsPrevious: movedSince(previous.domain, r.domain).size } : {}),
    result: planJson(r) satisfies PlanJson,
  };
}

export async function compare(domains: readonly DomainInput[], options: CompareOptions = {}): Promise<CompareReport> {
  const parsed = domains.map((d, i) => domainOf(d, { ...options, ...(domains.length === 1 ? {} : { file: `domain-${i + 1}.xml` }) }));
  const policy = checkPolicy(options.policy);
  const timeoutMs = checkTimeout(options.timeoutMs, 30_000);
  const solver = checkSolver(options.solver);
  const previous = options.previous === undefined ? undefined : toParsed(options.previous, 'previous.xml');
  const { assignDomain } = await import('../assign.js');
  const warnings: string[] = [];
  const side = async (p: ParsedDomain, strategy: 'greedy' | 'optimal'): Promise<SideJson> => {
    try {
      // optimal keeps the previous layout's addresses as assign does; greedy is libvirt's pass as it is.
      return await summarise(await assignDomain(p, { strategy, policy, timeoutMs, solver, ...(previous && strategy === 'optimal' ? { previous } : {}) }), policy, previous);
    } catch (e) {
      if (e instanceof PciplanError && e.kind !== 'internal') return { ok: false, error: e.message };
      throw e;
    }
  };
  let libvirt: SideJson[] | undefined;
  if (options.libvirt) {
    const [{ libvirtAvailable, libvirtUnavailableReason }, { libvirtPlan }] = await Promise.all([import('../oracle/libvirt.js'), import('../oracle/libvirtPlan.js')]);
    if (!libvirtAvailable()) {
      const why = `libvirt is not available: ${libvirtUnavailableReason()}`;
      warnings.push(`--libvirt: ${why}`);
      libvirt = parsed.map(() => ({ ok: false, error: why }));
    } else {
      libvirt = await Promise.all((await libvirtPlan(parsed)).map((p) => (p.ok ? summarise(p, policy, previous) : { ok: false, error: `libvirt refuses it: ${p.error}`, ms: p.ms })));
    }
  }
  const out: CompareJson['domains'] = [];
  for (const [i, p] of parsed.entries()) {
    out.push({ file: p.domain.file, greedy: await side(p, 'greedy'), optimal: await side(p, 'optimal'), ...(libvirt ? { libvirt: libvirt[i]! } : {}) });
  }
  return { schemaVersion: SCHEMA_VERSION, domains: out, warnings };
}
