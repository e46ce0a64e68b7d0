// The page is built in memory at start, fast, small and self-contained; its routes send a strict CSP.
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { buildWebBundle, renderPageHtml } from '../../src/web/build';
import { PAGE_CONTENT_SECURITY_POLICY, webRoutes } from '../../src/web/routes';

describe('the verification page bundle', () => {
  it('builds in memory in well under a second, once per process', async () => {
    const bundle = await buildWebBundle();
    expect(bundle.buildMs).toBeLessThan(1_000);
    expect(await buildWebBundle()).toBe(bundle);
    expect(bundle.script.body.length).toBeLessThan(150_000);
    expect(bundle.script.path).toMatch(/^\/assets\/verify\.[0-9a-f]{12}\.js$/);
    expect(bundle.stylesheet.path).toMatch(/^\/assets\/verify\.[0-9a-f]{12}\.css$/);
  });

  it('bundles the core but not ethers or Node built-ins', async () => {
    const script = (await buildWebBundle()).script.body.toString('utf8');
    expect(script).toContain('did-notary/receipt/1'); // the core's receipt parser
    // Markers of ethers (its AbiCoder, its version banner) and of Node; "etherscan" links are fine.
    expect(script.match(/AbiCoder|ethers\/6|require\("node:|process\.env/)?.[0]).toBeUndefined();
  });

  it('references only its own assets, and announces the relay only when there is one', async () => {
    const bundle = await buildWebBundle();
    for (const html of [renderPageHtml(bundle), renderPageHtml(bundle, { chainRpcRelay: '/v1/chain-rpc' })]) {
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(html).not.toContain('{{');
      expect(html).toContain(`src="${bundle.script.path}"`);
    }
    expect(renderPageHtml(bundle)).toContain('data-chain-rpc-relay=""');
    expect(renderPageHtml(bundle, { chainRpcRelay: '/v1/chain-rpc' })).toContain('data-chain-rpc-relay="/v1/chain-rpc"');
  });

  it('is served with a CSP that allows no other origin except for JSON-RPC, and immutable assets', async () => {
    const app = express();
    webRoutes(app);
    app.use((_req, res) => res.status(404).send('none'));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${origin}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = page.headers.get('content-security-policy');
      expect(csp).toBe(PAGE_CONTENT_SECURITY_POLICY);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self' http: https:");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const html = await page.text();
      const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1]!;
      const css = await fetch(`${origin}${stylesheet}`);
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await fetch(`${origin}/assets/verify.000000000000.js`)).status).toBe(404);
      // Without a relay option there is no relay.
      expect((await fetch(`${origin}/v1/chain-rpc`, { method: 'POST' })).status).toBe(404);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
