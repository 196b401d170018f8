// An ESM resolve hook (node --import this file) that appends every module URL the process
// resolves to $PCIPLAN_LOAD_LOG: which packages a command loads, without timing anything.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

if (process.env.PCIPLAN_LOAD_LOG && !process.env.PCIPLAN_LOAD_LOG_HOOKED) {
  process.env.PCIPLAN_LOAD_LOG_HOOKED = '1';
  register(import.meta.url);
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.PCIPLAN_LOAD_LOG, `${r.url}\n`);
  return r;
}
