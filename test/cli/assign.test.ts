import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pciplan } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { disk, domainXml } from '../../testkit/domains.js';

const dir = mkdtempSync(join(tmpdir(), 'pciplan-assign-'));
const workstation = join(REPO, 'fixtures', 'q35-workstation.xml');

describe('pciplan assign --strategy greedy', () => {
  it('writes the domain with every address filled in, byte-identical on every run', () => {
    const a = pciplan(['assign', workstation, '--strategy', 'greedy']);
    const b = pciplan(['assign', workstation, '--strategy', 'greedy']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    // Every device has an address and every rule holds; the hints greedy breaks are recorded as
    // waived in pciplan's metadata, so validate (same policy) accepts the file and names each as a
    // warning: the disk and the GPU stay ejectable and the GPU's functions sit apart.
    const out = join(dir, 'ws.xml');
    writeFileSync(out, a.stdout);
    const validated = pciplan(['validate', out, '--format', 'json']);
    expect(validated.code).toBe(0);
    const v = JSON.parse(validated.stdout);
    expect(v.problems.map((p: { rule: string; device: string; severity: string; waives: string }) => `${p.severity} ${p.rule} ${p.waives} ${p.device}`)).toEqual([
      'warning hint-waived hint-hotplug disk[vda]',
      'warning hint-waived hint-hotplug hostdev[ua-gpu]',
      'warning hint-waived hint-group hostdev[ua-gpu]',
      'warning hint-waived hint-hotplug hostdev[ua-gpu-audio]',
    ]);
    // Each hint greedy breaks is named on stderr, one line each, and kept in the metadata.
    expect(a.stderr.trimEnd().split('\n')).toEqual([
      "pciplan: greedy does not honour hotplug='no' on disk[vda]: libvirt's algorithm cannot express it (recorded as waived in pciplan's metadata)",
      "pciplan: greedy does not honour hotplug='no' on hostdev[ua-gpu]: libvirt's algorithm cannot express it (recorded as waived in pciplan's metadata)",
      "pciplan: greedy does not honour group='gpu' on hostdev[ua-gpu]: libvirt's algorithm cannot express it (recorded as waived in pciplan's metadata)",
      "pciplan: greedy does not honour hotplug='no' on hostdev[ua-gpu-audio]: libvirt's algorithm cannot express it (recorded as waived in pciplan's metadata)",
      "pciplan: greedy does not honour group='gpu' on hostdev[ua-gpu-audio]: libvirt's algorithm cannot express it (recorded as waived in pciplan's metadata)",
    ]);
    expect(a.stdout).toContain("<pciplan:device name='hostdev[ua-gpu]' hotplug='no' group='gpu' waived='hotplug group'/>");
  });

  it('writes to -o and reports JSON and a table', () => {
    const out = join(dir, 'o.xml');
    expect(pciplan(['assign', workstation, '--strategy', 'greedy', '-o', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/<controller type='pci' index='10' model='pcie-root-port'>/);
    const json = JSON.parse(pciplan(['assign', workstation, '--strategy', 'greedy', '--format', 'json']).stdout);
    expect(json.strategy).toBe('greedy');
    expect(typeof json.ms).toBe('number');
    expect(json.devices).toContainEqual({ id: 'disk[vda]', kind: 'disk', address: '0000:04:00.0', origin: 'assigned' });
    expect(json.devices).toContainEqual({ id: 'controller[sata 0]', kind: 'controller', address: '0000:00:1f.2', origin: 'added' });
    expect(json.addedControllers).toContainEqual({ index: 1, model: 'pcie-root-port', address: '0000:00:02.0' });
    expect(json.addedControllers).toContainEqual({ index: 0, model: 'pcie-root' });
    const table = pciplan(['assign', workstation, '--strategy', 'greedy', '--format', 'table']).stdout;
    expect(table).toMatch(/^BUS\s+SLOT\s+FN\s+DEVICE\s+MODEL\s+ORIGIN\n/);
    expect(table).toMatch(/\n04\s+00\s+0\s+disk\[vda\]\s+assigned\n/);
    expect(table).toMatch(/greedy: 22 PCI functions, 10 controllers added \(and the root bus\)\n$/);
  });

  it('fails like libvirt when q35 runs out of root ports, with a clear message and exit 1', () => {
    const many = Array.from({ length: 239 }, (_, i) => disk(`vd${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`));
    const r = pciplan(['assign', '-', '--strategy', 'greedy'], domainXml({ devices: many }));
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd()).toMatch(/^pciplan: .*a PCI slot is needed to connect a PCI controller model='pcie-root-port', but none is available, and it cannot be automatically added$/);
  });

  it('refuses a broken input layout instead of placing around it', () => {
    const xml = domainXml({ devices: [disk('vda', "<address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x3'/>")] });
    const r = pciplan(['assign', '-'], xml);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pciplan: stdin:\d+: disk\[vda\]: PCI address 0000:00:1f\.3 is reserved for the ICH9 SMBus controller \[reserved-slot\]\n$/);
  });
});

describe('pciplan assign (optimal, the default)', () => {
  it('honours the hints greedy ignored and adds fewer controllers, proven optimal', () => {
    const r = pciplan(['assign', workstation, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ strategy: 'optimal', proven: true, objective: { addedControllers: 7 }, lowerBound: 7 });
    // hotplug='no' devices sit on pcie.0; the GPU's two functions share one slot.
    const at = (id: string) => json.devices.find((d: { id: string }) => d.id === id).address;
    expect(at('disk[vda]')).toMatch(/^0000:00:/);
    expect(at('hostdev[ua-gpu]')).toMatch(/^0000:00:(..)\.0$/);
    expect(at('hostdev[ua-gpu-audio]')).toBe(at('hostdev[ua-gpu]').replace(/\.0$/, '.1'));
    const out = join(dir, 'opt.xml');
    writeFileSync(out, pciplan(['assign', workstation]).stdout);
    expect(pciplan(['validate', out]).stdout).toBe(`${out}: valid (0 errors, 0 warnings)\n`);
  });

  it('explains an impossible domain with the requirements in conflict, exit 1', () => {
    // pci.0 hot-plugs every slot as the user wrote it (pciplan would otherwise turn that off).
    const xml = domainXml({ devices: [disk('vda', undefined, "<addressPreferences hotplug='no'/>")], machine: 'pc' }).replace(
      '<devices>',
      "<devices><controller type='pci' index='0' model='pci-root'><target hotplug='on'/></controller>",
    );
    expect(xml).toContain("hotplug='on'");
    const r = pciplan(['assign', '-'], xml);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pciplan: stdin: no layout exists: disk\[vda\] needs a place \[place\]; hotplug='no' on disk\[vda\] \[hint-hotplug\]$/m);
  });
});

describe('pciplan assign: the time budget', () => {
  it('ends within budget with a valid layout marked not proven, or says no layout was found in time; never a false proof', async () => {
    const { hardMixed } = await import('../../testkit/hardMixed.js');
    const { xml } = hardMixed(64, 7);
    const r = pciplan(['assign', '-', '--pack-functions', '--timeout', '0.05', '--format', 'json'], xml);
    if (r.code === 0) {
      // The best layout found (the search's, or the constructive pass's), proven only when it
      // meets the proven bound.
      const json = JSON.parse(r.stdout);
      if (json.proven) expect(json.lowerBound).toBe(json.objective.addedControllers);
      else expect(r.stderr).toMatch(/not proven optimal within 0\.05 s/);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^pciplan: stdin: no layout found within the time budget of 0\.05 s \(raise --timeout\)\n$/);
    }
    // With room, the same domain is proven optimal.
    const full = JSON.parse(pciplan(['assign', '-', '--pack-functions', '--format', 'json'], xml).stdout);
    expect(full).toMatchObject({ proven: true, objective: { addedControllers: 19 } });
  });
});
