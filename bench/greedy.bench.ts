/**
 * pciplan's greedy strategy against real libvirt's define + dumpxml, on generated domains of 16,
 * 64, 230 and 2,000 devices (testkit/unaddressedDomains.ts).
 *
 *   npx tsx bench/greedy.bench.ts        (npm run bench:greedy)
 *
 * pciplan is timed with benny (parse + greedy + write, in process). libvirt is timed as the tests
 * call it: one `defineBatch([xml])` per repetition, which runs one virsh process on the embedded
 * QEMU driver (define, dumpxml --inactive, undefine); the median of several repetitions is kept.
 * libvirt's time therefore includes starting virsh and its driver, which is also reported alone
 * (an empty q35 domain) so that the per-domain work can be estimated.
 *
 * Writes bench/results/greedy.json and the table between the markers in bench/README.md.
 * This machine has 2 cores and noisy neighbours: compare ratios, not absolute times.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import b from 'benny';
import { assignDomain } from '../src/assign.js';
import { parseDomain } from '../src/model/parseDomain.js';
import { writeXml } from '../src/xml/writeXml.js';
import { generateDomain, type GenerateOptions, type Machine } from '../testkit/unaddressedDomains.js';
import { addressTable, tableDiff } from '../testkit/parity.js';
import { defineBatch, libvirtAvailable, libvirtUnavailableReason } from '../src/oracle/libvirt.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SEED = 2026;

interface Size {
  devices: number;
  machine: Machine;
  profile: NonNullable<GenerateOptions['profile']>;
  /** libvirt repetitions (each is a virsh process). */
  reps: number;
  /** Copies of the domain in one virsh process, for libvirt's per-domain cost without start-up. */
  batch: number;
}

const SIZES: Size[] = [
  { devices: 16, machine: 'q35', profile: 'mixed', reps: 15, batch: 40 },
  { devices: 64, machine: 'q35', profile: 'mixed', reps: 15, batch: 20 },
  { devices: 230, machine: 'q35', profile: 'mixed', reps: 11, batch: 10 },
  // libvirt cannot add 65 pci-bridges in one define; the domain writes them (without addresses).
  { devices: 2000, machine: 'pc', profile: 'legacy', reps: 7, batch: 5 },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

async function greedy(xml: string, name: string) {
  const r = await assignDomain(parseDomain(xml, `${name}.xml`), { strategy: 'greedy', policy: {} });
  return { result: r, xml: writeXml(r.doc) };
}

interface Input {
  size: Size;
  name: string;
  xml: string;
  /** Differences between pciplan's table and libvirt's for this input (0: identical). */
  differences: number;
  addedControllers: number;
}

/** The first generated domain of the size that libvirt defines, preferring one pciplan matches. */
async function pickInput(size: Size): Promise<Input> {
  const opts: GenerateOptions = { machines: [size.machine], devices: size.devices, profile: size.profile, failRate: 0 };
  const candidates = Array.from({ length: 8 }, (_, i) => generateDomain(SEED, i, opts));
  const defined = await defineBatch(candidates.map((c) => c.xml));
  let fallback: Input | undefined;
  for (const [i, c] of candidates.entries()) {
    const lv = defined[i]!;
    if (!lv.ok) continue;
    const ours = await greedy(c.xml, c.name).catch(() => undefined);
    if (!ours) continue;
    const differences = tableDiff(addressTable(ours.result.domain), addressTable(parseDomain(lv.xml, 'libvirt.xml').domain)).length;
    const input = { size, name: c.name, xml: c.xml, differences, addedControllers: ours.result.addedControllers.filter((a) => a.index > 0).length };
    if (differences === 0) return input;
    fallback ??= input;
  }
  if (!fallback) throw new Error(`no generated ${size.machine} domain of ${size.devices} devices that libvirt and pciplan both accept`);
  return fallback;
}

/** Wall time of `reps` calls of defineBatch with `copies` copies of the domain (one virsh each). */
async function timeLibvirt(xml: string, reps: number, copies = 1): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const rs = await defineBatch(Array.from({ length: copies }, () => xml));
    ms.push(performance.now() - t);
    const bad = rs.find((r) => !r.ok);
    if (bad && !bad.ok) throw new Error(`libvirt refused a benchmark input: ${bad.error}`);
  }
  return ms;
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

const EMPTY_Q35 = `<domain type='qemu'>
  <name>bench-empty</name>
  <memory unit='KiB'>262144</memory>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' index='0' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
`;

