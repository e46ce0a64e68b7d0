// Builds the verification page in memory when the service starts: esbuild bundles the browser code
// (src/web/browser, with the core it imports) and minifies the stylesheet; the HTML names both by
// content hash. Nothing is written to disk, so a fresh clone needs no build step.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** One file the page loads, served at `path`. */
export interface WebAsset {
  path: string;
  contentType: string;
  body: Buffer;
}

/** The built page: its HTML template and the assets it references. */
export interface WebBundle {
  script: WebAsset;
  stylesheet: WebAsset;
  /** index.html with the asset URLs filled in; `renderPageHtml` completes it. */
  htmlTemplate: string;
  /** How long the build took, for the start-up log. */
  buildMs: number;
}

/** Everything served under this prefix is content-addressed and immutable. */
export const ASSET_PATH_PREFIX = '/assets/';

const BROWSER_ENTRY = path.join(__dirname, 'browser', 'main.ts');
const PAGE_DIR = path.join(__dirname, 'page');
/** Browsers of the last few years (ES2022, as @noble/hashes v2 requires). */
const BROWSER_TARGETS = ['es2022', 'chrome100', 'firefox100', 'safari15.4', 'edge100'];

let cached: Promise<WebBundle> | undefined;

/**
 * Builds the page once per process and caches it; a failed build is not cached, so a later call
 * retries. Takes a few hundred milliseconds.
 */
export function buildWebBundle(): Promise<WebBundle> {
  cached ??= build().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/** The page's HTML; `chainRpcRelay` is the path of a read-only chain relay, if the server offers one. */
export function renderPageHtml(bundle: WebBundle, values: { chainRpcRelay?: string } = {}): string {
  return bundle.htmlTemplate.replace('{{chainRpcRelay}}', escapeAttribute(values.chainRpcRelay ?? ''));
}

async function build(): Promise<WebBundle> {
  const started = performance.now();
  // Loaded on first use: a process that never serves the page never loads esbuild.
  const esbuild = await import('esbuild');
  const [bundled, css, html] = await Promise.all([
    esbuild.build({
      entryPoints: [BROWSER_ENTRY],
      bundle: true,
      write: false,
      outfile: 'verify.js',
      format: 'iife',
      platform: 'browser',
      target: BROWSER_TARGETS,
      minify: true,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    }),
    fs.readFile(path.join(PAGE_DIR, 'styles.css'), 'utf8').then((source) =>
      esbuild.transform(source, { loader: 'css', minify: true, target: BROWSER_TARGETS, charset: 'utf8' }),
    ),
    fs.readFile(path.join(PAGE_DIR, 'index.html'), 'utf8'),
  ]);
  const script = asset('verify', 'js', 'text/javascript; charset=utf-8', Buffer.from(bundled.outputFiles[0]!.contents));
  const stylesheet = asset('verify', 'css', 'text/css; charset=utf-8', Buffer.from(css.code, 'utf8'));
  const htmlTemplate = html.replace('{{script}}', script.path).replace('{{stylesheet}}', stylesheet.path);
  return { script, stylesheet, htmlTemplate, buildMs: Math.round(performance.now() - started) };
}

function asset(name: string, extension: string, contentType: string, body: Buffer): WebAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `${ASSET_PATH_PREFIX}${name}.${hash}.${extension}`, contentType, body };
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
