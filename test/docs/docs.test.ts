// The documentation stands on its own. No source, test, benchmark or script cites the background
// notes kept outside this repository (the facts live in docs/ now), and everything docs/*.md
// points at exists: relative links (with their #anchors), and the repository paths written as
// code (`src/...`, `encodings/...`, ...). Upstream files are written `libvirt:...` or `qemu:...`
// in the docs, so they are not taken for paths of this repository.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = join(REPO, 'docs');
const SOURCE_DIRS = ['src', 'encodings', 'test', 'bench', 'scripts'];
/** Top-level directories whose paths the docs may cite as code. */
const REPO_DIRS = ['src', 'encodings', 'test', 'bench', 'scripts', 'fixtures', 'schema', 'examples', 'docs'];

// Built from pieces, so that this file does not cite what it looks for.
const BACKGROUND = new RegExp(
  [['shared', 'reference'].join('/'), ['libvirt-pci-rules', 'md'].join('\\.'), ['encoding-notes', 'md'].join('\\.'), ['oracles', 'md'].join('\\.'), ['reference', 'sections?', '\\d'].join(' ')].join('|'),
  'i',
);

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** Markdown without its fenced code blocks (links and headings there are not links or headings). */
const withoutFences = (md: string) => md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(file: string): Set<string> {
  const md = withoutFences(readFileSync(file, 'utf8'));
  return new Set([...md.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => slug(m[1]!)));
}

/** Relative links of a markdown file that lead nowhere ('file: target' each). */
function brokenLinks(file: string): string[] {
  const md = withoutFences(readFileSync(file, 'utf8'));
  const out: string[] = [];
  for (const m of md.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const at = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const where = `${relative(REPO, file)}: ${target}`;
    if (!existsSync(at)) out.push(where);
    else if (anchor !== undefined && at.endsWith('.md') && !anchorsOf(at).has(anchor)) out.push(`${where} (no such heading)`);
  }
  return out;
}

/** Whether a cited repository path exists; `*` and `<name>` stand for any file name. */
function pathExists(cited: string): boolean {
  const parts = cited.replace(/\/$/, '').split('/');
  const wild = parts.findIndex((p) => p.includes('*') || p.includes('<'));
  if (wild < 0) return existsSync(join(REPO, cited));
  const dir = join(REPO, ...parts.slice(0, wild));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  const pattern = new RegExp(`^${parts[wild]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/<[^>]*>/g, '.+')}$`);
  return readdirSync(dir).some((name) => pattern.test(name));
}

/** Repository paths written as code in a markdown file that do not exist. */
function missingPaths(file: string): string[] {
  const md = withoutFences(readFileSync(file, 'utf8'));
  const dirs = REPO_DIRS.join('|');
  const cited = [...md.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!).filter((s) => new RegExp(`^(${dirs})/`).test(s));
  return [...new Set(cited)].filter((p) => !pathExists(p)).map((p) => `${relative(REPO, file)}: ${p}`);
}

const docs = existsSync(DOCS) ? readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f)) : [];

describe('documentation', () => {
  it('exists: architecture, PCI rules, count model, how-to', () => {
    expect(docs.map((f) => relative(DOCS, f)).sort()).toEqual(expect.arrayContaining(['architecture.md', 'count-model.md', 'how-to.md', 'pci-rules.md']));
  });

  it('no file under src/ encodings/ test/ bench/ scripts/ cites the background notes outside the repository', () => {
    const hits = SOURCE_DIRS.flatMap((d) => filesUnder(join(REPO, d))).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (BACKGROUND.test(line) ? [`${relative(REPO, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });

  it('every relative link in docs/*.md and README.md leads to a file and heading that exist', () => {
    expect([...docs, join(REPO, 'README.md')].flatMap(brokenLinks)).toEqual([]);
  });

  it('every repository path docs/*.md cites exists', () => {
    expect(docs.flatMap(missingPaths)).toEqual([]);
  });

  it('the path and link checks catch what they are for', () => {
    expect(pathExists('src/catalog/controllers.ts')).toBe(true);
    expect(pathExists('src/catalog/*.ts')).toBe(true);
    expect(pathExists('src/report/<format>.ts')).toBe(true);
    expect(pathExists('src/catalog/nothing-here.ts')).toBe(false);
    expect(pathExists('encodings/*.nothing')).toBe(false);
    expect(slug("libvirt's own allocator")).toBe('libvirts-own-allocator');
    expect(BACKGROUND.test(['..', 'shared', 'corpus'].join('/'))).toBe(false);
  });
});
