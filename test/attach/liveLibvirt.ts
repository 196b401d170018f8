/**
 * Real libvirt with a running guest, for `attach --live`: the domain is defined and started paused
 * (TCG, embedded QEMU driver, one virsh process: the guest dies with it), then each step runs in
 * order, then the live XML is read back. A root of its own: the shared oracle root's qemu.conf
 * lacks the stdio handler a started guest needs without virtlogd.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = '/var/tmp/pciplan-attach-live';
const QEMU_CONF = 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\nstdio_handler = "file"\n';

export type Step = { attach: string } | { monitor: string };

export interface LiveRun {
  /** The error of each step ('' when it succeeded): virsh's, or a QMP reply's (those come on stdout). */
  errors: string[];
  /** `dumpxml` of the running guest after the steps. */
  liveXml: string;
}

let counter = 0;

export function runLive(domainXml: string, steps: Step[]): LiveRun {
  mkdirSync(join(ROOT, 'etc', 'qemu'), { recursive: true });
  writeFileSync(join(ROOT, 'etc', 'qemu.conf'), QEMU_CONF);
  for (const f of readdirSync(join(ROOT, 'etc', 'qemu')).filter((f) => f.endsWith('.xml'))) unlinkSync(join(ROOT, 'etc', 'qemu', f));
  const dir = mkdtempSync(join(tmpdir(), 'pciplan-live-'));
  try {
    const name = `pciplan-live-${process.pid}-${counter++}`;
    writeFileSync(join(dir, 'domain.xml'), domainXml.replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`));
    const cmds = [`define ${join(dir, 'domain.xml')}`, `start ${name} --paused`];
    steps.forEach((s, i) => {
      const mark = `echo @@${i}@@; echo --err @@${i}@@`;
      if ('attach' in s) {
        writeFileSync(join(dir, `${i}.xml`), s.attach);
        cmds.push(`${mark}; attach-device ${name} ${join(dir, `${i}.xml`)} --live`);
      } else {
        cmds.push(`${mark}; qemu-monitor-command ${name} '${s.monitor}'`);
      }
    });
    cmds.push(`echo @@END@@; echo --err @@END@@; dumpxml ${name}; destroy ${name}; undefine ${name}`);
    const r = spawnSync('taskset', ['-c', '0', 'virsh', '-q', '-c', `qemu:///embed?root=${ROOT}`, cmds.join('; ')], {
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, LC_ALL: 'C', LIBVIRT_LOG_OUTPUTS: '4:file:/dev/null' },
    });
    const part = (text: string, i: number | 'END') => {
      const from = text.indexOf(`@@${i}@@`);
      if (from < 0) return undefined;
      const rest = text.slice(from + `@@${i}@@`.length);
      const next = rest.search(/@@(\d+|END)@@/);
      return (next < 0 ? rest : rest.slice(0, next)).replace(/error: $/, '').replace(/^\n/, '');
    };
    const end = part(r.stdout, 'END');
    if (end === undefined) throw new Error(`virsh did not reach the end: ${r.stderr.slice(0, 2000)}`);
    return {
      errors: steps.map((_, i) => {
        const virsh = (part(r.stderr, i) ?? '').split('\n').filter((l) => l.trim() && !/^error: @@/.test(l)).join(' ').trim();
        const qmp = /"error":\s*\{[^}]*"desc":\s*"([^"]*)"/.exec(part(r.stdout, i) ?? '');
        return [virsh, qmp?.[1] ?? ''].filter(Boolean).join(' ');
      }),
      liveXml: end.slice(end.indexOf('<domain')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
