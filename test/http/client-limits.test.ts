// Public endpoints that cost upstream work are limited per client address: requests per second,
// and requests open at once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitPerClient } from '../../src/http/client-limits';
import { problemErrorHandler } from '../../src/http/responses';
import { createLogger } from '../../src/platform/observability/logger';

describe('limits per client', () => {
  let server: http.Server;
  let base: string;
  const held: Array<() => void> = [];

  beforeAll(async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use('/rate', limitPerClient({ perSecond: 3, maxInFlight: 0 }));
    app.use('/open', limitPerClient({ perSecond: 0, maxInFlight: 2 }));
    app.get('/rate', (_req, res) => void res.json({ ok: true }));
    app.get('/open', (_req, res) => void held.push(() => res.json({ ok: true })));
    app.use(problemErrorHandler(createLogger('silent')));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a client over its rate with 429, Retry-After and a problem; other clients are not affected', async () => {
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${base}/rate`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      statuses.push(response.status);
      if (response.status === 429) refused ??= response;
      else await response.text();
    }
    // The client's one-second window starts at its first request; five local requests fit in it.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(refused!.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused!.json()).toMatchObject({ type: 'urn:did-notary:problem:rate-limited', status: 429 });
    const other = await fetch(`${base}/rate`, { headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(other.status).toBe(200);
  });

  it('refuses a third request while two of the same client are still open, and admits it once one finishes', async () => {
    const first = fetch(`${base}/open`);
    const second = fetch(`${base}/open`);
    for (let i = 0; i < 200 && held.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(held).toHaveLength(2);
    const third = await fetch(`${base}/open`);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ type: 'urn:did-notary:problem:rate-limited' });
    held.shift()!();
    expect((await first).status).toBe(200);
    const fourth = fetch(`${base}/open`);
    for (let i = 0; i < 200 && held.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(held).toHaveLength(2);
    held.splice(0).forEach((answer) => answer());
    expect((await second).status).toBe(200);
    expect((await fourth).status).toBe(200);
  });
});
