import { defineCommand } from 'citty';
import { assignDomain } from '../../assign.js';
import { PciplanError } from '../../errors.js';
import type { ParsedDomain } from '../../model/parseDomain.js';
import type { Policy } from '../../model/schemas.js';
import { libvirtAvailable, libvirtUnavailableReason } from '../../oracle/libvirt.js';
import { libvirtPlan } from '../../oracle/libvirtPlan.js';
import { buildTopology } from '../../model/topology.js';
import { brokenRequirements } from '../../validate/validateDomain.js';
import { spareCapacity } from '../../validate/hints.js';
import { readDomainFile } from '../io.js';
import type { SolverChoice } from '../../solver/session.js';
import { formatArg, policyArgs, resolvePolicy, resolveSolver, solverArgs } from '../options.js';
import { renderTable } from '../table.js';
import { movedSince } from '../../stable/moves.js';
import { assignJson, type PlanReport } from './assign.js';

interface Side {
  ok: boolean;
  error?: string;
  addedControllers?: number;
  byModel?: Record<string, number>;
  busNumbers?: number;
  freeHotplugPorts?: number;
  freeHotplugSlots?: number;
  hintsViolated?: number;
  proven?: boolean;
  ms?: number;
  /** With --previous: devices of the previous layout at another address in this one. */
  movedVsPrevious?: number;
  result?: ReturnType<typeof assignJson>;
}

/** The figures compare shows for one plan; `result` has the fields of `assign --format json`. */
function summarise(r: PlanReport, policy: Policy, previous?: ParsedDomain): Side {
  const byModel: Record<string, number> = {};
  for (const c of r.addedControllers) if (c.address) byModel[c.model] = (byModel[c.model] ?? 0) + 1;
  const spare = spareCapacity(r.domain, buildTopology(r.domain));
  const violated = brokenRequirements(r.domain, policy).length;
  return {
    ok: true,
    addedControllers: r.objective.addedControllers,
    byModel,
    busNumbers: r.objective.busNumbers,
    freeHotplugPorts: spare.pciePorts,
    freeHotplugSlots: spare.pciSlots,
    hintsViolated: violated,
    proven: r.proven,
    ms: Math.round(r.ms * 10) / 10,
    ...(previous ? { movedVsPrevious: movedSince(previous.domain, r.domain).size } : {}),
    result: assignJson(r),
  };
}

async function side(parsed: ParsedDomain, strategy: 'greedy' | 'optimal', policy: Policy, solver: SolverChoice, previous?: ParsedDomain): Promise<Side> {
  try {
    // optimal keeps the previous layout's addresses as assign --previous does; greedy is libvirt's pass as it is.
    return summarise(await assignDomain(parsed, { strategy, policy, solver, ...(previous && strategy === 'optimal' ? { previous } : {}) }), policy, previous);
  } catch (e) {
    if (e instanceof PciplanError) return { ok: false, error: e.message };
    throw e;
  }
}

/** Real libvirt's placement of every domain, from one virsh process. */
async function libvirtSides(parsed: ParsedDomain[], policy: Policy, previous?: ParsedDomain): Promise<Side[]> {
  if (!libvirtAvailable()) {
    const why = `libvirt is not available: ${libvirtUnavailableReason()}`;
    process.stderr.write(`pciplan: --libvirt: ${why}\n`);
    return parsed.map(() => ({ ok: false, error: why }));
  }
  return (await libvirtPlan(parsed)).map((p) => (p.ok ? summarise(p, policy, previous) : { ok: false, error: `libvirt refuses it: ${p.error}`, ms: p.ms }));
}

export default defineCommand({
  meta: { name: 'compare', description: 'Greedy (libvirt) and optimal layouts side by side' },
  args: {
    domains: { type: 'positional', required: true, description: 'Domain XML files', valueHint: 'DOMAIN.xml...' },
    format: formatArg(['table', 'json'], 'table'),
    libvirt: { type: 'boolean', description: "Also place each domain with real libvirt (define + dumpxml, offline) as a third column" },
    previous: { type: 'string', description: 'An earlier layout: add a column of the devices each side moves against it (optimal keeps its addresses, as assign --previous)', valueHint: 'OLD.xml' },
    ...policyArgs,
    ...solverArgs,
  },
  async run({ args }) {
    const files = [args.domains, ...(args._ ?? []).filter((f) => f !== args.domains)].filter((f): f is string => typeof f === 'string');
    const policy = resolvePolicy(args);
    const solver = resolveSolver(args);
    const parsed = files.map((f) => readDomainFile(f));
    const previous = typeof args.previous === 'string' ? readDomainFile(args.previous) : undefined;
    const libvirt = args.libvirt ? await libvirtSides(parsed, policy, previous) : undefined;
    const domains: { file: string; greedy: Side; optimal: Side; libvirt?: Side }[] = [];
    for (const [i, p] of parsed.entries()) {
      domains.push({ file: files[i]!, greedy: await side(p, 'greedy', policy, solver, previous), optimal: await side(p, 'optimal', policy, solver, previous), ...(libvirt ? { libvirt: libvirt[i]! } : {}) });
    }
    const strategies = libvirt ? (['greedy', 'optimal', 'libvirt'] as const) : (['greedy', 'optimal'] as const);
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify({ domains }, null, 2)}\n`);
      return;
    }
    const cell = (s: Side, f: (s: Side) => string) => (s.ok ? f(s) : 'fails');
    const rows = domains.flatMap((d) =>
      strategies.map((k) => {
        const s = d[k]!;
        return [
          d.file,
          k,
          cell(s, (x) => String(x.addedControllers)),
          cell(s, (x) => Object.entries(x.byModel!).map(([m, n]) => `${n} ${m}`).join(', ') || '-'),
          cell(s, (x) => String(x.busNumbers)),
          cell(s, (x) => `${x.freeHotplugPorts}/${x.freeHotplugSlots}`),
          cell(s, (x) => String(x.hintsViolated)),
          cell(s, (x) => `${x.ms}`),
          k === 'optimal' ? cell(s, (x) => (x.proven ? 'yes' : 'no')) : '-',
          ...(previous ? [cell(s, (x) => String(x.movedVsPrevious))] : []),
        ];
      }),
    );
    process.stdout.write(renderTable(['DOMAIN', 'STRATEGY', 'ADDED', 'BY MODEL', 'BUSES', 'FREE PORTS/SLOTS', 'HINTS BROKEN', 'MS', 'PROVEN', ...(previous ? ['MOVED VS --PREVIOUS'] : [])], rows));
    for (const d of domains) for (const k of strategies) if (!d[k]!.ok) process.stdout.write(`${d.file}: ${k} fails: ${d[k]!.error}\n`);
  },
});
