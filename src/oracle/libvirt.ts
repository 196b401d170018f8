/**
 * Real libvirt (9.x, QEMU driver), run offline: the tests' oracle and `compare --libvirt`.
 *
 * libvirt's embedded QEMU driver (`qemu:///embed?root=DIR`) lives inside the
 * virsh process: no daemon, no VM. `define` is where libvirt validates the
 * PCI addresses it is given and assigns the missing ones (adding root ports
 * and bridges), so define + `dumpxml --inactive` is libvirt's verdict.
 *
 * Speed is everything here (see docs/architecture.md, Oracles):
 *  - qemu.conf in the root must say user/group root, otherwise libvirt
 *    distrusts and re-probes its QEMU capability cache on every start;
 *  - the process is pinned to CPU 0 (`taskset -c 0`) because the host's CPUs
 *    report different CPUID data, which also invalidates the cache;
 *  - the root is fixed, so the ~4 s first probe per QEMU binary is paid once
 *    per machine, not once per run;
 *  - many domains go through ONE virsh process (`;`-separated commands).
 * The driver refuses to start as root unless the `libvirt-qemu` user exists.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from './lock.js';
import { shellSplit, stripEnvAssignments } from './shell.js';

export type DefineResult = { ok: true; xml: string } | { ok: false; error: string };
export type NativeResult = { ok: true; argv: string[] } | { ok: false; error: string };

/** Shared embed root; its capability cache is what makes calls cheap. */
export const LIBVIRT_ORACLE_ROOT = process.env.PCIPLAN_LIBVIRT_ORACLE_ROOT ?? '/var/tmp/pciplan-libvirt-oracle';
const LOCK_DIR = `${LIBVIRT_ORACLE_ROOT}.lock`;
export const QEMU_CONF = 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n';

/** Domains per virsh process: keeps the command line far below ARG_MAX. */
const CHUNK = 100;
/** Generous: a cold root probes x86_64 and aarch64 (~4 s + ~1.5 s, more under load). */
const VIRSH_TIMEOUT_MS = 180_000;

export const VIRSH_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  LC_ALL: 'C',
  // libvirt's own debug log would otherwise go to stderr and mix with errors.
  LIBVIRT_LOG_OUTPUTS: '4:file:/dev/null',
};
delete VIRSH_ENV.LIBVIRT_DEFAULT_URI;
delete VIRSH_ENV.VIRSH_DEFAULT_CONNECT_URI;

let canPin: boolean | undefined;
/** taskset is in util-linux, but do not make it a hard requirement. */
function pinPrefix(): string[] {
  canPin ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return canPin ? ['taskset', '-c', '0'] : [];
}

export function virshArgv(root: string, commands: string): [string, string[]] {
  const argv = [...pinPrefix(), 'virsh', '-q', '-c', `qemu:///embed?root=${root}`, commands];
  return [argv[0]!, argv.slice(1)];
}

let availability: { ok: boolean; reason?: string } | undefined;

/**
 * True when virsh exists and the embedded QEMU driver starts. Checked once per
 * process on a throw-away root so that it needs no lock and no QEMU probe.
 */
export function libvirtAvailable(): boolean {
  return checkAvailability().ok;
}

/** Why libvirtAvailable() is false, for test diagnostics. */
export function libvirtUnavailableReason(): string | undefined {
  return checkAvailability().reason;
}

function checkAvailability(): { ok: boolean; reason?: string } {
  if (availability) return availability;
  const version = spawnSync('virsh', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    availability = { ok: false, reason: 'virsh not found (apt-get install libvirt-clients libvirt-daemon-driver-qemu)' };
    return availability;
  }
  // Next to the real root rather than in $TMPDIR: the root goes into a URI.
  const probeRoot = mkdtempSync(`${LIBVIRT_ORACLE_ROOT}.probe-`);
  try {
    mkdirSync(join(probeRoot, 'etc'), { recursive: true });
    writeFileSync(join(probeRoot, 'etc', 'qemu.conf'), QEMU_CONF);
    const [cmd, args] = virshArgv(probeRoot, 'uri');
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: VIRSH_ENV, timeout: 60_000 });
    availability =
      r.status === 0
        ? { ok: true }
        : {
            ok: false,
            reason: `embedded QEMU driver does not start (is the libvirt-qemu user missing?): ${oneLine(r.stderr ?? String(r.error))}`,
          };
  } finally {
    rmSync(probeRoot, { recursive: true, force: true });
  }
  return availability;
}

