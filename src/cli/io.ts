// The CLI's edge: files in and out. Everything below this layer works on strings and models.
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { inputError } from '../errors.js';
import { parseDomain, type ParsedDomain } from '../model/parseDomain.js';
import { PolicySchema, zodMessage, type Policy } from '../model/schemas.js';
import { decodeUtf8 } from '../xml/decode.js';
import { formatBytes, MAX_XML_BYTES } from '../xml/parseXml.js';

const CHUNK = 1024 * 1024;

function cannotRead(path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  throw inputError(path, `cannot read: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
}

/** `size` when known (a regular file); a stream is refused once it passes the limit. */
function tooLarge(path: string, limit: number, size?: number): never {
  const what = size === undefined ? 'it goes on past' : `${formatBytes(size)} is larger than`;
  throw inputError(path, `${what} the ${formatBytes(limit)} pciplan reads`);
}

/** Wait a little for a non-blocking stdin to have data (no busy loop). */
function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

/**
 * The bytes of a file, stdin ('-'), a FIFO or a device, never more than `limit`: at most limit+1
 * bytes are read, in chunks, and one byte too many is a refusal. stat alone cannot bound a read:
 * it says 0 bytes for /dev/zero and for a pipe.
 */
function readBounded(path: string, limit: number): Buffer {
  let fd = 0;
  if (path !== '-') {
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw inputError(path, 'is a directory, not a file');
      // A regular file too large costs a stat, not a read.
      if (st.isFile() && st.size > limit) tooLarge(path, limit, st.size);
      fd = openSync(path, 'r');
    } catch (e) {
      if ((e as { name?: string }).name === 'PciplanError') throw e;
      cannotRead(path, e);
    }
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1));
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, Math.min(buf.length, limit + 1 - total), null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          pause();
          continue;
        }
        if (code === 'EOF') break;
        cannotRead(path === '-' ? 'stdin' : path, e);
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total > limit) tooLarge(path === '-' ? 'stdin' : path, limit);
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (path !== '-') closeSync(fd);
  }
}

function readText(path: string, limit: number): string {
  return decodeUtf8(readBounded(path, limit), path === '-' ? 'stdin' : path);
}

export function readDomainFile(path: string): ParsedDomain {
  return parseDomain(readText(path, MAX_XML_BYTES), path === '-' ? 'stdin' : path);
}

export function readPolicyFile(path: string): Policy {
  const text = readText(path, 1024 * 1024);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw inputError(path, `not valid JSON: ${(e as Error).message}`);
  }
  const parsed = PolicySchema.safeParse(json);
  if (!parsed.success) throw inputError(path, `policy: ${zodMessage(parsed.error, json)}`);
  return parsed.data;
}

export function writeOutput(path: string | undefined, text: string): void {
  if (!path || path === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw inputError(path, `cannot write: ${(e as Error).message}`);
  }
}

/** Any XML file pciplan reads besides a domain (a device file for attach), with the same limits. */
export function readXmlFile(path: string): { text: string; file: string } {
  return { text: readText(path, MAX_XML_BYTES), file: path === '-' ? 'stdin' : path };
}
