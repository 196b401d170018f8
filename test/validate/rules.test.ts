// One test per validator rule, on small layouts written for the purpose.
import { describe, expect, it } from 'vitest';
import { parseDomain } from '../../src/model/parseDomain.js';
import type { RuleId } from '../../src/validate/problems.js';
import { validateDomain } from '../../src/validate/validateDomain.js';
import { ctrl, disk, domainXml, nic, pciAddr, rootPort, type DomainSpec } from '../../testkit/domains.js';

function check(spec: DomainSpec, policy = {}) {
  const { domain } = parseDomain(domainXml(spec), 'test.xml');
  return validateDomain(domain, policy);
}
const errorsOf = (spec: DomainSpec, policy = {}) => check(spec, policy).problems.filter((p) => p.severity === 'error');
const rules = (spec: DomainSpec, policy = {}) => errorsOf(spec, policy).map((p) => p.rule);

const q35Root = ctrl(0, 'pcie-root');

describe('a valid hand-written q35 layout', () => {
  const good: DomainSpec = {
    devices: [
      q35Root,
      rootPort(1, 2, 0, " multifunction='on'"),
      rootPort(2, 2, 1),
      disk('vda', pciAddr(1, 0)),
      nic('52:54:00:00:00:01', 'virtio', pciAddr(2, 0)),
      `<controller type='sata' index='0'>\n  ${pciAddr(0, 0x1f, 2)}\n</controller>`,
    ],
  };
  it('passes with no problems', () => {
    expect(check(good)).toEqual({ valid: true, problems: [] });
  });
});

describe('address rules', () => {
  const cases: [string, DomainSpec, RuleId, RegExp][] = [
    ['a device on a bus no controller provides', { devices: [q35Root, disk('vda', pciAddr(3, 0))] }, 'bus-missing', /only PCI buses up to 0/],
    ['a device in slot 1 of a root port', { devices: [q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 1))] }, 'slot-range', /slot must be <= 0 on a pcie-root-port/],
    ['a device in slot 0 of a pci-bridge (the SHPC slot)', { machine: 'pc', devices: [ctrl(0, 'pci-root'), ctrl(1, 'pci-bridge', pciAddr(0, 3)), nic('52:54:00:00:00:01', 'e1000', pciAddr(1, 0))] }, 'slot-range', /slot must be >= 1 on a pci-bridge/],
    ['a root port plugged into a pci-bridge', { machine: 'pc', devices: [ctrl(0, 'pci-root'), ctrl(1, 'pci-bridge', pciAddr(0, 3)), rootPort(2, 0, 0).replace("bus='0x00' slot='0x00'", "bus='0x01' slot='0x02'")] }, 'connect-type', /accepts a pcie-root-port/],
    ['the q35 LPC bridge function taken', { devices: [q35Root, `<sound model='ich9'>\n  ${pciAddr(0, 0x1f, 0)}\n</sound>`] }, 'reserved-slot', /reserved for the ICH9 ISA\/LPC bridge/],
    ['the pc PIIX3 slot taken', { machine: 'pc', devices: [ctrl(0, 'pci-root'), nic('52:54:00:00:00:01', 'e1000', pciAddr(0, 1, 3))] }, 'reserved-slot', /PIIX4 ACPI\/PM/],
    ['the primary SATA controller moved', { devices: [q35Root, `<controller type='sata' index='0'>\n  ${pciAddr(0, 5)}\n</controller>`] }, 'chipset-address', /Primary SATA controller must have PCI address 0:0:1f\.2/],
    ['two devices on one function', { devices: [q35Root, rootPort(1, 2, 0), disk('vda', pciAddr(1, 0)), disk('vdb', pciAddr(1, 0))] }, 'duplicate-address', /double use of PCI Address 0000:01:00\.0 \(also used by disk\[vda\]\)/],
    ['function 1 without function 0', { devices: [q35Root, rootPort(1, 2, 1), disk('vda', pciAddr(1, 0))] }, 'function-zero', /uses function 1 but nothing is at function 0/],
    ["multifunction='off' beside function 1", { devices: [q35Root, rootPort(1, 2, 0, " multifunction='off'"), rootPort(2, 2, 1)] }, 'multifunction', /multifunction='off'/],
    ['an integrated device behind a root port', { devices: [q35Root, rootPort(1, 2, 0), `<iommu model='virtio'>\n  ${pciAddr(1, 0)}\n</iommu>`] }, 'integrated', /needs to be an integrated device/],
  ];
  for (const [what, spec, rule, message] of cases) {
    it(`finds ${what}`, () => {
      const errs = errorsOf(spec);
      expect(errs.map((e) => e.rule)).toContain(rule);
      expect(errs.find((e) => e.rule === rule)!.message).toMatch(message);
    });
  }

  it('accepts what libvirt accepts from a user: PCI in PCIe slots, PCIe in PCI slots, pci-bridge on pcie.0', () => {
    const spec: DomainSpec = {
      devices: [
        q35Root,
        nic('52:54:00:00:00:01', 'e1000', pciAddr(0, 3)),
        rootPort(1, 2, 0),
        nic('52:54:00:00:00:02', 'rtl8139', pciAddr(1, 0)),
        ctrl(2, 'pci-bridge', pciAddr(0, 4), "<model name='pci-bridge'/>"),
        disk('vda', pciAddr(2, 1)),
      ],
    };
    expect(errorsOf(spec)).toEqual([]);
  });

  it("warns where libvirt would set multifunction='on' itself", () => {
    const { problems } = check({ devices: [q35Root, rootPort(1, 2, 0), rootPort(2, 2, 1)] });
    expect(problems.map((p) => [p.severity, p.rule])).toEqual([['warning', 'multifunction']]);
  });
});

