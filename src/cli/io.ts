// The CLI's edge: files in and out. Everything below this layer works on strings and models.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { inputError } from '../errors.js';
import { parseDomain, type ParsedDomain } from '../model/parseDomain.js';
import { PolicySchema, zodMessage, type Policy } from '../model/schemas.js';
import { formatBytes, MAX_XML_BYTES } from '../xml/parseXml.js';

function readText(path: string, limit: number): string {
  if (path === '-') return readFileSync(0, 'utf8');
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw inputError(path, 'is a directory, not a file');
    size = st.size;
  } catch (e) {
    if ((e as { name?: string }).name === 'PciplanError') throw e;
    throw inputError(path, `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  // Refuse before reading: a 50 MB file should cost a stat, not a parse.
  if (size > limit) throw inputError(path, `${formatBytes(size)} is larger than the ${formatBytes(limit)} pciplan reads`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw inputError(path, `cannot read: ${(e as Error).message}`);
  }
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
