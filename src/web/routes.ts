// Serves the verification page (GET /), its content-addressed assets, and optionally the read-only
// chain relay the page uses when the chain is one browsers cannot reach (the embedded Anvil).
import express, { type IRouter, type Response } from 'express';
import { buildWebBundle, renderPageHtml, type WebAsset, type WebBundle } from './build';
import { chainRpcRelay, type ChainRpcRelayOptions } from './chain-rpc-relay';

/** Where the relay listens when enabled; the page learns it from the HTML. */
export const CHAIN_RPC_RELAY_PATH = '/v1/chain-rpc';

export interface WebRouteOptions {
  /** Relay the page's chain reads to this chain; for the embedded chain only (see chain-rpc-relay.ts). */
  chainRpcRelay?: ChainRpcRelayOptions;
  /** Told once when the page cannot be built (GET / then answers 503). */
  onBuildError?: (error: unknown) => void;
  /** Told once when the page is built. */
  onBuilt?: (bundle: WebBundle) => void;
}

/**
 * The page talks to this origin's API, to any JSON-RPC URL the person enters (hence http: and https:
 * in connect-src) and to nothing else; it runs only its own script and stylesheet.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/**
 * Registers GET /, GET /assets/* and, with `chainRpcRelay`, POST /v1/chain-rpc. Starts building the
 * page at once (in memory, well under a second), so the first visitor does not wait for it. Mount it
 * before the OpenAPI validator (these paths are not API operations) and before any larger JSON body
 * parser (the relay's own parser limits bodies to 4 KB).
 */
export function webRoutes(app: IRouter, options: WebRouteOptions = {}): void {
  const relayPath = options.chainRpcRelay ? CHAIN_RPC_RELAY_PATH : undefined;
  const page = buildWebBundle().then(
    (bundle) => {
      options.onBuilt?.(bundle);
      return { bundle, html: renderPageHtml(bundle, { chainRpcRelay: relayPath }) };
    },
    (error: unknown) => {
      options.onBuildError?.(error);
      return undefined;
    },
  );

  app.get('/', async (_req, res) => {
    const built = await page;
    res.set(COMMON_HEADERS).set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY).set('X-Frame-Options', 'DENY');
    if (!built) {
      res.status(503).type('text/plain').set('Cache-Control', 'no-store').send('The verification page could not be built; see the service log.');
      return;
    }
    res.set('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(built.html);
  });

  app.get('/assets/:name', async (req, res, next) => {
    const built = await page;
    const asset = built && [built.bundle.script, built.bundle.stylesheet].find((candidate) => candidate.path === req.path);
    if (!asset) {
      next();
      return;
    }
    sendAsset(res, asset);
  });

  if (options.chainRpcRelay) {
    app.post(CHAIN_RPC_RELAY_PATH, express.json({ limit: '4kb', strict: true }), chainRpcRelay(options.chainRpcRelay));
  }
}

function sendAsset(res: Response, asset: WebAsset): void {
  res
    .set(COMMON_HEADERS)
    .set('Cross-Origin-Resource-Policy', 'same-origin')
    .set('Cache-Control', 'public, max-age=31536000, immutable')
    .type(asset.contentType)
    .send(asset.body);
}
