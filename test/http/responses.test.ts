// writeJson sends the JSON string itself: its Content-Length and weak ETag must still be those of its
// UTF-8 bytes, as Express's res.send (the `etag` package) gives them, also for characters beyond ASCII.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_CONTENT_TYPE, writeJson } from '../../src/http/responses';
import { createLogger } from '../../src/platform/observability/logger';

/** Express's own ETag function (untyped CommonJS, loaded as Express loads it). */
const expressEtag = createRequire(`${process.cwd()}/package.json`)('etag') as (body: Buffer, options: { weak: boolean }) => string;

describe('writeJson', () => {
  const body = JSON.stringify({ label: 'Vertrag für Zoë — 契約 ✓', emoji: '📄' });
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => writeJson(req, res, 200, JSON_CONTENT_TYPE, body, createLogger('silent')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the UTF-8 bytes with their length and the ETag Express would give them', async () => {
    const bytes = Buffer.from(body, 'utf8');
    expect(bytes.length).toBeGreaterThan(body.length);
    const response = await fetch(base);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('etag')).toBe(expressEtag(bytes, { weak: true }));
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await fetch(base, { method: 'HEAD' });
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(await response.text()).toBe('');
  });
});
