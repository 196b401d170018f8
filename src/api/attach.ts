// attach(domain, devices, options): where new devices go in a domain whose devices all have
// addresses, without moving any of them; the elements to attach, in plug order.
import type { AttachedDevice } from '../attach.js';
import { inputError } from '../errors.js';
import { formatAddress } from '../model/types.js';
import { SCHEMA_VERSION } from '../schema/version.js';
import type { AttachJson } from '../schema/index.js';
import { checkPolicy, checkSolver, checkTimeout, domainOf, type DomainInput, type DomainOptions, type SearchOptions } from './options.js';

/** A device file's text (one device element, or several in <devices>), optionally with its name for messages. */
export type DeviceInput = string | { xml: string; file?: string };

export interface AttachOptions extends DomainOptions, SearchOptions {
  /** The guest runs: no controller may be added, every new device must be hot-pluggable. */
  live?: boolean;
}

/** The fields of `pciplan attach --format json`, and the elements to attach as one XML text. */
export interface AttachReport extends AttachJson {
  /** The elements with their addresses, in plug order, in a <devices> wrapper with one comment per step (what the CLI prints). */
  xml: string;
}

const addressOrNull = (d: AttachedDevice) => (d.address ? formatAddress(d.address) : null);

type Step = AttachJson['devices'][number] | AttachJson['addedControllers'][number];

/** Every element to attach, controllers included, in the order they must be attached. */
export function attachSteps(r: Pick<AttachJson, 'devices' | 'addedControllers'>): Step[] {
  return [...r.addedControllers, ...r.devices].sort((x, y) => x.plugOrder - y.plugOrder);
}

/** What a step does, for people: a slot appears to the guest when its function 0 is plugged. */
export function stepNote(step: Step, r: Pick<AttachJson, 'devices'>): string {
  if (!('kind' in step) || (step.kind === 'controller' && !step.file)) return 'add controller';
  const slot = (a: string | null) => a?.slice(0, -2);
  const shared = step.address && r.devices.filter((x) => slot(x.address) === slot(step.address)).length > 1;
  if (!shared) return 'attach';
  return step.address!.endsWith('.0') ? 'attach function 0 last: the slot appears now' : 'attach (queued until function 0)';
}

export async function attach(domain: DomainInput, devices: readonly DeviceInput[], options: AttachOptions = {}): Promise<AttachReport> {
  const parsed = domainOf(domain, options);
  if (!Array.isArray(devices) || devices.length === 0) throw inputError(undefined, 'attach needs at least one device element');
  const policy = checkPolicy(options.policy);
  const timeoutMs = checkTimeout(options.timeoutMs, 30_000);
  const solver = checkSolver(options.solver);
  const { attachDevices, elementText, readDeviceFile } = await import('../attach.js');
  const news = devices.flatMap((d, i) => (typeof d === 'string' ? readDeviceFile(d, `device-${i + 1}.xml`) : readDeviceFile(d.xml, d.file ?? `device-${i + 1}.xml`)));
  const r = await attachDevices(parsed, news, { live: !!options.live, policy, timeoutMs, solver });
  const json: AttachJson = {
    schemaVersion: SCHEMA_VERSION,
    live: r.live,
    devices: r.devices.map((d) => ({ id: d.id, kind: d.kind, ...(d.file ? { file: d.file } : {}), address: addressOrNull(d), plugOrder: d.plugOrder })),
    addedControllers: r.addedControllers.map((c) => ({ id: c.id, address: addressOrNull(c), plugOrder: c.plugOrder })),
    warnings: r.warnings,
    proven: r.proven,
    lowerBound: r.lowerBound,
  };
  const elements = new Map([...r.addedControllers, ...r.devices].map((d) => [d.plugOrder, d.element]));
  const how = r.live ? 'virsh attach-device DOMAIN FILE --live' : 'virsh attach-device DOMAIN FILE --config';
  const body = attachSteps(json).flatMap((d) => [`  <!-- ${d.plugOrder}. ${d.id}${d.address ? ` at ${d.address}` : ''}: ${stepNote(d, json)} -->`, elementText(elements.get(d.plugOrder)!, r.quote, '  ')]);
  return { ...json, xml: `<devices>\n  <!-- pciplan attach: one element per file, in this order (${how}) -->\n${body.join('\n')}\n</devices>\n` };
}
