import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciplan } from '../helpers/cli.js';
import { ctrl, disk, domainXml, pciAddr, rootPort } from '../../testkit/domains.js';
import { REPO } from '../helpers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'pciplan-cli-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('pciplan validate', () => {
  const good = write('good.xml', domainXml({ devices: [ctrl(0, 'pcie-root'), rootPort(1, 2, 0), disk('vda', pciAddr(1, 0))] }));
  const bad = write('bad.xml', domainXml({ devices: [ctrl(0, 'pcie-root'), rootPort(1, 2, 0), disk('vda', pciAddr(1, 0)), disk('vdb', pciAddr(1, 0))] }));

  it('exits 0 on a valid layout, with a one-line summary', () => {
    const r = pciplan(['validate', good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${good}: valid (0 errors, 0 warnings)\n`);
  });

  it('exits 1 on an invalid layout and lists each problem with its line, device and rule', () => {
    const r = pciplan(['validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^LINE\s+LEVEL\s+DEVICE\s+RULE\s+PROBLEM\n/);
    expect(r.stdout).toMatch(/\n21\s+error\s+disk\[vdb\]\s+duplicate-address\s+attempted double use of PCI Address 0000:01:00\.0 \(also used by disk\[vda\]\)\n/);
    expect(r.stdout).toMatch(/invalid \(1 error, 0 warnings\)\n$/);
  });

  it('gives the same findings as JSON for machines', () => {
    const r = pciplan(['validate', bad, '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ machine: 'q35', family: 'q35', valid: false });
    expect(json.problems).toEqual([
      { severity: 'error', rule: 'duplicate-address', device: 'disk[vdb]', line: 21, message: 'attempted double use of PCI Address 0000:01:00.0 (also used by disk[vda])' },
    ]);
  });

  it('reads the domain from stdin and applies policy flags', () => {
    const r = pciplan(['validate', '-', '--spare-pcie-ports', '1'], domainXml({ devices: [ctrl(0, 'pcie-root'), rootPort(1, 2, 0), disk('vda', pciAddr(1, 0))] }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/policy-spares\s+the policy asks for 1 free hot-pluggable PCIe ports; the layout leaves 0/);
  });

  it('says how many devices still need an address', () => {
    const r = pciplan(['validate', write('partial.xml', domainXml({ devices: [disk('vda'), disk('vdb')] }))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(0 errors, 0 warnings\); 2 devices still need a PCI address/);
  });

  it('validates every fixture shipped in fixtures/ that claims to be complete', () => {
    const r = pciplan(['validate', join(REPO, 'fixtures', 'q35-workstation.libvirt.xml')]);
    expect(r.stdout).toMatch(/valid/);
    expect(r.code).toBe(0);
  });

  it('prints help for every command', () => {
    for (const cmd of [[], ['validate']]) {
      const r = pciplan([...cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/USAGE/);
    }
  });
});