/** libvirt's `error: ` lines as one line, without the prefixes. */
function oneLine(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^error: /, '').trim())
    .filter((l) => l.length > 0)
    .join(' ');
}

interface VirshRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

function runVirsh(commands: string): Promise<VirshRun> {
  const [cmd, args] = virshArgv(LIBVIRT_ORACLE_ROOT, commands);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: VIRSH_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), VIRSH_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code });
    });
  });
}

/** Prepares the shared root; called with the lock held. */
async function prepareRoot(): Promise<void> {
  await mkdir(join(LIBVIRT_ORACLE_ROOT, 'etc'), { recursive: true });
  const confPath = join(LIBVIRT_ORACLE_ROOT, 'etc', 'qemu.conf');
  const current = await readFile(confPath, 'utf8').catch(() => '');
  if (current !== QEMU_CONF) await writeFile(confPath, QEMU_CONF);
  // A run killed between define and undefine leaves a persistent definition
  // behind; the driver would load it on every start and it could clash on
  // UUID with a later define. Nobody else is using the root right now.
  const defs = join(LIBVIRT_ORACLE_ROOT, 'etc', 'qemu');
  const leftovers = await readdir(defs).catch(() => [] as string[]);
  await Promise.all(leftovers.filter((f) => f.endsWith('.xml')).map((f) => unlink(join(defs, f)).catch(() => undefined)));
}

const MARK = '@@PCIPLAN:';
const MARK_RE = /@@PCIPLAN:(\d+|END)@@/g;

/**
 * Runs one virsh command group per item in a single virsh process and returns
 * each group's stdout and stderr. Markers are echoed to both streams (virsh's
 * `echo --err` prints `error: MARK`), because stdout and stderr are separate
 * pipes and a command's error cannot otherwise be matched to its command.
 */
async function runGroups(groups: string[]): Promise<Array<{ out: string; err: string }>> {
  const script = groups
    .map((g, i) => `echo ${MARK}${i}@@; echo --err ${MARK}${i}@@; ${g}`)
    .concat([`echo ${MARK}END@@; echo --err ${MARK}END@@`])
    .join('; ');
  const run = await runVirsh(script);
  const outParts = splitByMarkers(run.stdout);
  const errParts = splitByMarkers(run.stderr);
  if (!outParts.has('END')) {
    // virsh never reached the end: it could not connect, crashed or timed out.
    throw new Error(`virsh failed (exit ${run.code}): ${oneLine(run.stderr).slice(0, 2000)}`);
  }
  return groups.map((_, i) => ({ out: outParts.get(String(i)) ?? '', err: errParts.get(String(i)) ?? '' }));
}

function splitByMarkers(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  const marks = [...text.matchAll(MARK_RE)];
  marks.forEach((m, k) => {
    const start = m.index + m[0].length;
    const end = k + 1 < marks.length ? marks[k + 1]!.index : text.length;
    let body = text.slice(start, end);
    // `echo --err` output is "error: MARK\n": drop what is left of that line.
    if (body.startsWith('\n')) body = body.slice(1);
    body = body.replace(/error: $/, '');
    parts.set(m[1]!, body);
  });
  return parts;
}

