/**
 * Real QEMU as a test oracle: does QEMU itself accept a PCI layout?
 *
 * The command line comes from libvirt (`domxml-to-native qemu-argv`), so QEMU
 * sees exactly the -device list libvirt would start it with. Everything that
 * needs host resources is replaced by a stub with the same id, so only device
 * placement is judged:
 *   - block nodes  -> null-co nodes with the same node-name,
 *   - netdevs      -> hubports with the same id,
 *   - chardevs     -> null chardevs with the same id,
 *   - host-backed PCI devices (vfio-pci, vhost-*) -> an e1000e at the same
 *     id/bus/addr (a PCIe endpoint that also sits happily on a PCI bus),
 *   - KVM -> TCG; monitor, pidfile, sandbox, secrets, display... dropped.
 * QEMU is started paused (-S) with QMP on stdio. It answers `qmp_capabilities`
 * before it has created the devices, so only an answer to `query-status`
 * proves the whole command line was accepted. A rejection is an exit with the
 * reason on stderr.
 *
 * QEMU 7.2 is more permissive than libvirt (see docs/architecture.md, Oracles):
 * acceptance is necessary, not sufficient.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { domxmlToNative, libvirtAvailable } from '../../src/oracle/libvirt.js';

export type QemuResult = { ok: true } | { ok: false; error: string; stage: 'libvirt' | 'qemu'; argv?: string[] };

const QEMU_TIMEOUT_MS = 20_000;
const QEMU_BINARIES = ['/usr/bin/qemu-system-x86_64', '/usr/bin/qemu-system-aarch64'];
const QMP_SCRIPT = ['qmp_capabilities', 'query-status', 'quit'].map((c) => JSON.stringify({ execute: c }) + '\n').join('');

let qemuOk: boolean | undefined;
/** libvirt (for the command line) plus both QEMU system emulators. */
export function qemuAvailable(): boolean {
  qemuOk ??= libvirtAvailable() && QEMU_BINARIES.every((b) => spawnSync(b, ['--version']).status === 0);
  return qemuOk;
}

/** Options that take no value; every other option consumes the next word. */
const FLAG_OPTIONS = new Set([
  '-S', '-no-user-config', '-nodefaults', '-no-shutdown', '-no-acpi', '-no-hpet', '-no-reboot',
  '-daemonize', '-enable-kvm', '-usb', '-nographic', '-snapshot', '-enable-fips', '-only-migratable',
  '-no-fd-bootchk', '-full-screen', '-preconfig', '-nodefconfig',
]);

/** Options with no bearing on PCI placement that need host resources or clash with our QMP. */
const DROPPED_OPTIONS = new Set([
  '-name', '-uuid', '-S', '-no-user-config', '-nodefaults', '-display', '-mon', '-monitor', '-qmp',
  '-pidfile', '-daemonize', '-sandbox', '-msg', '-overcommit', '-boot', '-rtc', '-add-fd', '-vnc',
  '-spice', '-serial', '-parallel', '-k', '-D', '-d', '-runas', '-chroot', '-incoming', '-fw_cfg',
  '-bios', '-kernel', '-initrd', '-dtb', '-append', '-smbios', '-enable-kvm', '-accel', '-set',
  '-loadvm', '-device-list', '-nographic', '-vga',
]);

/** PCI devices that need a host device or a kernel vhost backend. */
function isHostBacked(driver: string): boolean {
  return driver.startsWith('vfio-pci') || driver.startsWith('vhost-');
}

/** An option value as key/value pairs: libvirt emits JSON or `type,key=val,...`. */
interface OptValue {
  json: boolean;
  props: Record<string, unknown>;
  /** The leading positional word of the key=val form (e.g. the chardev backend). */
  head?: string;
}

