// A consumer of the installed package, compiled with tsc --strict against the shipped .d.ts
// (test/package/package.test.ts copies it into an empty project). It only has to type-check:
// every export is used with the types a caller relies on.
import { readFileSync } from 'node:fs';
import {
  assign,
  attach,
  compare,
  ConflictError,
  explain,
  generate,
  parseDomain,
  PciplanError,
  SCHEMA_VERSION,
  show,
  validate,
  type AssignReport,
  type ExplainReport,
  type Policy,
  type Solver,
} from 'pciplan';

const xml: string = readFileSync(process.argv[2]!, 'utf8');
const policy: Policy = { sparePciePorts: 2, hotplug: 'no' };
const solver: Solver = 'auto';

async function main(): Promise<void> {
  const report: AssignReport = await assign(xml, { policy, strategy: 'optimal', timeoutMs: 30_000, solver, file: 'vm.xml' });
  const added: number = report.objective.addedControllers;
  const proven: boolean = report.proven;
  const out: string = report.xml;
  const origins: ('kept' | 'assigned' | 'added')[] = report.devices.map((d) => d.origin);
  const v: 1 = report.schemaVersion;
  console.log(added, proven, out.length, origins.length, v === SCHEMA_VERSION);

  const checked = validate(parseDomain(out, 'planned.xml'));
  for (const p of checked.problems) console.log(p.severity, p.rule, p.device ?? '-', p.line ?? 0);

  const why: ExplainReport = await explain({ xml, file: 'vm.xml' });
  if (why.feasible) console.log(why.reasons.map((r) => r.model));
  else console.log(why.conflicts.flatMap((c) => c.requirements.map((r) => r.rule)));

  const side = (await compare([xml])).domains[0]!.optimal;
  if (side.ok) console.log(side.addedControllers);
  const picture: string = (await show(xml, { format: 'dot', compare: true })).output;
  const gen = generate({ devices: 8, family: 'cloud', seed: 3 });
  const plugged = await attach(out, [{ xml: "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", file: 'rng.xml' }], { live: false });
  console.log(picture.length, gen.xml.length, plugged.devices[0]?.address ?? null);

  try {
    await assign('<domain/>');
  } catch (e) {
    if (e instanceof ConflictError) console.log(e.conflict.requirements.length);
    else if (e instanceof PciplanError) {
      const kind: 'input' | 'invalid' | 'internal' = e.kind;
      const where: string | undefined = e.file;
      const line: number | undefined = e.line;
      console.log(kind, where, line, e.device, e.rule, e.exitCode);
    } else throw e;
  }
}

void main();
