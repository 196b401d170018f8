/**
 * Runs generated layouts through both oracles and tabulates which faults each
 * one catches. Used by layouts.test.ts and handy from a REPL/script:
 *   npx tsx -e "import('./test/gen/crosscheck.ts').then(async m => console.log(m.formatSummary(await m.crossCheck(m.generateLayouts(1, 200)))))"
 */
import { defineBatch } from '../../src/oracle/libvirt.js';
import { qemuAcceptsBatch } from '../oracle/qemu.js';
import { generateLayouts, type GeneratedLayout } from './layouts.js';

export { generateLayouts };

export interface CrossCheckRow {
  name: string;
  machine: string;
  fault: string;
  libvirt: { ok: boolean; error?: string };
  /** stage 'libvirt' means domxml-to-native refused, so QEMU never ran. */
  qemu: { ok: boolean; error?: string; stage?: 'libvirt' | 'qemu' };
}

export async function crossCheck(layouts: GeneratedLayout[]): Promise<CrossCheckRow[]> {
  const xmls = layouts.map((l) => l.xml);
  // Sequential on purpose: both batches need the libvirt lock anyway.
  const lv = await defineBatch(xmls);
  const qm = await qemuAcceptsBatch(xmls);
  return layouts.map((l, i) => {
    const a = lv[i]!;
    const q = qm[i]!;
    return {
      name: l.name,
      machine: l.machine,
      fault: l.fault ?? 'none (good)',
      libvirt: a.ok ? { ok: true } : { ok: false, error: a.error },
      qemu: q.ok ? { ok: true } : { ok: false, error: q.error, stage: q.stage },
    };
  });
}

const cell = (r: { ok: boolean; stage?: string }): string => (r.ok ? 'ok' : r.stage === 'libvirt' ? 'n/a' : 'ERR');

/** One line per layout: fault, machine, libvirt verdict, QEMU verdict, first error. */
export function formatRows(rows: CrossCheckRow[]): string {
  const w = Math.max(12, ...rows.map((r) => r.fault.length));
  const head = `${'fault'.padEnd(w)}  machine  libvirt  qemu  error`;
  const lines = rows.map((r) => {
    const err = r.libvirt.error ?? r.qemu.error ?? '';
    return `${r.fault.padEnd(w)}  ${r.machine.padEnd(7)}  ${cell(r.libvirt).padEnd(7)}  ${cell(r.qemu).padEnd(4)}  ${err.slice(0, 110)}`;
  });
  return [head, ...lines].join('\n');
}

/** Per fault: how many layouts, how many each oracle rejected (n/a = QEMU never ran). */
export function formatSummary(rows: CrossCheckRow[]): string {
  const by = new Map<string, CrossCheckRow[]>();
  for (const r of rows) by.set(r.fault, [...(by.get(r.fault) ?? []), r]);
  const w = Math.max(12, ...[...by.keys()].map((k) => k.length));
  const head = `${'fault'.padEnd(w)}    n  libvirt-rejects  qemu-rejects  qemu-n/a`;
  const lines = [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([fault, rs]) => {
      const lvErr = rs.filter((r) => !r.libvirt.ok).length;
      const qErr = rs.filter((r) => !r.qemu.ok && r.qemu.stage === 'qemu').length;
      const qNa = rs.filter((r) => !r.qemu.ok && r.qemu.stage === 'libvirt').length;
      return `${fault.padEnd(w)}  ${String(rs.length).padStart(3)}  ${String(lvErr).padStart(15)}  ${String(qErr).padStart(12)}  ${String(qNa).padStart(8)}`;
    });
  return [head, ...lines].join('\n');
}
