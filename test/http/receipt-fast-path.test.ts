// Which requests the receipt fast path answers itself and which it hands to the Express app; its
// answers match Express's byte for byte (tested on the real service in notarization.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors';
import { withReceiptFastPath } from '../../src/http/receipt-fast-path';
import type { Receipt } from '../../src/core/receipts/receipt';
import { createLogger } from '../../src/platform/observability/logger';
import { ServiceMetrics } from '../../src/platform/observability/metrics';

const RECEIPT = { version: 'did-notary/receipt/1', status: 'pending', document: { cid: 'bafk', multihash: '1220' }, submittedAt: '2026-11-25T00:00:00.000Z', issuer: 'did:x' } as unknown as Receipt;

describe('receipt fast path', () => {
  let server: http.Server;
  let base: string;
  const handedOver: string[] = [];
  const looked: string[] = [];
  const metrics = new ServiceMetrics();

  beforeAll(async () => {
    const notary = {
      async getReceiptJson(id: string): Promise<Buffer> {
        looked.push(id);
        if (id === 'unknown') throw new Error('the store is down');
        if (id === 'missing') throw new DomainError('DOCUMENT_NOT_FOUND', 'no document missing was submitted here');
        return Buffer.from(JSON.stringify(RECEIPT));
      },
    };
    const fallback: http.RequestListener = (req, res) => {
      handedOver.push(`${req.method} ${req.url}`);
      res.statusCode = 418;
      res.end('express');
    };
    server = http.createServer(withReceiptFastPath(fallback, { notary, metrics, logger: createLogger('silent') }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a plain read with the JSON, its length, a weak ETag, CORS and a request id', async () => {
    handedOver.length = 0;
    const response = await fetch(`${base}/v1/receipts/abc123`, { headers: { 'x-request-id': 'trace-1' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(RECEIPT);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('x-request-id')).toBe('trace-1');
    expect(handedOver).toEqual([]);
    const withKey = await fetch(`${base}/v1/receipts/abc123`, { headers: { authorization: 'Bearer k' } });
    expect(withKey.headers.get('access-control-allow-origin')).toBeNull();
    expect(await metrics.registry.getSingleMetricAsString('did_notary_http_request_duration_seconds')).toMatch(/route="\/v1\/receipts\/:id",status="200"/);
  });

  it('answers an unknown document with the problem Express would give, without a second lookup', async () => {
    handedOver.length = 0;
    const response = await fetch(`${base}/v1/receipts/missing`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await response.json()).toEqual({
      type: 'urn:did-notary:problem:document-not-found',
      title: 'Unknown document',
      status: 404,
      detail: 'no document missing was submitted here',
      code: 'DOCUMENT_NOT_FOUND',
      instance: '/v1/receipts/missing',
    });
    expect(handedOver).toEqual([]);
  });

  it('hands everything else to Express: other methods, queries, escapes, conditional reads, bodies, failed lookups', async () => {
    handedOver.length = 0;
    looked.length = 0;
    await fetch(`${base}/v1/receipts/abc123?format=vc`);
    await fetch(`${base}/v1/receipts/abc%20123`);
    await fetch(`${base}/v1/receipts/abc123/`);
    await fetch(`${base}/v1/receipts/abc123`, { method: 'HEAD' });
    await fetch(`${base}/v1/receipts/abc123`, { headers: { 'if-none-match': 'W/"x"' } });
    await fetch(`${base}/v1/receipts/${'a'.repeat(201)}`);
    await fetch(`${base}/v1/batches/1`);
    await new Promise<void>((resolve, reject) => {
      // fetch refuses a GET with a body; a client may still send one.
      const request = http.request(`${base}/v1/receipts/abc123`, { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': '2' } }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.end('{}');
    });
    const failed = await fetch(`${base}/v1/receipts/unknown`);
    expect(failed.status).toBe(418);
    expect(looked).toEqual(['unknown']);
    expect(handedOver).toEqual([
      'GET /v1/receipts/abc123?format=vc',
      'GET /v1/receipts/abc%20123',
      'GET /v1/receipts/abc123/',
      'HEAD /v1/receipts/abc123',
      'GET /v1/receipts/abc123',
      `GET /v1/receipts/${'a'.repeat(201)}`,
      'GET /v1/batches/1',
      'GET /v1/receipts/abc123',
      'GET /v1/receipts/unknown',
    ]);
  });
});