function parseOpt(value: string): OptValue {
  if (value.startsWith('{')) return { json: true, props: JSON.parse(value) as Record<string, unknown> };
  const props: Record<string, unknown> = {};
  let head: string | undefined;
  // QEMU escapes a literal comma as ",,".
  for (const part of value.split(/(?<!,),(?!,)/)) {
    const eq = part.indexOf('=');
    if (eq < 0 && head === undefined && Object.keys(props).length === 0) head = part;
    else if (eq < 0) props[part] = 'on';
    else props[part.slice(0, eq)] = part.slice(eq + 1).replace(/,,/g, ',');
  }
  return { json: false, props, ...(head !== undefined ? { head } : {}) };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/**
 * Turns libvirt's QEMU command line into one that runs without host
 * resources and answers on QMP. Returns the argv (emulator first).
 */
export function makeRunnable(libvirtArgv: string[]): string[] {
  const [binary, ...rest] = libvirtArgv;
  if (!binary) throw new Error('empty QEMU command line');
  const out: string[] = [binary];
  let sawCpu = false;
  for (let i = 0; i < rest.length; i++) {
    const opt = rest[i]!.replace(/^--/, '-');
    const takesValue = !FLAG_OPTIONS.has(opt) && i + 1 < rest.length;
    const value = takesValue ? rest[++i]! : undefined;
    if (DROPPED_OPTIONS.has(opt)) continue;
    if (value === undefined) {
      out.push(opt);
      continue;
    }
    switch (opt) {
      case '-machine': {
        // KVM is not available (and not wanted): the accelerator is forced below.
        out.push(opt, value.split(',').filter((p) => !p.startsWith('accel=')).join(','));
        break;
      }
      case '-cpu':
        sawCpu = true;
        // Host CPU models need KVM; placement does not depend on the CPU model.
        out.push(opt, /^host\b/.test(value) ? 'max' : value);
        break;
      case '-object': {
        const o = parseOpt(value);
        const type = str(o.props['qom-type']) ?? o.head ?? '';
        const id = str(o.props.id) ?? '';
        if (type === 'secret' || type.startsWith('tls-')) break;
        if (type.startsWith('memory-backend-')) {
          // Keep the id and size (NUMA nodes and pxb numa_node refer to
          // them) but not host files, hugepages or host NUMA policy.
          out.push(opt, JSON.stringify({ 'qom-type': 'memory-backend-ram', id, size: o.props.size }));
        } else if (type === 'rng-random' || type === 'rng-egd') {
          out.push(opt, JSON.stringify({ 'qom-type': 'rng-builtin', id }));
        } else {
          out.push(opt, value);
        }
        break;
      }
      case '-blockdev': {
        const o = parseOpt(value);
        const node: Record<string, unknown> = { driver: 'null-co', 'node-name': o.props['node-name'] };
        if (o.props['read-only'] === true || o.props['read-only'] === 'on') node['read-only'] = true;
        out.push(opt, JSON.stringify(node));
        break;
      }
      case '-drive': {
        const o = parseOpt(value);
        // Only backend-only drives can be referenced by a -device.
        if (o.props.if === 'none' && str(o.props.id)) out.push(opt, `if=none,id=${str(o.props.id)},driver=null-co`);
        break;
      }
      case '-netdev': {
        const id = str(parseOpt(value).props.id);
        if (id) out.push(opt, `hubport,id=${id},hubid=0`);
        break;
      }
      case '-chardev': {
        const id = str(parseOpt(value).props.id);
        if (id && id !== 'charmonitor') out.push(opt, `null,id=${id}`);
        break;
      }
      case '-audiodev': {
        const id = str(parseOpt(value).props.id);
        if (id) out.push(opt, `none,id=${id}`);
        break;
      }
      case '-device': {
        const o = parseOpt(value);
        const driver = str(o.props.driver) ?? o.head ?? '';
        if (isHostBacked(driver)) {
          const stand: Record<string, unknown> = { driver: 'e1000e' };
          for (const k of ['id', 'bus', 'addr', 'multifunction']) if (o.props[k] !== undefined) stand[k] = o.props[k];
          out.push(opt, JSON.stringify(stand));
        } else {
          out.push(opt, value);
        }
        break;
      }
      default:
        // -m, -smp, -numa, -global and anything unforeseen: kept as is, so
        // that an unforeseen host dependency shows up as a loud failure.
        out.push(opt, value);
    }
  }
  if (!sawCpu && binary.endsWith('aarch64')) out.push('-cpu', 'max');
  out.push('-accel', 'tcg', '-S', '-nodefaults', '-no-user-config', '-display', 'none', '-qmp', 'stdio');
  return out;
}

/** QEMU's stderr as one line, without the program name and option location. */
function qemuError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.replace(/^[^\s:]*qemu-system-\w+: /, '').replace(/^-[\w-]+ \S+: /, ''));
  const errors = lines.filter((l) => !l.startsWith('warning:'));
  return (errors.length > 0 ? errors : lines).join(' ');
}

