/**
 * The registry of rule and requirement ids (src/rules.ts) held to the code, the docs and the tests,
 * as typescript-eslint holds its rules to theirs:
 * - every id is used in src/ or encodings/ (a string literal, a property of REGISTRY, or an
 *   `@rule <id>` tag in a comment where a rule is enforced without an output of its own), and no
 *   tag, `rule:` literal or bracketed `[id]` in a message names an id that is not registered;
 * - docs/rules.md lists every id with its kinds and meaning, and nothing else;
 * - every id has an input that triggers it (TRIGGERS below, one entry per id, checked by the type
 *   and again at run time), and running that input shows the id where its kind puts it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { attach } from '../../src/api/attach.js';
import { assign } from '../../src/api/assign.js';
import { explain } from '../../src/api/explain.js';
import { validate } from '../../src/api/validate.js';
import { optimalInputOf } from '../../src/assign.js';
import { ConflictError, PciplanError } from '../../src/errors.js';
import type { CountInstance } from '../../encodings/instance.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import type { Policy } from '../../src/model/schemas.js';
import { buildInstance } from '../../src/optimal/instance.js';
import { checkFeasible } from '../../src/optimal/solve.js';
import { REGISTRY, type RegisteredId, type RuleEntry, type RuleKind } from '../../src/rules.js';
import { ctrl, disk, domainXml, nic, pciAddr, rootPort } from '../../testkit/domains.js';
import { REPO } from '../helpers/corpus.js';
import { instance, units } from '../encodings/tiny.js';
import { q35Addressed, rng } from '../attach/scenarios.js';

const IDS = Object.keys(REGISTRY) as RegisteredId[];
const isId = (s: string): s is RegisteredId => Object.hasOwn(REGISTRY, s);

// ---------------------------------------------------------------------------------------------
// Where the code names ids.

interface Found {
  /** Registered ids the code names. */
  used: Set<string>;
  /** Names that look like an id in a rule's place but are not registered, with where. */
  unknown: string[];
}

const TAG = /@rule\s+([a-z][a-z0-9-]*)/g;
/** An id in brackets closing a message, the form attach's refusals and the validator's waivers take. */
const BRACKETED = /\[([a-z]+(?:-[a-z]+)+)\]/g;

