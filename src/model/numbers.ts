// Numbers as libvirt 9 reads them (checked with virsh define; test/reliability/input.test.ts):
//  - PCI address parts, controller <target> chassis/port/busNr: C's strtoul with base 0 (0x… hex,
//    0… octal, else decimal), an unsigned int. Leading whitespace and '+' are taken (strtoul skips
//    them), trailing whitespace is not, and any '-' is refused (even '-0').
//  - controller index: strtol base 10 into a signed int ('010' is ten, '0x1' is junk).
//  - NUMA cell ids and <node>: base 10, unsigned.
// What libvirt cannot read is bad input (exit 2). A readable number out of libvirt's range for the
// attribute (slot 0x20, index 300) is left to the validator (exit 1). Nothing here loops over a value.
import { inputError } from '../errors.js';

/** strtol/strtoul skip these (C's isspace). */
const SPACE = '[ \\t\\n\\v\\f\\r]*';
const UINT_BASE0 = new RegExp(`^${SPACE}\\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$`);
const UINT_BASE10 = new RegExp(`^${SPACE}\\+?([0-9]+)$`);
const INT_BASE10 = new RegExp(`^${SPACE}([+-]?)([0-9]+)$`);

const UINT_MAX = 0xffff_ffff;
const INT_MAX = 0x7fff_ffff;
const INT_MIN = -0x8000_0000;

function digitsValue(digits: string): number {
  if (/^0[xX]/.test(digits)) return Number.parseInt(digits.slice(2), 16);
  if (digits.length > 1 && digits.startsWith('0')) return Number.parseInt(digits, 8);
  return Number.parseInt(digits, 10);
}

export interface Where {
  /** e.g. "domain.xml:23" */
  at: string;
  /** e.g. "interface[52:54:00:00:00:01] <address>" */
  what: string;
}

function junk(raw: string, name: string, where: Where, expected: string): never {
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  throw inputError(where.at, `${where.what}: ${name}='${JSON.stringify(shown).slice(1, -1)}' is not a number as libvirt reads it (${expected})`);
}

/** An unsigned int as strtoul base 0 reads it; undefined stays undefined. */
export function parseBase0(raw: string | undefined, name: string, where: Where): number | undefined {
  if (raw === undefined) return undefined;
  const m = UINT_BASE0.exec(raw);
  const n = m ? digitsValue(m[1]!) : Number.NaN;
  if (!(n <= UINT_MAX)) junk(raw, name, where, 'a non-negative integer: decimal, 0x hex or 0 octal, at most 4294967295, no trailing space');
  return n;
}

/** An unsigned int in decimal (NUMA cell ids and nodes). */
export function parseUnsignedDecimal(raw: string | undefined, name: string, where: Where): number | undefined {
  if (raw === undefined) return undefined;
  const m = UINT_BASE10.exec(raw);
  const n = m ? Number.parseInt(m[1]!, 10) : Number.NaN;
  if (!(n <= UINT_MAX)) junk(raw, name, where, 'a non-negative decimal integer, at most 4294967295');
  return n;
}

/** A signed int in decimal (controller indexes); a negative one is the validator's to refuse. */
export function parseDecimal(raw: string | undefined, name: string, where: Where): number | undefined {
  if (raw === undefined) return undefined;
  const m = INT_BASE10.exec(raw);
  const n = m ? (m[1] === '-' ? -1 : 1) * Number.parseInt(m[2]!, 10) : Number.NaN;
  if (!(n >= INT_MIN && n <= INT_MAX)) junk(raw, name, where, `a decimal integer, at most ${INT_MAX}`);
  return n === 0 ? 0 : n;
}