/** Runs a prepared QEMU command line; accepted iff query-status is answered. */
export async function runQemu(argv: string[]): Promise<{ ok: true } | { ok: false; error: string }> {
  const r = await qmpRun(argv, []);
  return r.ok ? { ok: true } : r;
}

/** A QMP reply: a command's return value or its error. */
export type QmpReply = { return: unknown } | { error: { class: string; desc: string } };

/**
 * Runs a prepared QEMU command line (paused, -S) and sends it `commands` after qmp_capabilities
 * and query-status, then quit: the replies to `commands`, in order. Accepted iff query-status is
 * answered.
 */
export function qmpRun(argv: string[], commands: object[]): Promise<{ ok: true; replies: QmpReply[] } | { ok: false; error: string }> {
  const [binary, ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(binary!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // Keep stdin open: an early EOF closes the monitor and QEMU drops the
    // queued commands. `quit` ends the process.
    child.stdin.on('error', () => undefined); // EPIPE when QEMU rejected the layout
    const [capabilities, status, quit] = QMP_SCRIPT.trimEnd().split('\n');
    child.stdin.write([capabilities, status, ...commands.map((c) => JSON.stringify(c)), quit].join('\n') + '\n');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, QEMU_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `cannot run ${binary}: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      // Replies in order: capabilities, query-status, the commands, quit (events interleave).
      const replies = stdout.split('\n').flatMap((l): QmpReply[] => {
        try {
          const msg = JSON.parse(l) as Partial<QmpReply>;
          return 'return' in msg || 'error' in msg ? [msg as QmpReply] : [];
        } catch {
          return [];
        }
      });
      const status = replies[1];
      const answered = !!status && 'return' in status && typeof (status.return as { status?: unknown } | undefined)?.status === 'string';
      if (answered) resolve({ ok: true, replies: replies.slice(2, 2 + commands.length) });
      else if (timedOut) resolve({ ok: false, error: `timed out after ${QEMU_TIMEOUT_MS / 1000} s ${qemuError(stderr)}`.trim() });
      else resolve({ ok: false, error: qemuError(stderr) || `exited with status ${code} and no message` });
    });
  });
}

/** Runs fn over items with at most `limit` in flight, keeping result order. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Does QEMU accept each domain's layout? One virsh process, then QEMUs in parallel. */
export async function qemuAcceptsBatch(domains: string[]): Promise<QemuResult[]> {
  const natives = await domxmlToNative(domains);
  const parallel = Math.max(1, Math.min(4, availableParallelism()));
  return pool(natives, parallel, async (n): Promise<QemuResult> => {
    if (!n.ok) return { ok: false, stage: 'libvirt', error: `libvirt: ${n.error}` };
    const argv = makeRunnable(n.argv);
    const r = await runQemu(argv);
    return r.ok ? r : { ok: false, stage: 'qemu', error: r.error, argv };
  });
}

export async function qemuAccepts(domainXml: string): Promise<QemuResult> {
  const [r] = await qemuAcceptsBatch([domainXml]);
  return r!;
}
