// The shape docs/architecture.md describes, checked: imports point down the layers, the pure core
// stays browser-safe, and comments name only files that exist.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

/** Lower layers never import higher ones; a layer may import its own and every lower one. */
const LAYERS: Array<{ layer: number; name: string; match: (file: string) => boolean }> = [
  { layer: 0, name: 'core', match: (f) => f.startsWith('core/') || f === 'version.ts' },
  { layer: 1, name: 'platform and config', match: (f) => f.startsWith('platform/') || f.startsWith('config/') },
  { layer: 2, name: 'features (access, identity, notarization, deployment, timestamping, webhooks)', match: (f) => /^(access|identity|notarization|deployment|timestamping|webhooks|wallets)\//.test(f) },
  { layer: 3, name: 'edges (http, web, library)', match: (f) => /^(http|web|library)\//.test(f) },
  { layer: 4, name: 'composition (service, schema, cli)', match: (f) => /^(cli\/|service\.ts|service-info\.ts|schema\.ts)/.test(f) },
];

/**
 * Names in comments that are not files of this repository: an API (express.json), a file the service
 * writes at run time, the did:web document, the receipt files the CLI writes beside documents.
 */
const NOT_REPOSITORY_FILES = new Set(['express.json', 'chain/deployment.json', 'did.json', 'receipt.json']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = sourceFiles(SRC).map((full) => ({ full, file: path.relative(SRC, full).split(path.sep).join('/'), text: fs.readFileSync(full, 'utf8') }));

function layerOf(file: string): number {
  const found = LAYERS.find((entry) => entry.match(file));
  if (!found) throw new Error(`${file} is in no layer: add its folder to LAYERS and docs/architecture.md`);
  return found.layer;
}

/** Relative imports (static, dynamic and require) of a file, as paths relative to src/. */
function importsOf(full: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((specifier) => path.relative(SRC, path.resolve(path.dirname(full), specifier)).split(path.sep).join('/'));
}

describe('architecture', () => {
  it('puts every source file in a layer', () => {
    for (const { file } of files) expect(() => layerOf(file), file).not.toThrow();
  });

  it('has no import from a higher layer', () => {
    const upward: string[] = [];
    for (const { full, file, text } of files) {
      for (const target of importsOf(full, text)) {
        if (target.startsWith('..')) continue; // outside src (package.json, artifacts): no layer
        const resolved = [`${target}.ts`, `${target}/index.ts`, target].find((candidate) => files.some((f) => f.file === candidate));
        if (!resolved) continue;
        if (layerOf(resolved) > layerOf(file)) upward.push(`${file} → ${resolved}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps the core free of Node built-ins and packages that need Node, so it runs in the browser', () => {
    const nodeImports = files
      .filter(({ file }) => file.startsWith('core/'))
      .flatMap(({ file, text }) => [...text.matchAll(/from\s+'(node:[^']+|fs|path|crypto|worker_threads)'/g)].map((m) => `${file}: ${m[1]}`));
    expect(nodeImports).toEqual([]);
  });

  it('keeps the library\'s main entry (the `did-notary` package) free of Node built-ins and ethers, as the core', () => {
    const seen = new Set<string>();
    const external: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const { full, text } = files.find((f) => f.file === file)!;
      for (const [, specifier] of text.matchAll(/from\s+'([^']+)'/g)) {
        if (!specifier!.startsWith('.')) external.push(`${file}: ${specifier}`);
      }
      for (const target of importsOf(full, text)) visit(`${target}.ts`);
    };
    visit('library/index.ts');
    expect(seen.size).toBeGreaterThan(10);
    expect(external.filter((line) => !/: (multiformats\/|@noble\/hashes\/)/.test(line))).toEqual([]);
  });

  it('names only files that exist in its comments', () => {
    const missing: string[] = [];
    for (const { full, file, text } of files) {
      for (const comment of text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? []) {
        for (const [name] of comment.matchAll(/\b[\w./-]+\.(?:ts|md|sol|yaml|json)\b/g)) {
          if (NOT_REPOSITORY_FILES.has(name) || name.includes('well-known/')) continue;
          const candidates = [path.resolve(path.dirname(full), name), path.join(SRC, name), path.join(ROOT, name), ...findByBase(name)];
          if (!candidates.some((candidate) => fs.existsSync(candidate))) missing.push(`${file}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

/** Files anywhere in the repository (outside node_modules) whose path ends with `name`. */
function findByBase(name: string): string[] {
  const all = allRepositoryFiles();
  return all.filter((file) => file.endsWith(`/${name}`));
}

let repositoryFiles: string[] | undefined;
function allRepositoryFiles(): string[] {
  if (repositoryFiles) return repositoryFiles;
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      if (['node_modules', '.git', 'artifacts', 'cache', 'data'].includes(entry.name)) return [];
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : [full];
    });
  repositoryFiles = walk(ROOT);
  return repositoryFiles;
}
