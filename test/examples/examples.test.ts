// The integration recipes of the README, run as their users run them: the KubeVirt hook the way
// KubeVirt's sidecar-shim calls it (found on PATH as onDefineDomain, `--vmi JSON --domain XML`,
// the new domain read from stdout, any non-zero exit failing the define), and the Python caller
// with Debian's python3. Both use the built package from this clone (dist/, via its exports).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../../src/api/validate.js';
import { parseDomain } from '../../src/model/parseDomain.js';
import { defineBatch, libvirtAvailable } from '../../src/oracle/libvirt.js';
import { CLI } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { kubevirtVmi } from './kubevirt.js';

const hookDir = join(REPO, 'examples', 'kubevirt-hook');
const domainXml = readFileSync(join(hookDir, 'domain.xml'), 'utf8');
const bin = mkdtempSync(join(tmpdir(), 'pciplan-hook-'));
symlinkSync(join(hookDir, 'onDefineDomain'), join(bin, 'onDefineDomain'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

/** What the shim does: exec.Command("onDefineDomain", "--vmi", vmi, "--domain", xml).Output(). */
function shim(annotations: Record<string, string>) {
  const r = spawnSync('onDefineDomain', ['--vmi', JSON.stringify(kubevirtVmi(annotations)), '--domain', domainXml], { encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const rootPorts = (xml: string) => xml.match(/model='pcie-root-port'/g)?.length ?? 0;

describe('examples/kubevirt-hook/onDefineDomain', () => {
  const plain = shim({});

  it("prints KubeVirt's domain with every PCI address filled in, everything else kept", () => {
    expect(plain.code, plain.stderr).toBe(0);
    const v = validate(plain.stdout);
    expect(v.valid).toBe(true);
    expect(v.problems.filter((p) => p.rule === 'unassigned')).toEqual([]);
    for (const kept of ["<alias name='ua-containerdisk'/>", "<alias name='ua-cloudinitdisk'/>", "<alias name='ua-default'/>", "<kubevirt xmlns='http://kubevirt.io'>", "<entry name='manufacturer'>KubeVirt</entry>", "<rom enabled='no'/>"]) {
      expect(plain.stdout).toContain(kept);
    }
    // Every line of the input is still there, in order: pciplan only adds (a device element that
    // was empty, <controller …/>, gets its address as a child, so its one line opens it instead).
    const out = plain.stdout.split('\n');
    let at = 0;
    const emptyDevice = /^ {4}<[a-z]+ [^>]*\/>$/;
    for (const line of domainXml.split('\n').filter((l) => l.trim() && !emptyDevice.test(l))) {
      const found = out.indexOf(line, at);
      expect(found, line).toBeGreaterThanOrEqual(at);
      at = found;
    }
  });

  it('pciplan.dev/spare-pcie-ports: the planned domain leaves that many free hot-pluggable ports', () => {
    const three = shim({ 'pciplan.dev/spare-pcie-ports': '3' });
    expect(three.code, three.stderr).toBe(0);
    expect(validate(three.stdout, { policy: { sparePciePorts: 3 } }).valid).toBe(true);
    // Without the annotation libvirt's one spare port is kept, which three spares would break.
    expect(validate(plain.stdout, { policy: { sparePciePorts: 3 } }).problems.map((p) => p.rule)).toContain('policy-spares');
  });

  it('pciplan.dev/hotplug and pciplan.dev/hints: devices on pcie.0 unless their hint asks for hotplug', () => {
    const fixed = shim({ 'pciplan.dev/hotplug': 'no', 'pciplan.dev/hints': JSON.stringify({ containerdisk: { hotplug: 'yes' } }) });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(rootPorts(fixed.stdout)).toBeLessThan(rootPorts(plain.stdout));
    expect(fixed.stdout).toContain("<pciplan:device name='disk[ua-containerdisk]' hotplug='yes'/>");
    // The hinted disk sits below a root port (bus > 0), the cloud-init disk on the root bus.
    const busOf = (alias: string) => {
      const el = fixed.stdout.slice(fixed.stdout.indexOf(`<alias name='${alias}'/>`) - 1200, fixed.stdout.indexOf(`<alias name='${alias}'/>`) + 300);
      return [...el.matchAll(/<address type='pci' domain='0x0000' bus='(0x[0-9a-f]+)'/g)].at(-1)?.[1];
    };
    expect(busOf('ua-containerdisk')).not.toBe('0x00');
    expect(busOf('ua-cloudinitdisk')).toBe('0x00');
    expect(validate(fixed.stdout, { policy: { hotplug: 'no' } }).valid).toBe(true);
  });

  it.skipIf(!libvirtAvailable())('real libvirt defines what the hook prints and keeps every PCI address (and adds none)', async () => {
    const hinted = shim({ 'pciplan.dev/hotplug': 'no', 'pciplan.dev/hints': JSON.stringify({ containerdisk: { hotplug: 'yes' } }), 'pciplan.dev/spare-pcie-ports': '2' });
    const planned = [plain.stdout, hinted.stdout];
    const defined = await defineBatch(planned, { validate: true });
    const pci = (xml: string) =>
      parseDomain(xml)
        .domain.devices.filter((d) => d.address.type === 'pci')
        .map((d) => `${d.id} ${JSON.stringify(d.address)}`)
        .sort();
    for (const [i, r] of defined.entries()) {
      expect(r, r.ok ? '' : r.error).toMatchObject({ ok: true });
      expect(pci(r.ok ? r.xml : '')).toEqual(pci(planned[i]!));
    }
  });

  it('a bad annotation fails the define: exit 1, one line on stderr, nothing on stdout', () => {
    for (const [annotations, says] of [
      [{ 'pciplan.dev/spare-pcie-ports': 'two' }, /spare-pcie-ports must be a whole number, got 'two'/],
      [{ 'pciplan.dev/hotplug': 'maybe' }, /pciplan.dev\/hotplug must be 'yes' or 'no'/],
      [{ 'pciplan.dev/hints': JSON.stringify({ nosuchdisk: { hotplug: 'no' } }) }, /hints for 'ua-nosuchdisk': no device has that name/],
      [{ 'pciplan.dev/hints': JSON.stringify({ containerdisk: { hotplug: 'sometimes' } }) }, /hints for disk\[ua-containerdisk\]: hotplug: must be 'yes' or 'no'/],
    ] as const) {
      const r = shim(annotations);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(says);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('examples/python/plan.py', () => {
  const fixture = join(REPO, 'fixtures', 'q35-workstation.xml');
  const run = (args: string[]) => spawnSync('python3', [join(REPO, 'examples', 'python', 'plan.py'), ...args], { encoding: 'utf8', env: { ...process.env, PCIPLAN: `${process.execPath} ${CLI}` }, timeout: 180_000 });

  it('prints the planned domain (what pciplan assign writes) and the JSON figures on stderr', () => {
    const r = run([fixture]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('7 controllers added, proven optimal: True');
    expect(r.stdout).toBe(execFileSync(process.execPath, [CLI, 'assign', fixture], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  });

  it("passes pciplan's refusal on: exit code and stderr line", () => {
    const r = run([join(REPO, 'fixtures', 'infeasible', 'numa-missing.xml')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pciplan exited 1: pciplan: .*no layout exists/);
  });
});
