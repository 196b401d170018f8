// Every failure pciplan reports to a person is one of these: a one-line message and the exit code
// the CLI returns. Anything else escaping to the CLI is a bug, reported as such (still one line).

import { conflictSentence, type Conflict } from './explain/conflict.js';

export type ErrorKind =
  /** The input cannot be read or understood: exit 2. */
  | 'input'
  /** The input is understood but breaks a rule (validate) or has no layout (assign): exit 1. */
  | 'invalid';

export const EXIT_CODES: Record<ErrorKind, number> = { input: 2, invalid: 1 };

export class PciplanError extends Error {
  override readonly name = 'PciplanError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** Bad input: exit code 2. `where` is a file name, optionally with `:line`. */
export function inputError(where: string | undefined, message: string): PciplanError {
  return new PciplanError('input', where ? `${where}: ${message}` : message);
}

/** No layout exists: the minimal set of requirements in conflict, and what they run into (exit 1). */
export class ConflictError extends PciplanError {
  constructor(
    readonly conflict: Conflict,
    file?: string,
    /** What follows the conflict, e.g. how many more there are. */
    note?: string,
  ) {
    super('invalid', `${file ? `${file}: ` : ''}no layout exists: ${conflictSentence(conflict)}${note ? ` (${note})` : ''}`);
  }
}
