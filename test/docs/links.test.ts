import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The docs name only what the repository holds: every relative link (and its #anchor) and
 * every repository path written in backticks or in a code block exists. A path counts as a
 * repository path when its first segment is a top-level folder of the repository that git
 * tracks (`core/…`, `test/…`), so data-directory keys (`raw/…`) and build output (`dist/…`,
 * `cdk.out/…`) are not taken for one; a bare `*.ts` or `*.js` name is a file at the root.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const IGNORED = new Set(
  readFileSync(join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter(Boolean),
);
const TOP_FOLDERS = new Set(
  readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== '.git' && !IGNORED.has(e.name))
    .map((e) => e.name),
);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6} +(.+?) *$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** Words of inline code spans and of code blocks: where a doc writes paths. */
function codeWords(markdown: string): string[] {
  const spans = [...withoutFences(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  const blocks = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return [...spans, ...blocks].flatMap((text) => text.split(/\s+/));
}

/** A word as a repository path (`core/limiter.ts`, `functions/*.ts`, `test/contract/`, `vitest.config.ts`), or undefined. */
function repositoryPath(word: string): string | undefined {
  const path = word.replace(/^[A-Z_]+=/, '').replace(/^["'(]+|["'),.;:]+$/g, '');
  if (!path.includes('/')) return /^[\w.-]+\.(?:ts|js|mjs)$/.test(path) ? path : undefined;
  return TOP_FOLDERS.has(path.split('/')[0] ?? '') ? path : undefined;
}

/** Whether a path exists; `*` matches within a segment, and a placeholder (`<id>`, `…`) ends what can be checked. */
function pathExists(path: string): boolean {
  const segments = path.replace(/\/$/, '').split('/');
  let candidates = [ROOT];
  for (const segment of segments) {
    if (/[<…{]/.test(segment)) return candidates.some((c) => statSync(c).isDirectory());
    if (segment.includes('*')) {
      const pattern = new RegExp(`^${segment.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      candidates = candidates
        .filter((c) => statSync(c).isDirectory())
        .flatMap((c) =>
          readdirSync(c)
            .filter((n) => pattern.test(n))
            .map((n) => join(c, n)),
        );
    } else {
      candidates = candidates.map((c) => join(c, segment)).filter((c) => existsSync(c));
    }
    if (candidates.length === 0) return false;
  }
  return path.endsWith('/') ? candidates.some((c) => statSync(c).isDirectory()) : true;
}

/** Relative links of a doc that lead nowhere: a missing file, or an anchor its target does not have. */
function brokenLinks(doc: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const m of withoutFences(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    const [file, anchor] = target.split('#');
    const path = file ? posix.normalize(posix.join(dirname(doc), file)) : doc;
    const absolute = join(ROOT, path);
    if (relative(ROOT, absolute).startsWith('..') || !existsSync(absolute)) broken.push(target);
    else if (anchor !== undefined && !anchorsOf(readFileSync(absolute, 'utf8')).has(anchor)) broken.push(target);
  }
  return broken;
}

function missingPaths(markdown: string): string[] {
  return codeWords(markdown)
    .map(repositoryPath)
    .filter((p): p is string => p !== undefined && !pathExists(p));
}

const text = Object.fromEntries(DOCS.map((doc) => [doc, readFileSync(join(ROOT, doc), 'utf8')]));

describe('the docs name only what the repository holds', () => {
  it.each(DOCS)('%s: every relative link and its anchor exist', (doc) => {
    expect(brokenLinks(doc, text[doc]!)).toEqual([]);
  });

  it.each(DOCS)('%s: every repository path in backticks or a code block exists', (doc) => {
    expect(missingPaths(text[doc]!)).toEqual([]);
  });

  it.each(DOCS)('%s: mentions no issue or pull-request number', (doc) => {
    expect(text[doc]!.match(/\b(?:issues?|pull requests?|PRs?)\s+#?\d+|(?:^|[\s(])#\d+\b/gim) ?? []).toEqual([]);
  });

  it('checks a good number of links and paths (the checks are not vacuous)', () => {
    const links = DOCS.flatMap((doc) => [...withoutFences(text[doc]!).matchAll(/\]\((?![a-z]+:)[^)\s]+\)/gi)]);
    const paths = DOCS.flatMap((doc) => codeWords(text[doc]!).map(repositoryPath).filter(Boolean));
    expect(links.length).toBeGreaterThan(30);
    expect(paths.length).toBeGreaterThan(100);
  });

  it('finds a missing file, a missing anchor and a missing path', () => {
    const doc = 'docs/example.md';
    expect(brokenLinks(doc, '[a](../README.md) [b](nowhere.md) [c](aws.md#no-such-heading) [d](aws.md#the-semaphore)')).toEqual([
      'nowhere.md',
      'aws.md#no-such-heading',
    ]);
    expect(
      missingPaths(
        '`core/limiter.ts` `core/nope.ts` `functions/*.ts` `functions/*.py` `raw/source=via/…` `test/<layer>/` `vitest.config.ts` `jest.config.js`',
      ),
    ).toEqual(['core/nope.ts', 'functions/*.py', 'jest.config.js']);
  });
});

describe('README', () => {
  const readme = text['README.md']!;
  it('shows the set-up commands', () => {
    for (const c of ['npm ci', 'npm start', 'npm test']) expect(readme).toContain(c);
  });
  it('stays short: under 200 lines, the detail in docs/', () => {
    expect(readme.split('\n').length).toBeLessThan(200);
  });
});
