// The count model (src/optimal/solve.ts on encodings/*.ts) against an independent exact per-slot
// model (encodings/exact.ts) on small instances: both must find the same minimum number of added
// controllers, and both must call the same instances infeasible.
//
// The exact model states the PCI rules as written (README, docs/pci-rules.md). Earlier count
// models read some of them more narrowly (new expanders numbered only below existing busNr values,
// unhinted devices kept off node expanders, no hotplug='off' downstream ports); the count model now
// follows each rule as written, and the tests at the end keep the instances that told them apart.
import { describe, expect, it } from 'vitest';
import { solveExact, solveExactDetailed, type ExactOutcome } from '../../encodings/exact.js';
import { implicitDevices } from '../../src/alloc/implicit.js';
import { assignGreedy, type GreedyResult } from '../../src/alloc/greedy.js';
import { PciplanError } from '../../src/errors.js';
import type { CountInstance, CountUnit, Location } from '../../encodings/instance.js';
import { buildInstance, classify, type Instance } from '../../src/optimal/instance.js';
import type { ControllerModel, RootRole } from '../../src/catalog/index.js';
import { buildModel, solveInstance } from '../../src/optimal/solve.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import type { Policy } from '../../src/model/schemas.js';
import { openSession } from '../../src/solver/backend.js';
import { SOLVER_CHOICES, type SolverChoice } from '../../src/solver/session.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { rootElement, type XmlElement } from '../../src/xml/tree.js';
import { fakeZ3, withZ3 } from '../helpers/fakeZ3.js';
import { Rng } from '../helpers/prng.js';

type Answer = 'unsat' | `sat ${number}`;
const answer = (o: ExactOutcome | { status: string; added?: number }): Answer => (o.status === 'sat' ? `sat ${o.added!}` : o.status === 'unsat' ? 'unsat' : (`${o.status}` as Answer));

/**
 * The backend both models run on: auto by default, $PCIPLAN_SOLVER (native or wasm) to run this
 * file on one of them (the count model and the exact model on the same one).
 */
const SOLVER: SolverChoice = (() => {
  const v = process.env.PCIPLAN_SOLVER ?? 'auto';
  if (!SOLVER_CHOICES.includes(v as SolverChoice)) throw new Error(`PCIPLAN_SOLVER must be one of ${SOLVER_CHOICES.join(', ')}, got '${v}'`);
  return v as SolverChoice;
})();

async function count(inst: CountInstance): Promise<Answer> {
  const r = await solveInstance(inst, { timeoutMs: 30_000, solver: SOLVER });
  // A layout the count model did not prove optimal (time out) is no answer to compare.
  return r.status === 'sat' && !r.proven ? (`unproven sat ${r.added}` as Answer) : answer(r);
}

