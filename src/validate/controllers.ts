// Rules about the PCI controllers themselves: indexes, the root, which machine has which model,
// and the <target> options each model takes (libvirt qemu_validate.c, domain_validate.c,
// qemu_postparse.c; docs/pci-rules.md: Controller models, Bus numbers and controller indexes).
import { busAccepts, connectOf, CONTROLLERS, gapModel, MAX_CONTROLLER_INDEX, modelOnMachine, ROOT_MODELS, TARGET_RANGES, type ConnectType, type ControllerRole, type TargetOption } from '../catalog/index.js';
import { addressOf, type Topology } from '../model/topology.js';
import { pciControllers, type Domain } from '../model/types.js';
import { error, warning, type Problem } from './problems.js';

/**
 * The checks libvirt makes for one model only, by role: whether the index must be larger than the
 * bus the controller sits on (bridge-index), and libvirt's own words when the machine lacks it.
 */
const ROLE_RULES: Record<ControllerRole, { indexAboveBus: boolean; notOnMachine?: string }> = {
  'conventional-root': { indexAboveBus: false },
  'express-root': { indexAboveBus: false },
  'conventional-bridge': { indexAboveBus: true },
  'dmi-bridge': { indexAboveBus: false },
  'root-port': { indexAboveBus: false },
  'switch-upstream': { indexAboveBus: false },
  'switch-downstream': { indexAboveBus: false },
  'conventional-expander': { indexAboveBus: false, notOnMachine: 'are only supported on 440fx-based machinetypes' },
  'express-expander': { indexAboveBus: false },
  'express-to-conventional-bridge': { indexAboveBus: false },
};

export function checkControllers(domain: Domain, topo: Topology): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<number, string>();
  const multipleRoots = domain.machine.multipleRoots;
  for (const d of pciControllers(domain)) {
    const { index, model, target } = d.pci;
    const spec = CONTROLLERS[model];
    const isRoot = ROOT_MODELS.includes(model);
    const rules = ROLE_RULES[spec.role];
    if (index < 0) {
      out.push(error('controller-index', d, `invalid value for attribute 'index' in element 'controller': '${index}'. Expected non-negative value`));
      continue;
    }
    if (index > MAX_CONTROLLER_INDEX) out.push(error('controller-index', d, `PCI controller index ${index} too high, maximum is ${MAX_CONTROLLER_INDEX}`));
    const twin = seen.get(index);
    if (twin) out.push(error('controller-index', d, `multiple 'pci' controllers with index '${index}' (also ${twin})`));
    seen.set(index, d.id);

    if (index === 0 && model !== domain.machine.root) {
      out.push(
        error('root-model', d, `the PCI controller with index='0' must be model='${domain.machine.root}' for this machine type, but model='${model}' was found instead`),
      );
    } else if (isRoot && index !== 0 && !(multipleRoots && spec.role === 'conventional-root')) {
      out.push(error('controller-index', d, 'pci-root and pcie-root controllers should have index 0'));
    } else if (isRoot && model !== domain.machine.root) {
      out.push(error('root-model', d, `a ${model} controller does not exist on machine '${domain.machineName}' (its root is ${domain.machine.root})`));
    }
    if (isRoot && d.address.type !== 'none') out.push(error('root-address', d, 'pci-root and pcie-root controllers should not have an address'));

    if (!modelOnMachine(model, domain.machine.family, domain.arch)) {
      out.push(
        error(
          'controller-machine',
          d,
          `${model} controllers ${rules.notOnMachine ?? 'are not supported with this machine type'}`,
        ),
      );
    }

    for (const option of d.pci.targetOptions) {
      // pSeries PHBs take index and node; on other machines pci-root takes neither.
      const allowed =
        spec.targetOptions.includes(option as TargetOption) &&
        !(spec.role === 'conventional-root' && (option === 'index' || option === 'node') && !multipleRoots);
      if (!allowed) out.push(error('controller-option', d, `option '${option}' is not valid for PCI controller with index '${index}', model '${model}'`));
    }
    for (const [option, [lo, hi]] of Object.entries(TARGET_RANGES) as [TargetOption, [number, number]][]) {
      const v = (target as Record<string, number | undefined>)[option];
      if (v !== undefined && (v < lo || v > hi)) {
        out.push(error('controller-option', d, `PCI controller ${option} '${v}' out of range - must be ${lo}-${hi}`));
      }
    }
    if (target.node !== undefined) {
      if (index === 0) out.push(error('numa-node', d, "the PCI controller with index=0 can't be associated with a NUMA node"));
      else if (!domain.numaCells.includes(target.node)) {
        out.push(
          error(
            'numa-node',
            d,
            `${model} with index ${index} is configured for a NUMA node (${target.node}) not present in the domain's <cpu><numa> array (${domain.numaCells.length})`,
          ),
        );
      }
    }
    const at = addressOf(d);
    if (rules.indexAboveBus && at && index <= at.bus) {
      out.push(
        error('bridge-index', d, `PCI controller at index ${index} has bus='0x${at.bus.toString(16).padStart(2, '0')}', but index must be larger than bus`),
      );
    }
  }

  out.push(...checkUnaddressedBridges(domain, topo));

  // libvirt fills gaps in the index sequence with default controllers; a layout that relies on
  // that is incomplete as written.
  // Bounded by the highest index libvirt takes, not by the highest written (which may be 2^31-1).
  for (let i = 1; i < Math.min(topo.nbuses, MAX_CONTROLLER_INDEX + 1); i++) {
    if (!topo.buses.has(i)) {
      out.push(warning('index-gap', undefined, `no PCI controller has index ${i} (libvirt fills the gap with a default controller)`));
    }
  }
  return out;
}

/**
 * A pci-bridge written without an address goes on a bus with a lower index (bridge-index). The
 * buses below it are the controllers written there and, at the indexes nobody wrote, libvirt's
 * gap model (pcie-root-port on q35 and virt): when none of them takes a pci-bridge, no address
 * exists and libvirt refuses the domain ("index must be larger than bus").
 */
function checkUnaddressedBridges(domain: Domain, topo: Topology): Problem[] {
  const out: Problem[] = [];
  const fill = CONTROLLERS[gapModel(domain.machine)];
  const takesBridge = (accepts: readonly ConnectType[]) => busAccepts(accepts, connectOf('conventional-bridge'), false);
  // Lowest index whose bus takes a pci-bridge (a gap counts as its fill model).
  let lowest = Infinity;
  // Indexes above 255 are refused on their own (controller-index): never loop up to them.
  for (let i = 0; i < Math.min(topo.nbuses, MAX_CONTROLLER_INDEX + 1) && lowest === Infinity; i++) {
    const bus = topo.buses.get(i);
    if (bus ? takesBridge(bus.spec.accepts) : i > 0 && takesBridge(fill.accepts)) lowest = i;
  }
  for (const d of pciControllers(domain)) {
    if (CONTROLLERS[d.pci.model].role !== 'conventional-bridge' || addressOf(d) || lowest < d.pci.index) continue;
    out.push(error('bridge-index', d, `pci-bridge with index ${d.pci.index} has no address, and no bus with a lower index takes a pci-bridge${d.pci.index > 1 ? ` (libvirt fills the unused indexes with ${fill.model} controllers)` : ''}: give it an address, or a bus that takes it (a pcie-to-pci-bridge) with a lower index`));
  }
  return out;
}