describe('controller rules', () => {
  it("refuses hotplug='off' on a pci-bridge (libvirt: option not valid)", () => {
    const spec = { machine: 'pc', devices: [ctrl(0, 'pci-root'), ctrl(1, 'pci-bridge', pciAddr(0, 3), "<target hotplug='off'/>")] };
    expect(rules(spec)).toEqual(['controller-option']);
  });
  it('refuses a chassis out of range', () => {
    expect(rules({ devices: [q35Root, rootPort(1, 2, 0, '', "<target chassis='300' port='0x10'/>")] })).toEqual(['controller-option']);
  });
  it('refuses two root ports with one chassis (QEMU: "Can\'t add chassis slot")', () => {
    const spec = { devices: [q35Root, rootPort(1, 2, 0, " multifunction='on'", "<target chassis='7' port='0x10'/>"), rootPort(2, 2, 1, '', "<target chassis='7' port='0x11'/>")] };
    expect(rules(spec)).toEqual(['chassis']);
  });
  it('refuses a pci-bridge whose index is not above its bus', () => {
    const spec = { machine: 'pc', devices: [ctrl(0, 'pci-root'), ctrl(2, 'pci-bridge', pciAddr(0, 3)), ctrl(1, 'pci-bridge', pciAddr(2, 1))] };
    expect(rules(spec)).toEqual(['bridge-index']);
  });
  it('warns about a gap in controller indexes', () => {
    const { problems } = check({ devices: [q35Root, rootPort(2, 2, 0)] });
    expect(problems.map((p) => p.rule)).toEqual(['index-gap']);
  });
  it('refuses an expander bus NUMA node that is not in <cpu><numa>', () => {
    const spec = { numa: 2, devices: [q35Root, ctrl(1, 'pcie-expander-bus', pciAddr(0, 5), "<target busNr='200'>\n    <node>3</node>\n  </target>")] };
    expect(rules(spec)).toEqual(['numa-node']);
  });
});

describe('guest bus numbers', () => {
  it('refuses a root hierarchy that reaches into an expander range', () => {
    // 10 root ports on pcie.0 need buses 1-10; an expander at busNr 5 owns 5-255.
    const ports = Array.from({ length: 10 }, (_, i) => rootPort(i + 1, 2 + (i >> 3), i & 7, (i & 7) === 0 ? " multifunction='on'" : ''));
    const spec = { devices: [q35Root, ...ports, ctrl(11, 'pcie-expander-bus', pciAddr(0, 8), "<target busNr='5'/>")] };
    const errs = errorsOf(spec);
    expect(errs.map((e) => e.rule)).toEqual(['bus-numbers']);
    expect(errs[0]!.message).toMatch(/pcie-root hierarchy \(bus numbers 0-4\) needs 11 guest bus numbers but has room for 5/);
  });
  it('refuses two expanders with one busNr', () => {
    const spec = { devices: [q35Root, ctrl(1, 'pcie-expander-bus', pciAddr(0, 5), "<target busNr='100'/>"), ctrl(2, 'pcie-expander-bus', pciAddr(0, 6), "<target busNr='100'/>")] };
    expect(rules(spec)).toContain('bus-numbers');
  });
  it('counts 256 bus numbers per PCI domain', () => {
    // 255 root ports + pcie.0 = 256 buses: fits. One more does not.
    const ports = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const index = i + 1;
        const target = `<target chassis='${index % 256}' port='0x0'/>`;
        // Switches are needed for so many ports; the count alone is what is checked here.
        return ctrl(index, 'pcie-switch-downstream-port', undefined, target);
      });
    const count = (n: number) => errorsOf({ devices: [q35Root, ...ports(n)] }).filter((e) => e.rule === 'bus-numbers').length;
    expect(count(255)).toBe(0);
    expect(count(256)).toBeGreaterThan(0);
  });
});

