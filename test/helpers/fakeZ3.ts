// Fake z3 binaries for PCIPLAN_Z3: a shell script that answers the version query and the sentinel
// echoes like z3 does, and misbehaves as told (at the first check-sat, or on other commands).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'pciplan-fake-z3-'));

export interface FakeBehaviour {
  /** Shell run for a line with check-sat. */
  onCheck: string;
  /** Shell run for a line with get-value (default: nothing printed). */
  onValue?: string;
  /** Shell run for a sentinel echo, `$s` being the sentinel (default: print it, as z3 does). */
  onEcho?: string;
  /** Shell run before every line is handled. */
  eachLine?: string;
  version?: string;
}

export function fakeZ3(name: string, b: FakeBehaviour | string, version = '4.8.12'): string {
  const f: FakeBehaviour = typeof b === 'string' ? { onCheck: b, version } : b;
  const path = join(dir, name);
  const script = `#!/bin/sh
while IFS= read -r line; do
  ${f.eachLine ?? ':'}
  case "$line" in
    *'(get-info :version)'*) echo '(:version "${f.version ?? version}")' ;;
    '(echo "'*) s=\${line#'(echo "'}; s="\${s%'")'}"; ${f.onEcho ?? 'echo "$s"'} ;;
    *check-sat*) ${f.onCheck} ;;
    *get-value*) ${f.onValue ?? ':'} ;;
  esac
done
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

/** Runs `f` with PCIPLAN_Z3 set to `path` (findZ3 reads it at each session). */
export async function withZ3<T>(path: string, f: () => Promise<T>): Promise<T> {
  const before = process.env.PCIPLAN_Z3;
  process.env.PCIPLAN_Z3 = path;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.PCIPLAN_Z3;
    else process.env.PCIPLAN_Z3 = before;
  }
}
