// encodings/ports.ts alone: HP_L = rp_L + dp_L + hpPorts_L >= sum_c u_c_port_L + spP_L (and the
// other port and switch counts).
import { describe, expect, it } from 'vitest';
import { encodePorts } from '../../encodings/ports.js';
import { alone, check, fix, instance, location, units, x } from './tiny.js';

describe('ports: a hot-pluggable unit needs a hot-pluggable port of its own', () => {
  // Two hotplug=yes PCIe units, one free hot-pluggable root port that exists already.
  const inst = instance({ units: units(2, { hotplug: true }), locations: [location({ id: 'R', hpPorts: 1 })] });
  const { smt, v, bare } = alone(inst, encodePorts);
  const R = v.loc.get('R')!;

  it('the free port and one new root port hold both', async () => {
    expect(await check(smt, fix([x(v, 'port'), 2], [R.rp, 1], [R.dp, 0]))).toBe('sat');
  });

  it('the free port alone does not', async () => {
    expect(await check(bare, fix([x(v, 'port'), 2], [R.rp, 0], [R.dp, 0]))).toBe('sat');
    expect(await check(smt, fix([x(v, 'port'), 2], [R.rp, 0], [R.dp, 0]))).toBe('unsat');
  });
});

describe('ports: downstream ports come 32 to a switch', () => {
  const inst = instance({ units: units(2, { hotplug: true }), locations: [location({ id: 'R', hpPorts: 1 })] });
  const { smt, v, bare } = alone(inst, encodePorts);
  const R = v.loc.get('R')!;

  it('a switch on the free port gives the two ports', async () => {
    expect(await check(smt, fix([x(v, 'port'), 2], [R.rp, 0], [R.sw, 1], [R.dp, 2]))).toBe('sat');
  });

  it('downstream ports without a switch: no', async () => {
    expect(await check(bare, fix([x(v, 'port'), 2], [R.rp, 0], [R.sw, 0], [R.dp, 2]))).toBe('sat');
    expect(await check(smt, fix([x(v, 'port'), 2], [R.rp, 0], [R.sw, 0], [R.dp, 2]))).toBe('unsat');
  });
});