async function main(): Promise<void> {
  if (!libvirtAvailable()) throw new Error(`real libvirt is needed for the comparison: ${libvirtUnavailableReason()}`);
  // Warms libvirt's QEMU capability cache (the first call per binary probes QEMU for seconds).
  await defineBatch([EMPTY_Q35]);
  const inputs: Input[] = [];
  for (const size of SIZES) inputs.push(await pickInput(size));

  const summary = await b.suite(
    'pciplan greedy (parse + assign + write)',
    b.configure({ cases: { minSamples: 10, maxTime: 3 } }),
    ...inputs.map((input) =>
      b.add(`${input.size.devices} devices (${input.size.machine})`, async () => {
        await greedy(input.xml, input.name);
      }, input.size.devices >= 1000 ? { minSamples: 8, maxTime: 8 } : {}),
    ),
    b.cycle(),
  );

  const baseline = await timeLibvirt(EMPTY_Q35, 15);
  const rows = [];
  for (const [i, input] of inputs.entries()) {
    const bench = summary.results[i]!;
    const single = await timeLibvirt(input.xml, input.size.reps);
    const batched = await timeLibvirt(input.xml, input.size.reps, input.size.batch);
    const pciplanMedian = bench.details.median * 1000;
    const libvirtMedian = median(single);
    // One more domain in the same virsh process: libvirt's own work, without its start-up.
    const perDomain = Math.max(0, (median(batched) - libvirtMedian) / (input.size.batch - 1));
    rows.push({
      devices: input.size.devices,
      machine: input.size.machine,
      profile: input.size.profile,
      input: `${input.name} (generateDomain(${SEED}, i, { machines: ['${input.size.machine}'], devices: ${input.size.devices}, profile: '${input.size.profile}', failRate: 0 }))`,
      controllersAdded: input.addedControllers,
      tableDifferencesWithLibvirt: input.differences,
      pciplan: {
        medianMs: round(pciplanMedian, 3),
        meanMs: round(bench.details.mean * 1000, 3),
        minMs: round(bench.details.min * 1000, 3),
        samples: bench.samples,
        opsPerSec: round(bench.ops, 1),
        relativeMarginOfErrorPct: round(bench.details.relativeMarginOfError, 1),
      },
      libvirt: {
        medianMs: round(libvirtMedian, 1),
        samplesMs: single.map((x) => round(x, 1)),
        batch: { copies: input.size.batch, medianMs: round(median(batched), 1), samplesMs: batched.map((x) => round(x, 1)) },
        perDomainInBatchMs: round(perDomain, 2),
      },
      /** libvirt's median (one define in one virsh process) divided by pciplan's: above 1, pciplan is faster. */
      ratio: round(libvirtMedian / pciplanMedian, 2),
      /** libvirt's cost of one more domain in a running virsh process, divided by pciplan's time. */
      ratioPerDomainInBatch: round(perDomain / pciplanMedian, 2),
    });
  }

  const result = {
    benchmark: 'pciplan greedy vs libvirt define + dumpxml',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    libvirt: version('virsh', ['--version']),
    qemu: version('qemu-system-x86_64', ['--version']),
    libvirtEmptyDomainMs: { medianMs: round(median(baseline), 1), samplesMs: baseline.map((x) => round(x, 1)) },
    note: 'noisy 2-core machine: compare ratios, not absolute times',
    sizes: rows,
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'greedy.json'), `${JSON.stringify(result, null, 2)}\n`);

  const table = [
    '| devices | machine | controllers added | pciplan greedy, median ms | libvirt define + dumpxml, median ms | ratio (libvirt ÷ pciplan) | libvirt per domain in a batch, ms | ratio (batched) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.devices.toLocaleString('en')} | ${r.machine} | ${r.controllersAdded} | ${r.pciplan.medianMs.toFixed(2)} | ${r.libvirt.medianMs.toFixed(1)} | ` +
        `${r.ratio.toFixed(1)} | ${r.libvirt.perDomainInBatchMs.toFixed(2)} | ${r.ratioPerDomainInBatch.toFixed(2)} |`,
    ),
    '',
    `libvirt start-up alone (an empty q35 domain through the same path): ${result.libvirtEmptyDomainMs.medianMs.toFixed(1)} ms median. ` +
      `libvirt ${result.libvirt}, ${result.qemu.replace(/ \(.*\)/, '')}, Node ${process.version}, ${result.machine.cpus} × ${result.machine.cpu}, ${result.date.slice(0, 10)}.`,
  ].join('\n');
  console.log(`\n${table}\n`);
  const readme = join(HERE, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- greedy:begin -->';
  const end = '<!-- greedy:end -->';
  if (text.includes(begin) && text.includes(end)) {
    writeFileSync(readme, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
  }
  const mismatched = rows.filter((r) => r.tableDifferencesWithLibvirt > 0);
  if (mismatched.length) console.log(`note: pciplan's layout differs from libvirt's for ${mismatched.map((r) => r.devices).join(', ')} devices`);
}

await main();
