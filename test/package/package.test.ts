// The package as a user gets it: `npm pack` from a copy of the clone (prepare builds it there),
// installed into an empty project with nothing else; then `npx pciplan`, `import('pciplan')`,
// the KubeVirt hook and a consumer .ts compiled with `tsc --strict` against the shipped .d.ts.
// The registry is needed for the dependencies (npm's cache serves them when it has them); when it
// cannot be reached the suite is skipped, saying why.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';
import { kubevirtVmi } from '../examples/kubevirt.js';

const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'pciplan-package-'));
const fixture = join(REPO, 'fixtures', 'q35-workstation.xml');
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 600_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network/i;

let tarball = '';
let files: string[] = [];
let project = '';
let offline = '';

/**
 * What a fresh clone holds of the package's sources: the files git tracks (an untracked source or
 * schema file is missing here, as it would be in a clone), no dist/. The dependencies are the
 * repository's node_modules, linked (npm ci installs the same from the lock file).
 */
function cloneCopy(): string {
  const dir = join(work, 'clone');
  const tracked = execFileSync('git', ['ls-files', '-z', '--', 'package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'encodings', 'schema', 'scripts/bundle.mjs', 'scripts/code-cache.mjs', 'fixtures/q35-workstation.xml', 'fixtures/infeasible/two-conflicts.xml'], { cwd: REPO, encoding: 'utf8' });
  for (const f of tracked.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(REPO, f), join(dir, f));
  }
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? project, input: opts.input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env });
}

beforeAll(() => {
  const clone = cloneCopy();
  const packed = npm(['pack', '--json', '--pack-destination', work], clone);
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const info = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[])[0]!;
  tarball = join(work, info.filename);
  files = info.files.map((f) => f.path);
  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const installed = npm(['install', '--prefer-offline', '--no-package-lock', tarball], project);
  if (installed.status !== 0) {
    if (NETWORK.test(installed.stderr)) offline = `the npm registry cannot be reached: ${installed.stderr.split('\n').find((l) => NETWORK.test(l))}`;
    else throw new Error(`npm install of the tarball failed: ${installed.stderr}`);
  }
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships the built library, the CLI, the .d.ts and the schemas, and nothing of the repository besides', () => {
    for (const f of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/cli/pciplan.js', 'dist/cli/pciplan-bundle.cjs', 'dist/cli/pciplan-bundle.cache', 'dist/cli/package.json', 'schema/assign.json', 'schema/validate.json']) expect(files).toContain(f);
    const stray = files.filter((f) => /^(test|bench|fixtures|examples|scripts|src|encodings)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts') || /exact\./.test(f));
    expect(stray).toEqual([]);
  });
});

describe('installed into an empty project', () => {
  it('brings no dev dependency and no build step', (ctx) => {
    if (offline) return ctx.skip(offline);
    const modules = readdirSync(join(project, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'tsx', 'benny', 'esbuild', '@types']) expect(modules).not.toContain(dev);
    expect(existsSync(join(project, 'node_modules', 'pciplan', 'dist', 'src', 'index.js'))).toBe(true);
  });

  it('npx pciplan --version prints the version of package.json; npx pciplan assign plans the workstation', (ctx) => {
    if (offline) return ctx.skip(offline);
    const v = run('npx', ['--no-install', 'pciplan', '--version']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toBe(`${version}\n`);
    const a = run('npx', ['--no-install', 'pciplan', 'assign', '-', '--format', 'json'], { input: readFileSync(fixture, 'utf8') });
    expect(a.status, a.stderr).toBe(0);
    const json = JSON.parse(a.stdout);
    expect(json.file).toBe('stdin');
    expect(json.objective.addedControllers).toBe(7);
    expect(json.proven).toBe(true);
    // The code cache the pack's build wrote is the installed command's, and this Node takes it.
    const c = run('npx', ['--no-install', 'pciplan', '--version'], { env: { ...process.env, PCIPLAN_CODE_CACHE: 'check' } });
    expect(c.stderr).toBe('pciplan: code cache accepted\n');
  });

  it("import('pciplan') plans the workstation: 7 controllers added, proven, and the XML", (ctx) => {
    if (offline) return ctx.skip(offline);
    const script = `
      import { readFileSync } from 'node:fs';
      const { assign, validate } = await import('pciplan');
      const r = await assign(readFileSync(process.argv[1], 'utf8'), { file: 'workstation.xml' });
      console.log(JSON.stringify({ added: r.objective.addedControllers, proven: r.proven, v: r.schemaVersion, valid: validate(r.xml).valid, xml: r.xml }));`;
    const r = run(process.execPath, ['--input-type=module', '-e', script, fixture]);
    expect(r.status, r.stderr).toBe(0);
    const { xml, ...figures } = JSON.parse(r.stdout);
    expect(figures).toEqual({ added: 7, proven: true, v: 1, valid: true });
    // The XML is what the installed CLI writes for the same domain.
    expect(xml).toBe(run('npx', ['--no-install', 'pciplan', 'assign', fixture]).stdout);
  });

  it('a consumer .ts compiles with tsc --strict against the shipped types (skipLibCheck off)', (ctx) => {
    if (offline) return ctx.skip(offline);
    copyFileSync(join(REPO, 'test', 'package', 'consumer.ts'), join(project, 'consumer.ts'));
    // node: imports in the consumer need Node's types; they come from the repository, not the package.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] }, files: ['consumer.ts'] }),
    );
    const tsc = run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('without @types/node the shipped types still compile, and a type error in the consumer is the one error reported', (ctx) => {
    if (offline) return ctx.skip(offline);
    writeFileSync(join(project, 'bad.ts'), "import { assign } from 'pciplan';\nconst n: string = (await assign('')).proven;\nexport { n };\n");
    writeFileSync(join(project, 'tsconfig.bad.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [] }, files: ['bad.ts'] }));
    const tsc = run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bad.json']);
    expect(tsc.status).not.toBe(0);
    expect(tsc.stdout.trim()).toBe("bad.ts(2,7): error TS2322: Type 'boolean' is not assignable to type 'string'.");
  });

  it("the KubeVirt hook runs against the installed package the way KubeVirt's sidecar-shim calls it", (ctx) => {
    if (offline) return ctx.skip(offline);
    // The image's layout: the hook next to node_modules/pciplan, found on PATH as onDefineDomain.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    copyFileSync(join(REPO, 'examples', 'kubevirt-hook', 'onDefineDomain'), join(project, 'onDefineDomain'));
    chmodSync(join(project, 'onDefineDomain'), 0o755);
    symlinkSync(join(project, 'onDefineDomain'), join(bin, 'onDefineDomain'));
    const domain = readFileSync(join(REPO, 'examples', 'kubevirt-hook', 'domain.xml'), 'utf8');
    const out = execFileSync('onDefineDomain', ['--vmi', JSON.stringify(kubevirtVmi({ 'pciplan.dev/spare-pcie-ports': '2' })), '--domain', domain], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(out).toMatch(/^<domain type='kvm'/);
    expect(out).toContain("<alias name='ua-containerdisk'/>");
    expect(out.match(/model='pcie-root-port'/g)?.length).toBeGreaterThan(0);
  });
});
