#!/usr/bin/env node
// The pciplan command line. Every failure ends as one line on stderr and an exit code:
// 0 success, 1 invalid input or no layout, 2 unreadable input or bad usage; never a stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from 'citty';
import { PciplanError } from '../errors.js';
import { configureWasm } from '../solver/wasm.js';
import { subCommands } from './commands/index.js';
import { resolveWasmThread } from './options.js';

/**
 * pciplan's version, from its package.json: the nearest one named pciplan above this file, which
 * runs from dist/src/cli (tsc's build) or from dist/cli (the bundled command, bin).
 */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'pciplan') return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

export const main = defineCommand({
  meta: () => ({
    name: 'pciplan',
    version: version(),
    description: 'Plan the PCI topology of libvirt domains: addresses for every device, only the controllers needed',
  }),
  subCommands,
});

type AnyCommand = CommandDef<ArgsDef>;

async function resolve<T>(v: T | (() => T | Promise<T>) | Promise<T> | undefined): Promise<T | undefined> {
  return typeof v === 'function' ? await (v as () => T | Promise<T>)() : await v;
}

/** The subcommand named in rawArgs (first non-option word), if any. */
async function findSubCommand(rawArgs: string[]): Promise<{ name: string; cmd: AnyCommand } | undefined> {
  const name = rawArgs.find((a) => !a.startsWith('-'));
  const subs = await resolve(main.subCommands);
  const cmd = name ? await resolve(subs?.[name]) : undefined;
  return name && cmd ? { name, cmd: cmd as AnyCommand } : undefined;
}

/** citty ignores options it does not know; a typo should not silently change what runs. */
async function checkOptions(cmd: AnyCommand, rawArgs: string[]): Promise<void> {
  const defs = (await resolve(cmd.args)) ?? {};
  const known = new Set<string>();
  for (const [name, def] of Object.entries(defs)) {
    known.add(name);
    for (const a of [(def as { alias?: string | string[] }).alias ?? []].flat()) known.add(a);
    if (def.type === 'boolean') known.add(`no-${name}`);
  }
  for (const arg of rawArgs) {
    if (arg === '--') break;
    if (arg === '-' || !arg.startsWith('-')) continue;
    const name = arg.replace(/^--?/, '').split('=')[0]!;
    if (!known.has(name)) throw new PciplanError('input', `unknown option '${arg.split('=')[0]}' (see --help)`);
  }
}

export async function run(rawArgs: string[]): Promise<number> {
  try {
    const sub = await findSubCommand(rawArgs);
    if (rawArgs.includes('--help') || rawArgs.includes('-h') || rawArgs.length === 0) {
      process.stdout.write(`${await renderUsage(sub?.cmd ?? main, sub ? main : undefined)}\n`);
      return 0;
    }
    if (rawArgs[0] === '--version' || rawArgs[0] === '-v') {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    if (!sub) throw new PciplanError('input', `unknown command '${rawArgs[0]}' (commands: ${Object.keys((await resolve(main.subCommands)) ?? {}).join(', ')})`);
    await checkOptions(sub.cmd, rawArgs.slice(rawArgs.indexOf(sub.name) + 1));
    await runCommand(main, { rawArgs });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
  if (e instanceof PciplanError && e.kind !== 'internal') {
    process.stderr.write(`pciplan: ${oneLine(e.message)}\n`);
    return e.exitCode;
  }
  if (e instanceof Error && e.name === 'CLIError') {
    // citty's usage errors (missing argument, bad enum value); strip its colour codes.
    process.stderr.write(`pciplan: ${oneLine(e.message.replace(/\u001b\[[0-9;]*m/g, ''))} (see --help)\n`);
    return 2;
  }
  process.stderr.write(`pciplan: internal error: ${oneLine(e instanceof Error ? e.message : String(e))} (please report this with the input that caused it)\n`);
  return 70;
}

/**
 * The whole command: runs `argv`, then exits with its code once the output is flushed. The bin
 * (dist/cli/pciplan.js, built from src/cli/launcher.cts) calls it; `node dist/src/cli/main.js` runs it below.
 */
export function cli(argv: string[]): void {
  // The process is this command's alone: a WASM check may hold its thread, and a V8 flag may be set
  // for it (src/solver/wasm.ts, WasmStart). `run` alone, as tests and the code-cache writer call
  // it, keeps the library's defaults.
  try {
    configureWasm({ thread: resolveWasmThread(process.env.PCIPLAN_WASM_THREAD), lazyValidation: true });
  } catch (e) {
    process.exit(report(e));
  }
  // A reader that closes the pipe early (`pciplan validate ... | head`) wants no more output: that
  // is no failure of pciplan's, and Node would otherwise die on the unhandled EPIPE with a trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw e;
    });
  }
  void run(argv).then((code) => {
    process.exitCode = code;
    // A search that ran into assign's deadline may still be finishing in Z3's worker thread: once
    // the output is flushed, nothing is left to wait for.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}

// Run when executed as tsc's module or from source (not when imported by tests or bundled).
const invokedAs = process.argv[1] ? new URL(`file://${process.argv[1]}`).pathname : '';
if (invokedAs.endsWith('/cli/main.js') || invokedAs.endsWith('/cli/main.ts')) cli(process.argv.slice(2));
