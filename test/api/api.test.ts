// The library API as a program uses it (`import { ... } from 'pciplan'` is src/index.ts): typed
// reports with the fields of the CLI's JSON, typed errors with where they are, no output of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, ConflictError, explain, generate, OUTPUT_SCHEMAS, parseDomain, PciplanError, SCHEMA_VERSION, show, validate } from '../../src/index.js';
import { REPO } from '../helpers/corpus.js';

const read = (f: string) => readFileSync(join(REPO, 'fixtures', f), 'utf8');
const workstation = read('q35-workstation.xml');

/** The error a call throws (or rejects with). */
async function thrown(f: () => unknown): Promise<PciplanError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof PciplanError) return e;
    throw e;
  }
  throw new Error('expected a PciplanError');
}

describe('the API', () => {
  const writes: string[] = [];
  beforeEach(() => {
    writes.length = 0;
    for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation((s) => (writes.push(String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    // Nothing printed, whatever happened.
    expect(writes).toEqual([]);
  });

  it('assign on the workstation: 7 controllers added, proven, the XML, a report that matches the assign schema', async () => {
    const r = await assign(workstation, { file: 'workstation.xml' });
    expect(r.objective.addedControllers).toBe(7);
    expect(r.proven).toBe(true);
    expect(r.lowerBound).toBe(7);
    expect(r.file).toBe('workstation.xml');
    expect(r.xml).toContain("<controller type='pci' index='7' model='pcie-root-port'>");
    expect(validate(r.xml).valid).toBe(true);
    const { xml: _xml, ...json } = r;
    expect(OUTPUT_SCHEMAS.assign.parse(json)).toEqual(json);
    expect(r.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('takes a parsed domain as well as text, and per-device hints on top of the XML', async () => {
    const parsed = parseDomain(workstation, 'ws.xml');
    const greedy = await assign(parsed, { strategy: 'greedy' });
    expect(greedy.file).toBe('ws.xml');
    expect(greedy.ignoredHints.length).toBeGreaterThan(0);
    // A hint by MAC (what is inside the device name's brackets) puts the NIC where the guest cannot eject it.
    const hinted = await assign(parsed, { hints: { '52:54:00:6a:10:01': { hotplug: 'no' } } });
    const nic = (r: typeof hinted) => r.devices.find((d) => d.id === 'interface[52:54:00:6a:10:01]')!.address;
    expect(nic(hinted)).toMatch(/^0000:00:/);
    expect(nic(await assign(parsed))).not.toMatch(/^0000:00:/);
    expect(hinted.xml).toContain("<pciplan:device name='interface[52:54:00:6a:10:01]' hotplug='no'/>");
    const e = await thrown(() => validate(parsed, { hints: { nosuch: { hotplug: 'no' } } }));
    expect([e.kind, e.file]).toEqual(['input', 'ws.xml']);
    const clash = await thrown(() => validate(parsed, { hints: { 'disk[vda]': { hotplug: 'yes' } } }));
    expect(clash.message).toBe("ws.xml: disk[vda]: the XML says hotplug='no' but the hints given say 'yes'");
    expect(clash.device).toBe('disk[vda]');
  });

  it('a domain that breaks a rule: validate reports it, assign throws a PciplanError with file, line, device and rule', async () => {
    const xml = read('infeasible/address-refused.xml');
    const v = validate(xml, { file: 'refused.xml' });
    expect(v.valid).toBe(false);
    expect(v.problems[0]).toMatchObject({ severity: 'error', rule: 'connect-type', device: 'disk[vda]', line: 17 });
    const e = await thrown(() => assign(xml, { file: 'refused.xml' }));
    expect(e).toMatchObject({ kind: 'invalid', file: 'refused.xml', line: 17, device: 'disk[vda]', rule: 'connect-type', exitCode: 1 });
    expect(e.toJSON()).toMatchObject({ kind: 'invalid', file: 'refused.xml', line: 17, device: 'disk[vda]', rule: 'connect-type' });
  });

  it('no layout: a ConflictError carrying the conflict; explain returns it as data', async () => {
    const xml = read('infeasible/numa-missing.xml');
    const e = await thrown(() => assign(xml, { file: 'numa.xml' }));
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as ConflictError).conflict.requirements.length).toBeGreaterThan(0);
    const why = await explain(xml, { file: 'numa.xml' });
    expect(why.feasible).toBe(false);
    if (!why.feasible) expect(why.conflicts[0]!.requirements.map((r) => r.rule)).toEqual((e as ConflictError).conflict.requirements.map((r) => r.rule));
  });

  it('unreadable input and bad options are kind input, with the file and line where known', async () => {
    const bad = await thrown(() => assign('<domain>\n<devices>\n</domain>', { file: 'broken.xml' }));
    expect([bad.kind, bad.file, bad.exitCode]).toEqual(['input', 'broken.xml', 2]);
    expect(bad.line).toBeGreaterThan(0);
    expect((await thrown(() => assign(workstation, { policy: { sparePciePorts: -1 } }))).message).toMatch(/^policy: sparePciePorts/);
    expect((await thrown(() => assign(workstation, { strategy: 'fastest' as never }))).kind).toBe('input');
    expect((await thrown(() => assign(workstation, { timeoutMs: 0 }))).message).toMatch(/timeoutMs must be a positive number/);
    expect((await thrown(() => assign(workstation, { solver: 'fastest' as never }))).message).toMatch(/solver must be one of auto, native, wasm/);
    expect((await thrown(() => show(workstation, { format: 'png' as never }))).kind).toBe('input');
    expect((await thrown(() => generate({ devices: 0 }))).message).toMatch(/devices/);
  });

  it('show and generate return what the CLI prints', async () => {
    const tree = await show(workstation, { strategy: 'optimal' });
    expect(tree.views).toHaveLength(1);
    expect(tree.views[0]!.addedControllers).toBe(7);
    expect(tree.output).toContain('pcie-root-port');
    const g = generate({ devices: 12, family: 'cloud', seed: 4 });
    expect(g.xml).toBe(generate({ devices: 12, family: 'cloud', seed: 4 }).xml);
    expect(g.name).toBe('gen-cloud-q35-12-s4');
  });
});
