// What the fuzzer asserts of one input, command by command (issue "Reliability", Acceptance):
// exit codes 0, 1 or 2 only; on 1 and 2 one line on stderr (validate and explain put their report
// on stdout and say nothing more there), never an internal error or a stack trace; no hang (a run
// past the deadline is killed and reported); assign's exit-0 output is accepted by validate with the
// same policy, and keeps every byte of the input outside what pciplan adds or changes
// (preserve.ts); and no exit 0 from validate on a document XML 1.0 itself calls not well-formed
// (scan.ts: not UTF-8, a forbidden character or reference, two roots, an attribute twice).
import { writeFileSync } from 'node:fs';
import { preservationProblems } from './preserve.js';
import { notWellFormed } from './scan.js';
import type { CliPool, RunResult } from './cliPool.js';

export const COMMANDS = ['validate', 'assign', 'assign-greedy', 'explain', 'show'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Failure {
  command: Command | 'validate-output';
  /** The class of failure: what broke, without the details of this input. */
  kind: 'exit-code' | 'accepts-malformed' | 'internal-error' | 'stack-trace' | 'stderr-lines' | 'hang' | 'crash' | 'output-invalid' | 'not-preserved' | 'spawn-differs' | 'checker-error';
  detail: string;
}

export interface Outcome {
  command: Command;
  code: number | null;
}

/** Time-driven progress lines of the optimal search ("searching (1.2 s) ..."): not errors, shown on a slow machine. */
const PROGRESS = /^pciplan: searching \(/;

export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !PROGRESS.test(l));
}

export function argvFor(command: Command, file: string, policy: string[], timeoutS: number): string[] {
  switch (command) {
    case 'validate':
      return ['validate', file, ...policy];
    case 'assign':
      return ['assign', file, '--timeout', String(timeoutS), ...policy];
    case 'assign-greedy':
      return ['assign', file, '--strategy', 'greedy', ...policy];
    case 'explain':
      return ['explain', file, '--timeout', String(timeoutS), ...policy];
    case 'show':
      return ['show', file, ...policy];
  }
}

/** The contract every run keeps, whatever the input. */
export function contractFailures(command: Failure['command'], r: RunResult): Failure[] {
  if (r.hang) return [{ command, kind: 'hang', detail: 'killed at the deadline' }];
  if (r.crash) return [{ command, kind: 'crash', detail: r.crash }];
  const out: Failure[] = [];
  const lines = errorLines(r.stderr);
  if (/\n\s+at .*[:(]/.test(r.stderr) || /^\s+at /m.test(r.stderr)) out.push({ command, kind: 'stack-trace', detail: lines.slice(0, 3).join(' | ') });
  const internal = lines.find((l) => /internal error|^Error:|TypeError|RangeError|ReferenceError|run\(\) threw/.test(l));
  if (r.code === 70 || internal) out.push({ command, kind: 'internal-error', detail: `exit ${r.code}: ${internal ?? lines[0] ?? ''}` });
  else if (r.code !== 0 && r.code !== 1 && r.code !== 2) out.push({ command, kind: 'exit-code', detail: `exit ${r.code}: ${lines[0] ?? ''}` });
  if (r.code === 1 || r.code === 2) {
    const reportsOnStdout = (command === 'validate' || command === 'explain' || command === 'validate-output') && r.code === 1 && r.stdout !== '';
    const ok = reportsOnStdout ? lines.length <= 1 : lines.length === 1;
    if (!ok) out.push({ command, kind: 'stderr-lines', detail: `exit ${r.code} with ${lines.length} stderr lines: ${lines.slice(0, 3).join(' | ')}` });
    else if (lines.length === 1 && !/^pciplan: /.test(lines[0]!)) out.push({ command, kind: 'stderr-lines', detail: `not a pciplan message: ${lines[0]}` });
  }
  return out;
}

/** The first problem a validate table reports (its RULE column), to say why output was refused. */
function firstProblem(stdout: string): string {
  const row = stdout.split('\n').find((l) => /^\S+\s+error\s/.test(l));
  return row ? row.replace(/\s{2,}/g, ' | ') : stdout.split('\n').filter(Boolean).pop() ?? '';
}

export interface CheckOptions {
  pool: CliPool;
  file: string;
  /** Where assign's outputs are written to be validated. */
  outFile: string;
  policy: string[];
  timeoutS: number;
  commands?: readonly Command[];
}

/** Runs every command on one input file and returns what broke. */
export async function checkInput(input: Buffer, o: CheckOptions): Promise<{ failures: Failure[]; outcomes: Outcome[] }> {
  const failures: Failure[] = [];
  const outcomes: Outcome[] = [];
  const inputText = input.toString('utf8');
  const malformed = notWellFormed(input);
  for (const command of o.commands ?? COMMANDS) {
    const r = await o.pool.run(argvFor(command, o.file, o.policy, o.timeoutS));
    outcomes.push({ command, code: r.code });
    failures.push(...contractFailures(command, r));
    // Not XML at all: unreadable input is exit 2 (validate says so for every command).
    if (malformed && r.code === 0 && command === 'validate') failures.push({ command, kind: 'accepts-malformed', detail: `exit 0 on a document that is not well-formed XML: ${malformed}` });
    if (r.code !== 0 || !command.startsWith('assign')) continue;
    writeFileSync(o.outFile, r.stdout);
    const v = await o.pool.run(['validate', o.outFile, ...o.policy]);
    failures.push(...contractFailures('validate-output', v));
    if (v.code !== 0 && !v.hang && !v.crash) failures.push({ command, kind: 'output-invalid', detail: `validate exits ${v.code} on the output: ${firstProblem(v.stdout) || errorLines(v.stderr)[0]}` });
    for (const p of [...new Set(preservationProblems(inputText, r.stdout))].slice(0, 3)) failures.push({ command, kind: 'not-preserved', detail: p });
  }
  return { failures, outcomes };
}

/** A failure's class for counting: command, kind and the message with the input's particulars taken out. */
export function signature(f: Failure): string {
  const msg = f.detail
    .replace(/\/[^\s:'"]+\.xml/g, 'FILE')
    .replace(/:\d+/g, ':N')
    .replace(/0x[0-9a-f]+/gi, 'X')
    .replace(/\b\d+\b/g, 'N')
    .replace(/'[^']*'/g, "'V'")
    .replace(/"[^"]*"/g, '"V"')
    .replace(/\[[^\]]*\]/g, '[D]')
    .slice(0, 140);
  return `${f.command} ${f.kind}: ${msg}`;
}