describe('hints and policy', () => {
  const hint = (attrs: string) => `<addressPreferences ${attrs}/>`;
  const offPort = rootPort(2, 2, 1, '', "<target chassis='2' port='0x11' hotplug='off'/>");
  const base = [q35Root, rootPort(1, 2, 0, " multifunction='on'"), offPort];

  it("hotplug='no' on a hot-pluggable port is refused; on a hotplug='off' port or pcie.0 it is honoured", () => {
    expect(rules({ devices: [...base, disk('vda', pciAddr(1, 0), hint("hotplug='no'"))] })).toEqual(['hint-hotplug']);
    expect(rules({ devices: [...base, disk('vda', pciAddr(2, 0), hint("hotplug='no'"))] })).toEqual([]);
    expect(rules({ devices: [...base, disk('vda', pciAddr(0, 5), hint("hotplug='no'"))] })).toEqual([]);
  });
  it("hotplug='yes' on pcie.0 or a hotplug='off' port is refused", () => {
    expect(rules({ devices: [...base, disk('vda', pciAddr(0, 5), hint("hotplug='yes'"))] })).toEqual(['hint-hotplug']);
    expect(rules({ devices: [...base, disk('vda', pciAddr(2, 0), hint("hotplug='yes'"))] })).toEqual(['hint-hotplug']);
  });
  it('the policy default applies to devices without a hint, not to chipset devices', () => {
    const sata = `<controller type='sata' index='0'>\n  ${pciAddr(0, 0x1f, 2)}\n</controller>`;
    expect(rules({ devices: [...base, sata, disk('vda', pciAddr(0, 5))] }, { hotplug: 'yes' })).toEqual(['hint-hotplug']);
    expect(rules({ devices: [...base, sata, disk('vda', pciAddr(1, 0))] }, { hotplug: 'yes' })).toEqual([]);
  });
  it('a NUMA hint needs an expander bus on that node above the device', () => {
    const pxb = ctrl(3, 'pcie-expander-bus', pciAddr(0, 5), "<target busNr='200'>\n    <node>1</node>\n  </target>");
    const port = rootPort(4, 0, 0).replace("bus='0x00' slot='0x00'", "bus='0x03' slot='0x00'");
    expect(rules({ numa: 2, devices: [...base, pxb, port, disk('vda', pciAddr(4, 0), hint("numa='1'"))] })).toEqual([]);
    expect(rules({ numa: 2, devices: [...base, pxb, port, disk('vda', pciAddr(1, 0), hint("numa='1'"))] })).toEqual(['hint-numa']);
    expect(rules({ numa: 2, devices: [...base, pxb, port, disk('vda', pciAddr(4, 0), hint("numa='0'"))] })).toEqual(['hint-numa']);
    expect(rules({ numa: 1, devices: [...base, disk('vda', undefined, hint("numa='4'"))] })).toEqual(['hint-numa']);
  });
  it("a bus hint is honoured by the slot's kind, and bus='pcie' on a PCI-only model is refused", () => {
    const bridge = ctrl(3, 'pcie-to-pci-bridge', pciAddr(1, 0));
    expect(rules({ devices: [...base, bridge, nic('52:54:00:00:00:01', 'virtio', pciAddr(3, 1), hint("bus='pci'"))] })).toEqual([]);
    expect(rules({ devices: [...base, bridge, nic('52:54:00:00:00:01', 'virtio', pciAddr(2, 0), hint("bus='pci'"))] })).toEqual(['hint-bus']);
    expect(rules({ devices: [...base, nic('52:54:00:00:00:01', 'e1000', undefined, hint("bus='pcie'"))] })).toEqual(['hint-bus']);
  });
  it('a group shares one slot with its first device at function 0', () => {
    const g = hint("group='gpu'");
    const ok = [...base, nic('52:54:00:00:00:01', 'virtio', pciAddr(1, 0, 0, " multifunction='on'"), g), nic('52:54:00:00:00:02', 'virtio', pciAddr(1, 0, 1), g)];
    expect(rules({ devices: ok })).toEqual([]);
    const split = [...base, nic('52:54:00:00:00:01', 'virtio', pciAddr(1, 0), g), nic('52:54:00:00:00:02', 'virtio', pciAddr(2, 0), g)];
    expect(rules({ devices: split })).toEqual(['hint-group']);
    const swapped = [...base, nic('52:54:00:00:00:01', 'virtio', pciAddr(1, 0, 1), g), nic('52:54:00:00:00:02', 'virtio', pciAddr(1, 0, 0, " multifunction='on'"), g)];
    expect(rules({ devices: swapped })).toEqual(['hint-group']);
  });
  it('counts spare hot-pluggable PCIe ports for the policy', () => {
    const spec = { devices: [...base, disk('vda', pciAddr(2, 0))] };
    expect(rules(spec, { sparePciePorts: 1 })).toEqual([]);
    expect(rules(spec, { sparePciePorts: 2 })).toEqual(['policy-spares']);
  });
});
