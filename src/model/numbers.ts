// Numbers as libvirt reads them. Address parts and most target options use strtol's base 0
// (0x… hex, 0… octal, else decimal); controller indexes are decimal. Junk is bad input (exit 2);
// a readable number out of range is left to the validator (exit 1).
import { inputError } from '../errors.js';

const BASE0 = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\s*$/;
const DECIMAL = /^\s*([+-]?)([0-9]+)\s*$/;

function toNumber(sign: string, digits: string): number {
  let n: number;
  if (/^0[xX]/.test(digits)) n = Number.parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits.startsWith('0')) n = Number.parseInt(digits, 8);
  else n = Number.parseInt(digits, 10);
  return sign === '-' ? -n : n;
}

export interface Where {
  /** e.g. "domain.xml:23" */
  at: string;
  /** e.g. "interface[52:54:00:00:00:01] <address>" */
  what: string;
}

/** Parse a base-0 integer attribute; undefined stays undefined. */
export function parseBase0(raw: string | undefined, name: string, where: Where): number | undefined {
  if (raw === undefined) return undefined;
  const m = BASE0.exec(raw);
  if (!m) throw inputError(where.at, `${where.what}: ${name}='${raw}' is not a number`);
  return toNumber(m[1]!, m[2]!);
}

export function parseDecimal(raw: string | undefined, name: string, where: Where): number | undefined {
  if (raw === undefined) return undefined;
  const m = DECIMAL.exec(raw);
  if (!m) throw inputError(where.at, `${where.what}: ${name}='${raw}' is not a decimal number`);
  return toNumber(m[1]!, m[2]!.replace(/^0+(?=\d)/, ''));
}