/** Diagnostics for a disagreement: the count model without its analytic lower bound. */
async function countWithoutLowerBound(inst: CountInstance): Promise<Answer> {
  // The model's script carries no bound: solve.ts asserts the bounds per check.
  const { smt, vars } = buildModel(inst);
  const script = smt.script();
  const z3 = await openSession(SOLVER);
  try {
    // A limit of its own: the WASM build cannot be stopped from outside, and a session that never
    // ends would hold the solver from every later test.
    await z3.eval(`(set-option :timeout 60000)\n${script}\n(minimize ${vars.added})`);
    const r = (await z3.eval('(check-sat)')).trim();
    if (r !== 'sat') return r as Answer;
    return `sat ${Number(/(\d+)\)\)\s*$/.exec(await z3.eval(`(get-value (${vars.added}))`))![1])}`;
  } finally {
    z3.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Domains -> instances, exactly as src/assign.ts does for the optimal strategy.

interface Case {
  name: string;
  xml: string;
  policy: Policy;
}

function instanceFor(c: Case): { inst: Instance } | { skip: string } {
  const { doc, domain } = parseDomain(c.xml, c.name);
  // assign.ts checkInput: refuse a broken input (hints and missing buses are the allocator's job).
  const { problems } = validateDomain(domain, { ...c.policy, sparePciePorts: undefined, sparePciSlots: undefined });
  const errors = problems.filter((p) => p.severity === 'error' && !p.rule.startsWith('hint-') && p.rule !== 'bus-missing');
  if (errors.length) return { skip: `input: ${errors[0]!.rule}` };
  const root = rootElement(doc);
  const els = domain.devices.map((d) => (root.children[d.path[0]!] as XmlElement).children[d.path[1]!] as XmlElement);
  const implicit = implicitDevices(domain, els);
  let greedy: GreedyResult | undefined;
  try {
    greedy = assignGreedy(domain, implicit);
  } catch (e) {
    if (!(e instanceof PciplanError)) throw e;
  }
  // assign.ts adds the controllers addresses on missing buses force; the domains here write none.
  const referenced = Math.max(0, ...domain.devices.map((d) => (d.address.type === 'pci' && d.address.pci ? d.address.pci.bus : 0)));
  if (referenced > 0 && greedy?.added.some((x) => x.index <= referenced)) return { skip: 'forced controllers' };
  try {
    return { inst: buildInstance(domain, [...domain.devices, ...implicit.map((x) => x.device)], c.policy, greedy) };
  } catch (e) {
    if (e instanceof PciplanError) return { skip: `instance: ${e.message.replace(/\(.*$/, '').slice(0, 60)}` };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Random small domains.

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;
const pciAddress = (slot: number) => `<address type='pci' domain='0x0000' bus='0x00' slot='${hex(slot)}' function='0x0'/>`;

function domain(machine: 'q35' | 'pc', cells: number, devices: string[]): string {
  const cpu = cells
    ? `  <cpu>\n    <numa>\n${Array.from({ length: cells }, (_, c) => `      <cell id='${c}' cpus='${c}' memory='131072' unit='KiB'/>`).join('\n')}\n    </numa>\n  </cpu>\n`
    : '';
  return `<domain type='qemu'>
  <name>exact</name>
  <memory unit='KiB'>${131072 * Math.max(1, cells)}</memory>
  <vcpu placement='static'>${Math.max(1, cells)}</vcpu>
  <os>
    <type arch='x86_64' machine='${machine}'>hvm</type>
  </os>
${cpu}  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${devices.map((d) => d.replace(/^/gm, '    ')).join('\n')}
  </devices>
</domain>
`;
}

const hintEl = (attrs: string) => (attrs ? `\n  <addressPreferences ${attrs}/>` : '');
const disk = (dev: string, hints = '', extra = '') =>
  `<disk type='file' device='disk'>\n  <source file='/var/lib/libvirt/images/${dev}.img'/>\n  <target dev='${dev}' bus='virtio'/>${hintEl(hints)}${extra ? `\n  ${extra}` : ''}\n</disk>`;
const nic = (mac: string, model: string, hints = '', extra = '') =>
  `<interface type='user'>\n  <mac address='52:54:00:${mac}'/>\n  <model type='${model}'/>${hintEl(hints)}${extra ? `\n  ${extra}` : ''}\n</interface>`;
const NO_BALLOON = `<memballoon model='none'/>`;
const NO_USB = `<controller type='usb' index='0' model='none'/>`;
/** Fixed e1000s in bus-0 slots first..last: a crowded pcie.0 / pci.0. */
const crowd = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, k) => nic(`00:01:${hex(first + k).slice(2)}`, 'e1000', '', pciAddress(first + k)));

/**
 * One small random domain: q35 or pc; 1-6 virtio disks, virtio NICs (PCIe on q35), e1000 and
 * rtl8139 (conventional PCI) with random hotplug/numa/group hints; sometimes NUMA cells, existing
 * controllers (root ports, bridges, an expander with or without busNr), a crowded bus 0, no
 * balloon or USB controller; random policies.
 */
export function randomCase(seed: number, i: number): Case {
  const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
  const q35 = rng.chance(0.6);
  const cells = rng.chance(0.4) ? rng.int(1, 3) : 0;
  const devs: string[] = [];
  for (let k = 0, n = rng.int(1, 6); k < n; k++) {
    const attrs: string[] = [];
    if (rng.chance(0.55)) {
      if (rng.chance(0.6)) attrs.push(`hotplug='${rng.chance(0.5) ? 'yes' : 'no'}'`);
      if (cells && rng.chance(0.45)) attrs.push(`numa='${rng.int(0, cells - 1)}'`);
      if (rng.chance(0.25)) attrs.push(`group='${rng.pick(['g0', 'g1'])}'`);
    }
    const kind = rng.pick(['disk', 'virtio', 'e1000', 'rtl8139'] as const);
    // bus='pci' suits every device; bus='pcie' only virtio ones on q35 (a conventional PCI model,
    // or a machine without pcie-root, cannot honour it).
    if (rng.chance(0.1)) attrs.push(`bus='${q35 && (kind === 'disk' || kind === 'virtio') && rng.chance(0.5) ? 'pcie' : 'pci'}'`);
    devs.push(kind === 'disk' ? disk(`vd${String.fromCharCode(97 + k)}`, attrs.join(' ')) : nic(`00:00:${hex(k + 1).slice(2)}`, kind, attrs.join(' ')));
  }
  let index = 0;
  if (rng.chance(0.25)) {
    const models = q35 ? [`pcie-root-port'>\n  <target hotplug='off'/>\n`, `pcie-root-port'>\n`, `dmi-to-pci-bridge'>\n`] : [`pci-bridge'>\n`];
    for (let k = rng.int(1, 2); k > 0; k--) devs.push(`<controller type='pci' index='${++index}' model='${rng.pick(models)}</controller>`);
  }
  if (cells && rng.chance(0.2)) {
    const busNr = rng.chance(0.5) ? ` busNr='${rng.pick([254, 200, 100, 8])}'` : '';
    devs.push(`<controller type='pci' index='${++index}' model='${q35 ? 'pcie' : 'pci'}-expander-bus'>\n  <target${busNr}>\n    <node>${rng.int(0, cells - 1)}</node>\n  </target>\n</controller>`);
  }
  if (rng.chance(0.12)) devs.push(...crowd(q35 ? 1 : 3, (q35 ? 30 : 31) - rng.int(0, 3)));
  if (rng.chance(0.3)) devs.push(NO_BALLOON);
  if (rng.chance(0.3)) devs.push(NO_USB);
  const policy: Policy = {};
  if (rng.chance(0.5)) policy.sparePciePorts = rng.int(0, 2);
  if (rng.chance(0.3)) policy.sparePciSlots = rng.int(0, 1);
  if (rng.chance(0.3)) policy.hotplug = rng.chance(0.6) ? 'no' : 'yes';
  if (rng.chance(0.1)) policy.packFunctions = true;
  if (rng.chance(0.12)) {
    const models = q35
      ? (['pcie-root-port', 'pcie-switch-upstream-port', 'pcie-switch-downstream-port', 'pcie-to-pci-bridge', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-expander-bus'] as const)
      : (['pci-bridge', 'pci-expander-bus'] as const);
    policy.addControllers = models.filter(() => rng.chance(0.6));
  }
  return { name: `random ${seed}#${i}`, xml: domain(q35 ? 'q35' : 'pc', cells, devs), policy };
}

function describeInstance(inst: CountInstance): string {
  const units = inst.units.map((u) => `${u.devices.map((d) => d.id).join('+')} ${u.kind}${u.hotplug === undefined ? '' : u.hotplug ? ' hp' : ' nohp'}${u.numa === undefined ? '' : ` numa${u.numa}`}${u.packable ? ' pack' : ''}`);
  const locs = inst.locations.map((l) => `${l.id}${l.expander?.existing ? `(existing busNr=${l.expander.busNr ?? '-'})` : ''}: hpPorts=${l.hpPorts} offPorts=${l.offPorts} up=${l.upstreamFree} hpSlots=${l.hpSlots} offSlots=${l.offSlots}`);
  return [`${inst.rootKind} root=${JSON.stringify(inst.root)} spares=${JSON.stringify(inst.spares)} allowed=${[...inst.allowed].join(',')}`, ...units, ...locs].join('\n    ');
}

// ---------------------------------------------------------------------------------------------

// PCIPLAN_EXACT_SEED and PCIPLAN_EXACT_COUNT run other or more random domains.
const SEED = Number(process.env.PCIPLAN_EXACT_SEED ?? 20261122);
const TARGET = Number(process.env.PCIPLAN_EXACT_COUNT ?? 300);
/**
 * One test per instance, the instances fixed before any runs: a test's work is one instance's
 * solves, each bounded by its own Z3 budget (exact 60 s, count 30 s), and the test's timeout is
 * above their sum, so a busy machine makes the suite slower but cannot cut a test short or let
 * one test's leftovers run into the next.
 */
const INSTANCE_TEST_TIMEOUT_MS = 240_000;

describe('exact per-slot model vs count model on random small domains', () => {
  const results: { name: string; count: Answer; exact: Answer }[] = [];
  const skipped = new Map<string, number>();
  const cases: { c: Case; inst: Instance }[] = [];
  for (let i = 0; cases.length < TARGET && i < 2 * TARGET; i++) {
    const c = randomCase(SEED, i);
    const r = instanceFor(c);
    if ('skip' in r) skipped.set(r.skip, (skipped.get(r.skip) ?? 0) + 1);
    else cases.push({ c, inst: r.inst });
  }

  it.each(cases.map(({ c }, i) => [c.name, i] as const))(
    'agree on the optimum and on infeasibility: %s',
    async (_, i) => {
      const { c, inst } = cases[i]!;
      const exact = answer(await solveExact(inst, { solver: SOLVER }));
      const counted = await count(inst);
      results.push({ name: c.name, count: counted, exact });
      if (counted !== exact) {
        const noLb = await countWithoutLowerBound(inst);
        const why = noLb === exact ? 'the count model without its analytic lower bound agrees: the lower bound is too high' : `without its lower bound the count model says ${noLb}`;
        expect.fail(`${c.name}: count ${counted}, exact ${exact} (${why})\n  policy ${JSON.stringify(c.policy)}\n    ${describeInstance(inst)}\n${c.xml}`);
      }
    },
    INSTANCE_TEST_TIMEOUT_MS,
  );

  it('the sample is complete', () => {
    expect(cases.length).toBe(TARGET);
    expect(results.length).toBe(TARGET);
    console.info(
      `exact vs count (${SOLVER}): ${results.filter((r) => r.count === r.exact).length}/${results.length} agree (${[...skipped.values()].reduce((a, b) => a + b, 0)} domains skipped: ${[...skipped].map(([k, v]) => `${k} x${v}`).join('; ')}); ` +
        `infeasible: ${results.filter((r) => r.exact === 'unsat').length}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-made instances with known optima.

const q35 = (devices: string[], cells = 0) => domain('q35', cells, devices);
const pc = (devices: string[], cells = 0) => domain('pc', cells, devices);

async function both(xml: string, policy: Policy): Promise<{ inst: Instance; exact: Answer; count: Answer }> {
  const r = instanceFor({ name: 'hand-made', xml, policy });
  if ('skip' in r) throw new Error(r.skip);
  return { inst: r.inst, exact: answer(await solveExact(r.inst, { solver: SOLVER })), count: await count(r.inst) };
}

/** An instance of the count model written directly, for topologies no small domain reaches. */
function handInstance(spec: {
  rootKind: RootRole;
  units: Partial<CountUnit>[];
  locations: Partial<Location>[];
  root: CountInstance['root'];
  spares?: CountInstance['spares'];
  allowed: ControllerModel[];
}): CountInstance {
  const units: CountUnit[] = spec.units.map((u, i) => ({
    devices: [{ id: `unit[${i}]`, hints: {} }],
    kind: 'pcie',
    hotplug: undefined,
    numa: undefined,
    integrated: false,
    onRoot: true,
    packable: false,
    ...u,
  }));
  const classes = classify(units);
  const locations = spec.locations.map((l): Location => ({ id: 'R', node: undefined, hpPorts: 0, offPorts: 0, upstreamFree: 0, hpSlots: 0, offSlots: 0, pciBuses: 0, ...l }));
  return {
    rootKind: spec.rootKind,
    units,
    classes,
    locations,
    root: spec.root,
    overflowRootPorts: [],
    freeIndexes: 255,
    spares: spec.spares ?? { ports: 0, slots: 0 },
    buses: { used: 1 + spec.locations.length, rootRegion: 1 + spec.locations.length, lowestBusNr: 256 },
    allowed: new Set(spec.allowed),
  };
}

describe('exact per-slot model and count model on hand-made instances', () => {
  it('a new q35 domain: one root port per PCIe device, one spare, a bridge pair for the e1000', async () => {
    // Units: vda, the implicit qemu-xhci and virtio memballoon (PCIe, hot-pluggable as libvirt
    // makes them) and the e1000 (conventional PCI, hot-pluggable); libvirt's one spare port.
    // 3 root ports + 1 spare root port + (root port + pcie-to-pci-bridge, or dmi-to-pci-bridge +
    // pci-bridge) for the e1000 = 6; nothing cheaper: each hot-pluggable PCIe device and the spare
    // need a port of their own and the e1000 a hot-pluggable PCI slot behind two controllers.
    expect(await both(q35([disk('vda'), nic('00:00:01', 'e1000')]), {})).toMatchObject({ exact: 'sat 6', count: 'sat 6' });
  });

  it('hotplug=no PCIe devices sit on pcie.0: nothing to add', async () => {
    // Two virtio disks and a virtio NIC, hotplug='no' by policy, no spares: three free pcie.0 slots.
    const r = await both(q35([disk('vda'), disk('vdb'), nic('00:00:01', 'virtio'), NO_BALLOON, NO_USB]), { hotplug: 'no', sparePciePorts: 0 });
    expect(r).toMatchObject({ exact: 'sat 0', count: 'sat 0' });
  });

  it('pc: conventional devices on pci.0, which is hot-pluggable: nothing to add', async () => {
    // Three e1000s, the balloon and libvirt's one spare slot all fit in pci.0's free slots.
    expect(await both(pc([nic('00:00:01', 'e1000'), nic('00:00:02', 'e1000'), nic('00:00:03', 'rtl8139')]), {})).toMatchObject({ exact: 'sat 0', count: 'sat 0' });
  });

  it("pc with pci-root hotplug='off': hot-pluggable devices need one pci-bridge", async () => {
    // pci.0 cannot hotplug; the two hotplug='yes' e1000s share one pci-bridge (31 slots) = 1.
    const root = `<controller type='pci' index='0' model='pci-root'>\n  <target hotplug='off'/>\n</controller>`;
    const r = await both(pc([root, nic('00:00:01', 'e1000', "hotplug='yes'"), nic('00:00:02', 'e1000', "hotplug='yes'"), NO_BALLOON]), { sparePciSlots: 0 });
    expect(r).toMatchObject({ exact: 'sat 1', count: 'sat 1' });
  });

  it('packFunctions: three hotplug=no disks share the last free pcie.0 slot', async () => {
    // pcie.0 has one free slot (0x1e). Packed: the three disks are functions 0-2 of it = 0.
    // Unpacked: one disk takes the slot and the others find nothing (a root port needs a slot),
    // or the slot holds three hotplug='off' root ports (functions 0-2), one per disk = 3.
    const devices = [...crowd(1, 29), disk('vda'), disk('vdb'), disk('vdc'), NO_BALLOON, NO_USB];
    expect(await both(q35(devices), { hotplug: 'no', sparePciePorts: 0, packFunctions: true })).toMatchObject({ exact: 'sat 0', count: 'sat 0' });
    expect(await both(q35(devices), { hotplug: 'no', sparePciePorts: 0 })).toMatchObject({ exact: 'sat 3', count: 'sat 3' });
  });

  it('pcie.0 full: no layout at all', async () => {
    // Every pcie.0 slot holds a fixed e1000; a hot-pluggable disk needs a root port, which needs a
    // slot; an expander needs one too. Infeasible in both models.
    expect(await both(q35([...crowd(1, 30), disk('vda', "hotplug='yes'"), NO_BALLOON, NO_USB]), { sparePciePorts: 0 })).toMatchObject({ exact: 'unsat', count: 'unsat' });
  });

  it('a NUMA device: an expander, a root port under it', async () => {
    // vda asks for node 1: pcie-expander-bus (node 1) + a root port on it = 2.
    expect(await both(q35([disk('vda', "hotplug='yes' numa='1'"), NO_BALLOON, NO_USB], 2), { sparePciePorts: 0 })).toMatchObject({ exact: 'sat 2', count: 'sat 2' });
  });

  it('bus 0 full, one free root port: a switch gives the ports', async () => {
    // Two hot-pluggable PCIe units, one existing free hot-pluggable root port, no free pcie.0
    // slot or root-port function: an upstream port on the free port and two downstream ports = 3.
    const inst = handInstance({
      rootKind: 'express-root',
      units: [{ hotplug: true }, { hotplug: true }],
      locations: [{ id: 'R', hpPorts: 1 }],
      root: { freeSlots: 0, rootPortFns: 0, hotplug: false },
      allowed: ['pcie-root-port', 'pcie-switch-upstream-port', 'pcie-switch-downstream-port'],
    });
    expect(answer(await solveExact(inst, { solver: SOLVER }))).toBe('sat 3');
    expect(await count(inst)).toBe('sat 3');
  });

  it("bus='pcie' on a pc machine cannot be honoured: refused, or no layout", async () => {
    // pci.0 and everything below it is conventional PCI: no place is a PCI Express slot. The
    // instance builder may refuse the hint; if it lets it through, no layout exists.
    const r = instanceFor({ name: 'hand-made', xml: pc([disk('vda', "bus='pcie'"), NO_BALLOON]), policy: {} });
    if ('skip' in r) return expect(r.skip).toMatch(/^instance: /);
    expect(answer(await solveExact(r.inst, { solver: SOLVER }))).toBe('unsat');
    expect(await count(r.inst)).toBe('unsat');
  });

  it('the analytic lower bound: a spare slot is kept on the bridge a NUMA device needs anyway', async () => {
    // An e1000 (hotplug='yes') on node 0, and one spare hot-pluggable PCI slot: expander on node 0,
    // dmi-to-pci-bridge on it, pci-bridge on that (or root port + pcie-to-pci-bridge) = 3; the
    // pci-bridge has 30 more free hot-pluggable slots, one of them the spare. (The lower bound
    // counts a second bridge for the spare, at R, and a port to hang it from: 5.)
    const r = await both(q35([nic('00:00:01', 'e1000', "hotplug='yes' numa='0'"), NO_BALLOON, NO_USB], 1), { sparePciePorts: 0, sparePciSlots: 1 });
    expect(r.exact).toBe('sat 3');
    expect(await countWithoutLowerBound(r.inst)).toBe('sat 3');
    expect(r.count).toBe('sat 3');
  });

  it('the analytic lower bound: one dmi-to-pci-bridge holds a hotplug=no device and the pci-bridge', async () => {
    // Two e1000s on node 0, one hotplug='no', one hotplug='yes': expander, dmi-to-pci-bridge (the
    // hotplug='no' one in a slot of it), pci-bridge in another slot of it (the hot-pluggable
    // one) = 3. (The lower bound counts the dmi bridge twice: 4.)
    const r = await both(q35([nic('00:00:01', 'e1000', "hotplug='no' numa='0'"), nic('00:00:02', 'e1000', "hotplug='yes' numa='0'"), NO_BALLOON, NO_USB], 1), { sparePciePorts: 0 });
    expect(r.exact).toBe('sat 3');
    expect(await countWithoutLowerBound(r.inst)).toBe('sat 3');
    expect(r.count).toBe('sat 3');
  });
});

describe("readings earlier count models made narrower, now followed", () => {
  it('a device without a NUMA hint may share the expander a NUMA device needs (now followed)', async () => {
    // pc, pci.0 hotplug='off'; two hotplug='yes' e1000s, one on node 0. As written: one
    // pci-expander-bus on node 0 holds both (its slots are hot-pluggable) = 1. (Count models that
    // kept unhinted devices off node expanders needed an expander + a pci-bridge on pci.0 = 2.)
    const root = `<controller type='pci' index='0' model='pci-root'>\n  <target hotplug='off'/>\n</controller>`;
    const r = await both(pc([root, nic('00:00:01', 'e1000', "hotplug='yes' numa='0'"), nic('00:00:02', 'e1000', "hotplug='yes'"), NO_BALLOON], 1), { sparePciSlots: 0 });
    expect(answer(await solveExact(r.inst, { solver: SOLVER }))).toBe('sat 1');
    expect(r).toMatchObject({ exact: 'sat 1', count: 'sat 1' });
  });

  it('a new expander may take bus numbers above an existing one (now followed)', async () => {
    // An existing pcie-expander-bus on node 0 with busNr 2 (it owns 2-255; pcie.0's hierarchy
    // owns 0-1). vda asks for node 1: a new expander and a root port need 2 numbers. Below 2 only
    // number 1 is left; numbered e.g. 254, the new expander owns 254-255 and the old one keeps
    // 2-253 = 2. (Count models that numbered new expanders below existing ones found no layout.)
    const pxb = `<controller type='pci' index='1' model='pcie-expander-bus'>\n  <target busNr='2'>\n    <node>0</node>\n  </target>\n</controller>`;
    const r = await both(q35([pxb, disk('vda', "hotplug='yes' numa='1'"), NO_BALLOON, NO_USB], 2), { sparePciePorts: 0 });
    expect(r).toMatchObject({ exact: 'sat 2', count: 'sat 2' });
  });

  it("a switch downstream port may have hotplug='off' (now followed)", async () => {
    // pcie.0 full, one free hot-pluggable root port, one hotplug=no PCIe unit: an upstream port on
    // the free port and a downstream port with hotplug='off' = 2. (Count models without
    // hotplug='off' downstream ports found no layout.)
    const inst = handInstance({
      rootKind: 'express-root',
      units: [{ hotplug: false }],
      locations: [{ id: 'R', hpPorts: 1 }],
      root: { freeSlots: 0, rootPortFns: 0, hotplug: false },
      allowed: ['pcie-root-port', 'pcie-switch-upstream-port', 'pcie-switch-downstream-port'],
    });
    const real = await solveExactDetailed(inst, { solver: SOLVER });
    expect(answer(real.outcome)).toBe('sat 2');
    expect(real.layout.join('\n')).toMatch(/ds_R_0 \(hotplug='off'\)/);
    expect(answer(await solveExact(inst, { solver: SOLVER }))).toBe('sat 2');
    expect(await count(inst)).toBe('sat 2');
  });
});

describe('the exact model reads Z3 strictly (fakes through PCIPLAN_Z3)', () => {
  // A domain whose exact optimum is 6 (above): an answer read loosely would come out as "sat 0".
  const r = instanceFor({ name: 'strict', xml: q35([disk('vda'), nic('00:00:01', 'e1000')]), policy: {} });
  const inst = 'inst' in r ? r.inst : undefined;

  it('a get-value answer that is no values is a failure, not every controller unused ("sat 0")', async () => {
    const noModel = fakeZ3('exact-no-model', { onCheck: 'echo sat', onValue: `echo '(error "line 1 column 11: model is not available")'` });
    await withZ3(noModel, async () => {
      await expect(solveExact(inst!, { solver: 'native' })).rejects.toThrow(/Z3 gave no values/);
    });
  });

  it('a refused assertion is a failure, not a weaker model solved', async () => {
    const refuses = fakeZ3('exact-refuses-assert', {
      eachLine: `case "$line" in '(assert'*) [ -z "$refused" ] && echo '(error "line 3 column 9: unknown constant q")'; refused=1 ;; esac`,
      onCheck: 'echo sat',
    });
    await withZ3(refuses, async () => {
      await expect(solveExact(inst!, { solver: 'native' })).rejects.toThrow(/Z3 refused a command/);
    });
  });

  it('with auto, a native z3 that answers so is left for the WASM build: the right optimum', async () => {
    const noModel = fakeZ3('exact-no-model-auto', { onCheck: 'echo sat', onValue: `echo '(error "line 1 column 11: model is not available")'` });
    await withZ3(noModel, async () => {
      expect(answer(await solveExact(inst!, { solver: 'auto' }))).toBe('sat 6');
    });
  });
});
