// What the optimal search of a domain works on, before any model is built. assign.ts
// (prepareOptimal) makes it from a domain; explain's conflict search (src/explain) relaxes it and
// builds the instance again. The type lives here, below both, so that neither imports the other
// for it.
import type { GreedyResult } from '../alloc/greedy.js';
import type { NewController } from '../model/applyLayout.js';
import type { Policy } from '../model/schemas.js';
import type { Device, Domain } from '../model/types.js';

/** What the optimal search works on: the devices (implicit and forced ones included) and libvirt's layout for defaults. */
export interface OptimalInput {
  domain: Domain;
  devices: Device[];
  policy: Policy;
  greedy: GreedyResult | undefined;
  /** Controllers the input's addresses force, taken from libvirt's layout as given. */
  forced: NewController[];
  forcedDevices: Device[];
}