/** The ids one source file names (`file` for messages). */
export function namesIn(file: string, text: string): Found {
  const used = new Set<string>();
  const unknown: string[] = [];
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const at = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (n: ts.Node) => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) {
      if (isId(n.text)) used.add(n.text);
      // A `rule: '...'` property must name a registered id.
      if (ts.isPropertyAssignment(n.parent) && n.parent.initializer === n && n.parent.name.getText(sf) === 'rule' && !isId(n.text)) unknown.push(`${at(n)}: rule '${n.text}'`);
    }
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      for (const m of n.text.matchAll(BRACKETED)) {
        if (isId(m[1]!)) used.add(m[1]!);
        else unknown.push(`${at(n)}: [${m[1]}] in a message`);
      }
    }
    if (ts.isPropertyAccessExpression(n) && n.expression.getText(sf) === 'REGISTRY') {
      if (isId(n.name.text)) used.add(n.name.text);
      else unknown.push(`${at(n)}: REGISTRY.${n.name.text}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // Comments: the trivia around every token the parser read (a string holding "@rule" is no tag).
  const seen = new Set<number>();
  const tokens = (n: ts.Node): void => {
    for (const r of [...(ts.getLeadingCommentRanges(text, n.pos) ?? []), ...(ts.getTrailingCommentRanges(text, n.end) ?? [])]) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      for (const m of text.slice(r.pos, r.end).matchAll(TAG)) {
        if (isId(m[1]!)) used.add(m[1]!);
        else unknown.push(`${file}:${sf.getLineAndCharacterOfPosition(r.pos).line + 1}: @rule ${m[1]}`);
      }
    }
    for (const c of n.getChildren(sf)) tokens(c);
  };
  tokens(sf);
  return { used, unknown };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir))
    .sort()
    .flatMap((name) => {
      const rel = `${dir}/${name}`;
      if (statSync(join(REPO, rel)).isDirectory()) return sourceFiles(rel);
      return /\.[cm]?ts$/.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
    });
}

/** Where each id is named in the code (the registry itself excluded), and the unregistered names. */
function scanCode(): { where: Map<string, string[]>; unknown: string[] } {
  const where = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const file of ['src', 'encodings'].flatMap(sourceFiles)) {
    if (file === 'src/rules.ts') continue;
    const found = namesIn(file, readFileSync(join(REPO, file), 'utf8'));
    for (const id of found.used) where.set(id, [...(where.get(id) ?? []), file]);
    unknown.push(...found.unknown);
  }
  return { where, unknown };
}

describe('the registry and the code', () => {
  const { where, unknown } = scanCode();

  it('every id is named somewhere in src/ or encodings/', () => {
    expect(IDS.filter((id) => !where.has(id))).toEqual([]);
  });

  it('no code names an id the registry lacks', () => {
    expect(unknown).toEqual([]);
  });

  it('a placement rule is tagged where it is enforced: more than one place, the validator among them', () => {
    for (const id of IDS.filter((i) => (REGISTRY[i].kinds as readonly RuleKind[]).includes('placement'))) {
      const files = where.get(id) ?? [];
      expect(files.length, id).toBeGreaterThan(1);
      expect(files.some((f) => f.startsWith('src/validate/')), id).toBe(true);
    }
  });
});

describe('the checks themselves', () => {
  // One of each: so that a scan that finds nothing cannot pass the real tree.
  const text = [
    "const a = { rule: 'place', text: 'x' };",
    "const b = { rule: 'no-such-rule' };",
    'const c = `${x} cannot go there [live-hotplug]`;',
    'const d = `${x} cannot go there [live-nonsense]`;',
    '// enforced here: @rule hotplug-no',
    '/* and a typo: @rule hotplug-none */',
    'const e = REGISTRY.demand;',
    "const f = '@rule spare-ports is no comment';",
    'const g = `a ${`nested ${y}`} b`; // @rule address',
  ].join('\n');
  const found = namesIn('t.ts', text);

  it('finds ids as literals, registry properties and tags, and names what is unregistered', () => {
    expect([...found.used].sort()).toEqual(['address', 'demand', 'hotplug-no', 'live-hotplug', 'place']);
    expect(found.unknown).toEqual(["t.ts:2: rule 'no-such-rule'", 't.ts:4: [live-nonsense] in a message', 't.ts:6: @rule hotplug-none']);
  });
});

// ---------------------------------------------------------------------------------------------
// docs/rules.md

/** The rows of the table in docs/rules.md: `| \`id\` | kinds | meaning |`. */
function docRows(): Map<string, { kinds: string; meaning: string }> {
  const rows = new Map<string, { kinds: string; meaning: string }>();
  for (const line of readFileSync(join(REPO, 'docs/rules.md'), 'utf8').split('\n')) {
    const m = /^\| `([^`]+)` \| ([^|]+) \| (.+) \|$/.exec(line);
    if (m) rows.set(m[1]!, { kinds: m[2]!.trim(), meaning: m[3]!.trim().replaceAll('\\|', '|') });
  }
  return rows;
}

describe('docs/rules.md', () => {
  const rows = docRows();

  it('lists every id with its kinds and meaning, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...IDS].sort());
    for (const id of IDS) {
      const e: { kinds: readonly string[]; meaning: string } = REGISTRY[id];
      expect(rows.get(id), id).toEqual({ kinds: e.kinds.join(', '), meaning: e.meaning });
    }
  });

  it('is linked from the architecture and the how-to', () => {
    for (const doc of ['docs/architecture.md', 'docs/how-to.md']) expect(readFileSync(join(REPO, doc), 'utf8'), doc).toContain('(rules.md');
  });

});

// ---------------------------------------------------------------------------------------------
// One input per id, and where its id shows.

interface Input {
  /** A domain: a fixture path (under fixtures/) or XML. */
  domain: { fixture: string } | { xml: string };
  policy?: Policy;
}

type Trigger =
  /** The validator: a problem's `rule` (or `waives`). */
  | { validate: Input }
  /** greedy assign, then the validator on what it wrote. */
  | { validateGreedy: Input }
  /** explain: a conflict's requirements, or a fix's lifts. */
  | { explain: Input }
  /**
   * The count model's unsat core: the tracked assertions' rules (of a domain's instance, or one
   * written by hand); or the requirements of the conflict building the instance ends in.
   */
  | { core: Input | { instance: CountInstance } }
  /** attach: the refusal's rule. */
  | { attach: Input & { devices: string[]; live: boolean } };

const fixture = (path: string): Input['domain'] => ({ fixture: path });
const xml = (...devices: string[]): Input['domain'] => ({ xml: domainXml({ devices }) });
const q35Root = ctrl(0, 'pcie-root');
const pcRoot = ctrl(0, 'pci-root');
const hint = (attrs: string) => `<addressPreferences ${attrs}/>`;
const hostdev = (extra = '') => `<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x0000' bus='0x10' slot='0x00' function='0x0'/>\n  </source>${extra}\n</hostdev>`;
/** No USB controller or balloon for libvirt to add: the listed devices are all there is to place. */
const NOTHING_IMPLICIT = ["<controller type='usb' index='0' model='none'/>", "<memballoon model='none'/>"];

/** The input for each id: the type requires one per id. */
const TRIGGERS: Record<RegisteredId, Trigger> = {
  'address-syntax': { validate: { domain: xml(q35Root, disk('vda', "<address type='pci' domain='0x0001' bus='0x00' slot='0x05' function='0x0'/>")) } },
  'address-type': { validate: { domain: fixture('fuzz/controller-address-drive.xml') } },
  'bus-missing': { validate: { domain: xml(q35Root, disk('vda', pciAddr(3, 0))) } },
  'connect-type': { validate: { domain: { xml: domainXml({ machine: 'pc', devices: [pcRoot, ctrl(1, 'pci-bridge', pciAddr(0, 3)), rootPort(2, 0, 0).replace("bus='0x00' slot='0x00'", "bus='0x01' slot='0x02'")] }) } } },
  integrated: { validate: { domain: xml(q35Root, rootPort(1, 2, 0), `<iommu model='virtio'>\n  ${pciAddr(1, 0)}\n</iommu>`) } },
  'slot-range': { validate: { domain: xml(q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 1))) } },
  'reserved-slot': { validate: { domain: xml(q35Root, `<sound model='ich9'>\n  ${pciAddr(0, 0x1f, 0)}\n</sound>`) } },
  'chipset-address': { validate: { domain: xml(q35Root, `<controller type='sata' index='0'>\n  ${pciAddr(0, 5)}\n</controller>`) } },
  'duplicate-address': { validate: { domain: xml(q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 0)), disk('vdb', pciAddr(1, 0))) } },
  'function-zero': { validate: { domain: xml(q35Root, rootPort(1, 2, 1), disk('vda', pciAddr(1, 0))) } },
  multifunction: { validate: { domain: xml(q35Root, rootPort(1, 2, 0, " multifunction='off'"), rootPort(2, 2, 1)) } },
  'controller-index': { validate: { domain: xml(q35Root, rootPort(1, 2, 0), rootPort(1, 3, 0)) } },
  'root-model': { validate: { domain: { xml: domainXml({ machine: 'pc', devices: [q35Root] }) } } },
  'root-address': { validate: { domain: xml(ctrl(0, 'pcie-root', pciAddr(0, 0))) } },
  'controller-machine': { validate: { domain: xml(q35Root, ctrl(1, 'pci-expander-bus', pciAddr(0, 5), "<target busNr='200'/>")) } },
  'controller-option': { validate: { domain: xml(q35Root, rootPort(1, 2, 0, '', "<target chassis='300' port='0x10'/>")) } },
  'bridge-index': { validate: { domain: { xml: domainXml({ machine: 'pc', devices: [pcRoot, ctrl(2, 'pci-bridge', pciAddr(0, 3)), ctrl(1, 'pci-bridge', pciAddr(2, 1))] }) } } },
  'numa-node': { validate: { domain: { xml: domainXml({ numa: 2, devices: [q35Root, ctrl(1, 'pcie-expander-bus', pciAddr(0, 5), "<target busNr='200'>\n    <node>3</node>\n  </target>")] }) } } },
  chassis: { validate: { domain: xml(q35Root, rootPort(1, 2, 0, " multifunction='on'", "<target chassis='7' port='0x10'/>"), rootPort(2, 2, 1, '', "<target chassis='7' port='0x11'/>")) } },
  'bus-numbers': { validate: { domain: xml(q35Root, ctrl(1, 'pcie-expander-bus', pciAddr(0, 5), "<target busNr='100'/>"), ctrl(2, 'pcie-expander-bus', pciAddr(0, 6), "<target busNr='100'/>")) } },
  'index-gap': { validate: { domain: xml(q35Root, rootPort(2, 2, 0)) } },
  'hostdev-duplicate': { validate: { domain: xml(q35Root, hostdev(), hostdev()) } },
  'hint-hotplug': { validate: { domain: xml(q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 0), hint("hotplug='no'"))) } },
  'hint-numa': { validate: { domain: { xml: domainXml({ numa: 1, devices: [q35Root, disk('vda', undefined, hint("numa='4'"))] }) } } },
  'hint-bus': { validate: { domain: xml(q35Root, nic('52:54:00:00:00:01', 'e1000', undefined, hint("bus='pcie'"))) } },
  'hint-group': { validate: { domain: xml(q35Root, rootPort(1, 2, 0, " multifunction='on'"), rootPort(2, 2, 1), nic('52:54:00:00:00:01', 'virtio', pciAddr(1, 0), hint("group='g'")), nic('52:54:00:00:00:02', 'virtio', pciAddr(2, 0), hint("group='g'"))) } },
  'policy-spares': { validate: { domain: xml(q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 0))), policy: { sparePciePorts: 1 } } },
  'hint-waived': { validateGreedy: { domain: xml(q35Root, disk('vda', undefined, hint("hotplug='no'"))) } },
  unassigned: { validate: { domain: xml(q35Root, disk('vda')) } },

  place: { explain: { domain: fixture('infeasible/pcie-full-nic.xml') } },
  'default-hotplug': { explain: { domain: fixture('infeasible/bus-exhaustion.xml') } },
  'policy-add-controllers': { explain: { domain: fixture('infeasible/hotplug-no-full.xml'), policy: JSON.parse(readFileSync(join(REPO, 'fixtures/infeasible/hotplug-no-full.policy.json'), 'utf8')) as Policy } },
  // A group with one function in place and one not: the instance refuses it (the validator, run
  // first by assign and explain, names the split group as hint-group).
  address: { core: { domain: xml(q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 0), hint("group='g'")), disk('vdb', undefined, hint("group='g'"))) } },
  'bus-pci': { explain: { domain: fixture('infeasible/bus-exhaustion.xml') } },
  'root-hotplug-off': { explain: { domain: fixture('infeasible/pc-hotplug-no.xml') } },

  demand: { core: { domain: fixture('infeasible/pcie-full-nic.xml') } },
  'spare-ports': { core: { domain: { xml: q35Addressed(4, 0, 1) }, policy: { sparePciePorts: 1, addControllers: [] } } },
  'spare-slots': { core: { domain: { xml: domainXml({ machine: 'pc', devices: [pcRoot] }) }, policy: { sparePciSlots: 40, addControllers: [] } } },
  'root-slots': { core: { domain: fixture('infeasible/pcie-full-nic.xml') } },
  // Node 0's expander owns bus numbers 250-251: three hot-pluggable devices on node 0 need three ports there, and no expander may be added.
  'bus-region': {
    core: {
      domain: {
        xml: domainXml({
          numa: 2,
          devices: [q35Root, ctrl(1, 'pcie-expander-bus', pciAddr(0, 5), "<target busNr='250'>\n  <node>0</node>\n</target>"), ctrl(2, 'pcie-expander-bus', pciAddr(0, 6), "<target busNr='252'>\n  <node>1</node>\n</target>"), ...NOTHING_IMPLICIT, ...['vda', 'vdb', 'vdc'].map((d) => disk(d, undefined, hint("hotplug='yes' numa='0'")))],
        }),
      },
      policy: { addControllers: ['pcie-root-port'] },
    },
  },
  // Written as an instance: in a domain every controller takes an index and a bus number, and both
  // run out together (libvirt fills index gaps), so bus_numbers answers first. Here bus 0 has room
  // for a port, the one unit must be hot-pluggable, and no index is left.
  'controller-indexes': { core: { instance: instance({ units: units(1, { hotplug: true }), root: { freeSlots: 4, rootPortFns: 0, hotplug: false }, freeIndexes: 0 }) } },
  'overflow-root-ports': { core: { domain: fixture('repro/model-root-port-index-255.xml') } },

  'live-hotplug': { attach: { domain: { xml: q35Addressed(4, 1, 1) }, devices: [rng('ua-fixed', undefined, hint("hotplug='no'"))], live: true } },
  'live-controller': { attach: { domain: { xml: q35Addressed(4, 1, 1) }, devices: ["<controller type='pci' index='9' model='pcie-root-port'/>"], live: true } },
  // attach.ts refuses an existing device whose multifunction the layout changes; no new device
  // goes into an existing slot (the instance counts no free functions of one), and a new device's
  // own address in an existing slot leaves the existing function 0 as written.

  'hotplug-no': { validate: { domain: xml(q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 0), hint("hotplug='no'"))) } },
};

