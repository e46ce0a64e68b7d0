// `npm run build`: the installable library in dist/ (git-ignored), as ESM with declarations, for
// `npm pack` (prepack runs it). Three entries, src/library/{index,client,ethers}.ts, become
// dist/{index,client,ethers}.js; code they share goes into chunks, so one class (DomainError, say) is
// one class whichever entry it came through. Dependencies stay imports, resolved in the consumer's
// node_modules. Declarations are tsc's, with their relative imports given the `.js` that ESM needs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const TYPES = path.join(DIST, 'types');
const ENTRIES = { index: 'src/library/index.ts', client: 'src/library/client.ts', ethers: 'src/library/ethers.ts' };

async function main(): Promise<void> {
  const started = performance.now();
  fs.rmSync(DIST, { recursive: true, force: true });
  generateClientTypes();
  await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
  });
  // dist/ is ESM whatever the repository's package.json says (the service's code is CommonJS).
  fs.writeFileSync(path.join(DIST, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.library.json'], { cwd: ROOT, stdio: ['ignore', process.stderr, 'inherit'] });
  for (const file of declarationFiles(TYPES)) fs.writeFileSync(file, withEsmSpecifiers(file, fs.readFileSync(file, 'utf8')));
  process.stderr.write(`dist/ built in ${Math.round(performance.now() - started)} ms\n`);
}

/** src/library/generated/openapi-types.ts from openapi.yaml. */
function generateClientTypes(): void {
  // Its progress lines go nowhere: `npm pack --json` (prepack) must print only its JSON.
  execFileSync(process.execPath, [path.join(path.dirname(require.resolve('openapi-typescript/package.json')), 'bin', 'cli.js'), 'openapi.yaml', '--output', 'src/library/generated/openapi-types.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function declarationFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return declarationFiles(full);
    return entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * The declaration file's relative imports (`from './x'`, `import('./x')`) with `.js` or `/index.js`
 * added, as Node's ESM resolution, and TypeScript's in node16 mode, need. A specifier that names no
 * declaration file fails the build rather than leave a consumer's types silently `any`.
 */
function withEsmSpecifiers(file: string, text: string): string {
  return text.replace(/((?:from\s+|import\()\s*['"])(\.{1,2}\/[^'"]+)(['"])/g, (_match, before: string, specifier: string, after: string) => {
    if (/\.js$/.test(specifier)) return `${before}${specifier}${after}`;
    const target = path.resolve(path.dirname(file), specifier);
    if (fs.existsSync(`${target}.d.ts`)) return `${before}${specifier}.js${after}`;
    if (fs.existsSync(path.join(target, 'index.d.ts'))) return `${before}${specifier}/index.js${after}`;
    throw new Error(`${path.relative(ROOT, file)}: no declaration file for ${specifier}`);
  });
}

// `--types-only`: only the generated client types (npm test needs them before tsc).
(process.argv.includes('--types-only') ? Promise.resolve(generateClientTypes()) : main()).catch((error: unknown) => {
  process.stderr.write(`build failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
