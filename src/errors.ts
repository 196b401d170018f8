// Every failure pciplan reports is one of these: a one-line message, the exit code the CLI
// returns, and as data for programs, what kind of failure it is and, where known, the file, line,
// device and rule it concerns. Anything else escaping to the CLI is a bug, reported as such.

import { conflictSentence, type Conflict } from './conflict.js';
import type { RegisteredId } from './rules.js';

export type ErrorKind =
  /** The input cannot be read or understood (XML, options, policy): exit 2. */
  | 'input'
  /** The input is understood but breaks a rule (validate) or has no layout (assign): exit 1. */
  | 'invalid'
  /** pciplan's own fault (a layout it computed fails its own validator): exit 70. */
  | 'internal';

export const EXIT_CODES: Record<ErrorKind, number> = { input: 2, invalid: 1, internal: 70 };

/** Where a failure is, as far as the code that found it knows. */
export interface ErrorDetails {
  /** The file as named in messages ('stdin' for -, or the name an API caller gave). */
  file?: string;
  /** 1-based line of the element concerned. */
  line?: number;
  /** The device's name, kind[alias|target|...]. */
  device?: string;
  /** The validator rule, requirement or refusal (src/rules.ts), e.g. 'slot-range'. */
  rule?: RegisteredId;
}

export class PciplanError extends Error implements ErrorDetails {
  override readonly name = 'PciplanError';
  file?: string;
  line?: number;
  device?: string;
  rule?: RegisteredId;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message);
    if (details.file !== undefined) this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
    if (details.device !== undefined) this.device = details.device;
    if (details.rule !== undefined) this.rule = details.rule;
  }
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
  /** The fields a program reads, for JSON. */
  toJSON(): { kind: ErrorKind; message: string } & ErrorDetails {
    const { kind, message, file, line, device, rule } = this;
    return { kind, message, ...(file !== undefined ? { file } : {}), ...(line !== undefined ? { line } : {}), ...(device ? { device } : {}), ...(rule ? { rule } : {}) };
  }
}

/** Bad input: exit code 2. `where` is a file name, optionally with `:line`. */
export function inputError(where: string | undefined, message: string, details: Omit<ErrorDetails, 'file' | 'line'> = {}): PciplanError {
  const at = where ? /^(.*):(\d+)$/.exec(where) : null;
  const place = at ? { file: at[1]!, line: Number(at[2]) } : where ? { file: where } : {};
  return new PciplanError('input', where ? `${where}: ${message}` : message, { ...place, ...details });
}

/** No layout exists: the minimal set of requirements in conflict, and what they run into (exit 1). */
export class ConflictError extends PciplanError {
  constructor(
    readonly conflict: Conflict,
    file?: string,
    /** What follows the conflict, e.g. how many more there are. */
    note?: string,
  ) {
    super('invalid', `${file ? `${file}: ` : ''}no layout exists: ${conflictSentence(conflict)}${note ? ` (${note})` : ''}`, file ? { file } : {});
  }
}