/** Writes the chunk's XMLs to a temp dir, runs fn, and always cleans up. */
async function withTempFiles<T>(contents: (string | Uint8Array)[], fn: (paths: string[]) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'pciplan-virsh-'));
  try {
    const paths = contents.map((_, i) => join(dir, `${i}.xml`));
    await Promise.all(paths.map((p, i) => writeFile(p, contents[i]!)));
    return await fn(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function inChunks<T, R>(items: T[], fn: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) results.push(...(await fn(items.slice(i, i + CHUNK))));
  return results;
}

let nameCounter = 0;
const NAME_RE = /<name>([^<]*)<\/name>/;

/** Wrapper lines that only carry our temp file path or rewritten name. */
const NOISE_RE = /^(Failed to define domain from |failed to get domain ')/;

function defineError(err: string, uniqueName: string, originalName: string): string {
  const lines = err
    .split('\n')
    .map((l) => l.replace(/^error: /, '').trim())
    .filter((l) => l.length > 0);
  const useful = lines.filter((l) => !NOISE_RE.test(l));
  return (useful.length > 0 ? useful : lines).join(' ').split(uniqueName).join(originalName);
}

/**
 * Defines each domain with real libvirt and returns `dumpxml --inactive` (the
 * domain as libvirt completed it) or libvirt's error on one line. A domain
 * given as bytes is written as they are (to ask libvirt about bytes that are
 * not UTF-8, or a NUL).
 */
export async function defineBatch(domains: (string | Uint8Array)[], opts: { validate?: boolean } = {}): Promise<DefineResult[]> {
  const define = opts.validate ? 'define --validate' : 'define';
  return inChunks(domains, async (chunk) => {
    // Unique names: a batch may repeat a name, and a killed run may have left
    // a definition behind. The original name is put back in the results.
    const renamed = chunk.map((given) => {
      // latin1 maps each byte to one character and back, so bytes survive the rename.
      const xml = typeof given === 'string' ? given : Buffer.from(given).toString('latin1');
      const back = (text: string) => (typeof given === 'string' ? text : Buffer.from(text, 'latin1'));
      const m = NAME_RE.exec(xml);
      const unique = `pciplan-oracle-${process.pid}-${nameCounter++}`;
      if (!m) return { xml: given, unique, original: undefined };
      return { xml: back(xml.replace(NAME_RE, `<name>${unique}</name>`)), unique, original: m[1]! };
    });
    return withTempFiles(
      renamed.map((r) => r.xml),
      (paths) =>
        withLock(LOCK_DIR, async () => {
          await prepareRoot();
          const groups = renamed.map((r, i) =>
            // Without a <name>, define fails by itself and the other two
            // commands fail harmlessly.
            `${define} '${paths[i]}'; dumpxml --inactive ${r.unique}; undefine ${r.unique}`,
          );
          const parts = await runGroups(groups);
          return parts.map((p, i): DefineResult => {
            const r = renamed[i]!;
            const start = p.out.indexOf('<domain');
            if (start >= 0) {
              const xml = p.out.slice(start);
              return { ok: true, xml: r.original === undefined ? xml : xml.replace(`<name>${r.unique}</name>`, `<name>${r.original}</name>`) };
            }
            return { ok: false, error: defineError(p.err, r.unique, r.original ?? '') };
          });
        }),
    );
  });
}

/**
 * NIC stand-ins for domxml-to-native.
 *
 * libvirt 9 rebuilds EVERY interface as a fresh tap-backed definition when it
 * prints a command line. That has two consequences, both bad for an oracle:
 *  - the interface's explicit PCI address is dropped and the NIC is
 *    auto-placed, so the printed layout is not the one the domain would run
 *    with (define/start keep the address);
 *  - libvirt really creates the tap: it opens /dev/net/tun, brings up a
 *    host-visible vnetN and runs `tc` (~20 ms per NIC; fails without
 *    /dev/net/tun or CAP_NET_ADMIN).
 * So each interface with an explicit PCI address is swapped for a virtio-rng
 * at the same address with a user alias (libvirt uses it as the QEMU id), and
 * that -device line is turned back into the NIC afterwards. The rng has the
 * NIC's connect class (PCIe: model virtio; conventional PCI:
 * virtio-transitional), because the class decides which controllers libvirt
 * adds when an address names a bus that does not exist yet. Interfaces without an address are
 * left to libvirt: their model decides where libvirt would auto-place them.
 */
interface NicStandIn {
  alias: string;
  driver: string;
  mac?: string;
}

/** QEMU device names for libvirt NIC models; other models pass through unchanged. */
const NIC_DRIVERS: Record<string, string> = {
  virtio: 'virtio-net-pci',
  'virtio-transitional': 'virtio-net-pci-transitional',
  'virtio-non-transitional': 'virtio-net-pci-non-transitional',
};

/** NIC models libvirt treats as PCI Express on PCIe machines; all others are conventional PCI. */
const PCIE_NIC_MODELS: ReadonlySet<string> = new Set(['virtio', 'virtio-non-transitional', 'e1000e', 'igb']);

const attr = (text: string, name: string): string | undefined =>
  new RegExp(`\\b${name}=(['"])(.*?)\\1`).exec(text)?.[2];

function standInNics(xml: string): { xml: string; nics: NicStandIn[] } {
  const nics: NicStandIn[] = [];
  const out = xml.replace(/<interface\b([^>]*)>([\s\S]*?)<\/interface>/g, (whole, attrs: string, body: string) => {
    const type = attr(attrs, 'type');
    const model = /<model\b[^>]*>/.exec(body)?.[0];
    const address = /<address\b[^>]*\btype=(['"])pci\1[^>]*\/>/.exec(body)?.[0];
    // hostdev/vhostuser/vdpa interfaces are not turned into taps.
    if (!model || !address || type === 'hostdev' || type === 'vhostuser' || type === 'vdpa') return whole;
    const modelType = attr(model, 'type');
    const bus = Number(attr(address, 'bus') ?? 0);
    const slot = Number(attr(address, 'slot') ?? 0);
    if (!modelType || (bus === 0 && slot === 0)) return whole; // empty address = auto
    const alias = `ua-pciplan-nic${nics.length}`;
    const mac = /<mac\b[^>]*>/.exec(body)?.[0];
    const nic: NicStandIn = { alias, driver: NIC_DRIVERS[modelType] ?? modelType };
    const macAddr = mac ? attr(mac, 'address') : undefined;
    if (macAddr) nic.mac = macAddr;
    nics.push(nic);
    const rngModel = PCIE_NIC_MODELS.has(modelType) ? 'virtio' : 'virtio-transitional';
    return `<rng model='${rngModel}'><backend model='builtin'/><alias name='${alias}'/>${address}</rng>`;
  });
  return { xml: out, nics };
}

/** Turns the stand-ins' rng object/device pairs back into NIC netdev/device pairs. */
function restoreNics(argv: string[], nics: NicStandIn[]): string[] {
  if (nics.length === 0) return argv;
  const byAlias = new Map(nics.map((n) => [n.alias, n]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i]!;
    const value = argv[i + 1];
    if ((opt === '-object' || opt === '-device') && value?.startsWith('{')) {
      const props = JSON.parse(value) as Record<string, unknown>;
      const id = String(props.id ?? '');
      if (opt === '-object' && byAlias.has(id.replace(/^obj/, ''))) {
        i++;
        continue;
      }
      const nic = byAlias.get(id);
      if (opt === '-device' && nic) {
        const { driver: _d, rng: _r, id: _i, ...placement } = props;
        const netdev = `hostnet-${nic.alias}`;
        out.push('-netdev', JSON.stringify({ type: 'user', id: netdev }));
        out.push('-device', JSON.stringify({ driver: nic.driver, netdev, id: nic.alias, ...(nic.mac ? { mac: nic.mac } : {}), ...placement }));
        i++;
        continue;
      }
    }
    out.push(opt);
  }
  return out;
}

/**
 * `domxml-to-native qemu-argv` for each domain: the QEMU command line libvirt
 * would run (emulator first, environment assignments dropped), or the error.
 * Addressed NICs go through the stand-in above and come back with a
 * `-netdev {"type":"user"}` backend instead of libvirt's tap.
 */
export async function domxmlToNative(domains: string[]): Promise<NativeResult[]> {
  const prepared = domains.map(standInNics);
  return inChunks(prepared, (chunk) =>
    withTempFiles(
      chunk.map((p) => p.xml),
      (paths) =>
        withLock(LOCK_DIR, async () => {
          await prepareRoot();
          const parts = await runGroups(paths.map((p) => `domxml-to-native qemu-argv --xml '${p}'`));
          return parts.map((p, i): NativeResult => {
            const line = p.out.trim();
            if (line.length > 0) return { ok: true, argv: restoreNics(stripEnvAssignments(shellSplit(line)), chunk[i]!.nics) };
            return { ok: false, error: oneLine(p.err) || 'domxml-to-native printed nothing' };
          });
        }),
    ),
  );
}
