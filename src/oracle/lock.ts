/**
 * A cross-process lock for the shared libvirt embed root.
 *
 * The embedded QEMU driver holds a pid-file lock on its root for the life of
 * the virsh process; a second virsh on the same root fails at once ("Failed to
 * acquire pid file") instead of waiting. Vitest runs test files in parallel
 * worker processes, so every use of the root is serialised here. A single
 * shared root (instead of one per worker) keeps libvirt's QEMU capability
 * cache warm: a fresh root pays ~4 s of probing per QEMU binary.
 *
 * mkdir is atomic on every local file system, which is all we need. A lock
 * whose owner died (pid gone) or that is older than STALE_MS is broken.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/** Far longer than any single virsh chunk (two cold capability probes ~10 s). */
const STALE_MS = 5 * 60_000;
/** A lock directory without its owner file is being created right now. */
const OWNERLESS_GRACE_MS = 10_000;
const POLL_MS = 25;

/** Serialises callers inside this process so they do not poll each other. */
const inProcess = new Map<string, Promise<unknown>>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM means the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(lockDir: string): Promise<boolean> {
  let age: number;
  try {
    age = Date.now() - (await stat(lockDir)).mtimeMs;
  } catch {
    return false; // vanished: the next mkdir attempt will tell
  }
  if (age > STALE_MS) return true;
  let owner: { pid?: number; host?: string };
  try {
    owner = JSON.parse(await readFile(`${lockDir}/owner`, 'utf8')) as typeof owner;
  } catch {
    return age > OWNERLESS_GRACE_MS;
  }
  if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
  return !pidAlive(owner.pid);
}

async function acquire(lockDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(`${lockDir}/owner`, JSON.stringify({ pid: process.pid, host: hostname() }));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isStale(lockDir)) {
      // Rename first so that two processes breaking the same stale lock do not
      // both delete it after one of them has already re-created it.
      const grave = `${lockDir}.stale.${process.pid}.${Date.now()}`;
      try {
        await rename(lockDir, grave);
        await rm(grave, { recursive: true, force: true });
      } catch {
        /* someone else broke it first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockDir}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Runs fn while holding the lock directory lockDir (created next to the root). */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  const previous = inProcess.get(lockDir) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    await acquire(lockDir, timeoutMs);
    try {
      return await fn();
    } finally {
      await rm(lockDir, { recursive: true, force: true });
    }
  });
  inProcess.set(lockDir, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(lockDir) === run) inProcess.delete(lockDir);
  }
}