const domainText = (d: Input['domain']) => ('xml' in d ? d.xml : readFileSync(join(REPO, 'fixtures', d.fixture), 'utf8'));
const fileName = (d: Input['domain']) => ('xml' in d ? 'trigger.xml' : d.fixture);

/** The ids a trigger's run shows. */
async function idsShown(t: Trigger): Promise<string[]> {
  if ('validate' in t || 'validateGreedy' in t) {
    const input = 'validate' in t ? t.validate : t.validateGreedy;
    let text = domainText(input.domain);
    if ('validateGreedy' in t) text = (await assign({ xml: text, file: fileName(input.domain) }, { strategy: 'greedy', policy: input.policy ?? {} })).xml;
    return validate({ xml: text, file: fileName(input.domain) }, { policy: input.policy ?? {} }).problems.flatMap((p) => [p.rule, ...(p.waives ? [p.waives] : [])]);
  }
  if ('explain' in t) {
    const r = await explain({ xml: domainText(t.explain.domain), file: fileName(t.explain.domain) }, { policy: t.explain.policy ?? {}, timeoutMs: 60_000 });
    if (r.feasible) return [];
    return [...r.conflicts.flatMap((c) => c.requirements.map((q) => q.rule)), ...(r.fixes ?? []).flatMap((f) => f.lift.map((q) => q.rule))];
  }
  if ('core' in t) {
    let inst: CountInstance;
    if ('instance' in t.core) inst = t.core.instance;
    else {
      const policy = t.core.policy ?? {};
      const input = optimalInputOf(parseDomain(domainText(t.core.domain), fileName(t.core.domain)), policy);
      try {
        inst = buildInstance(input.domain, input.devices, policy, input.greedy);
      } catch (e) {
        if (e instanceof ConflictError) return e.conflict.requirements.map((r) => r.rule);
        throw e;
      }
    }
    const r = await checkFeasible(inst, 60_000);
    return r.core.map((c) => c.rule);
  }
  try {
    await attach({ xml: domainText(t.attach.domain), file: fileName(t.attach.domain) }, t.attach.devices, { live: t.attach.live, policy: t.attach.policy ?? {} });
  } catch (e) {
    if (e instanceof PciplanError && e.rule) return [e.rule];
    throw e;
  }
  return [];
}

describe('every id has an input that triggers it', () => {
  it('the table has one entry per id', () => {
    expect(Object.keys(TRIGGERS).sort()).toEqual([...IDS].sort());
  });

  // The kind an id's trigger reads: a placement rule shows as the validator rule that reports it.
  const shows = (id: RegisteredId): string => {
    const e: RuleEntry = REGISTRY[id];
    return e.reportedAs ?? id;
  };
  const reads: Record<string, RuleKind[]> = {
    validate: ['validator', 'placement'],
    validateGreedy: ['validator'],
    explain: ['requirement', 'relaxation'],
    core: ['solver', 'requirement'],
    attach: ['attach'],
  };
  for (const id of IDS) {
    const t = TRIGGERS[id];
    const how = Object.keys(t)[0]!;
    it(`${id} (${how})`, async () => {
      expect((REGISTRY[id].kinds as readonly RuleKind[]).some((k) => reads[how]!.includes(k)), `${id} is not of a kind ${how} shows`).toBe(true);
      expect(await idsShown(t)).toContain(shows(id));
    }, 120_000);
  }
});
