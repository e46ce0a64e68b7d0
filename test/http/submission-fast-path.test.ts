// Which submissions the fast path answers itself and which it hands to the Express app, with the
// body put back unread. Keys are checked by the same guard as Express's routes, so refused keys and
// limits get the same problems from either lane; its answers match Express's byte for byte (tested
// on the real service in notarization.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyAuthenticator } from '../../src/access/api-keys';
import type { DocumentId } from '../../src/core/ids/document-id';
import { parseDocumentId } from '../../src/core/ids/document-id';
import type { Receipt } from '../../src/core/receipts/receipt';
import { RequestGuard, requireScope } from '../../src/http/guards';
import { createRateLimiter } from '../../src/http/rate-limit';
import { withSubmissionFastPath } from '../../src/http/submission-fast-path';
import { ServiceMetrics } from '../../src/platform/observability/metrics';
import type { ApiKeyRecord } from '../../src/access/api-keys';
import { capturedLogs } from '../helpers/captured-logs';

const KEYS: Record<string, ApiKeyRecord> = {
  dnk_writer: { id: 'k1', tenantId: 'acme', scopes: ['notarize'], label: null, createdAt: new Date(0), revokedAt: null },
  dnk_issuer: { id: 'k2', tenantId: 'acme', scopes: ['issue'], label: null, createdAt: new Date(0), revokedAt: null },
  dnk_limited: { id: 'k3', tenantId: 'slow', scopes: ['notarize'], label: null, createdAt: new Date(0), revokedAt: null },
};
const DIGEST = 'ab'.repeat(32);

describe('submission fast path', () => {
  let server: http.Server;
  let base: string;
  const expressSaw: Array<{ body: unknown; key?: string }> = [];
  const submitted: Array<{ tenant: string; ids: string[] }> = [];
  let failSubmit = false;
  const lookups: string[] = [];
  const { logger, lines: logLines } = capturedLogs();

  beforeAll(async () => {
    const notary = {
      parseIdentifiers: (identifiers: readonly string[]) => identifiers.map((identifier) => parseDocumentId(identifier)),
      async submit(tenantId: string, ids: DocumentId[]): Promise<Receipt[]> {
        if (failSubmit) throw new Error('the store is down');
        submitted.push({ tenant: tenantId, ids: ids.map((id) => id.digestHex) });
        return ids.map((id) => ({ version: 'did-notary/receipt/1', status: 'pending', document: { cid: id.cid, multihash: id.multihashHex } }) as unknown as Receipt);
      },
    };
    const authenticator = {
      authenticate: async (secret: string) => {
        lookups.push(secret);
        return KEYS[secret] ?? null;
      },
    } as unknown as ApiKeyAuthenticator;
    const limitEveryone = createRateLimiter(1000);
    const limitSlow = createRateLimiter(1);
    const guard = new RequestGuard(authenticator, 0, (key: ApiKeyRecord) => (key.id === 'k3' ? limitSlow(key) : limitEveryone(key)));
    // The fallback is a real Express app with its JSON parser: it must receive the body intact.
    const app = express();
    app.use(express.json({ strict: true }));
    // As the service's app: the same guard first.
    app.post('/v1/documents', requireScope(guard, 'notarize'), (req, res) => {
      expressSaw.push({ body: req.body, key: req.get('authorization') });
      res.status(418).json({ via: 'express' });
    });
    app.use((error: { status?: number; type?: string; kind?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const status = error.status ?? (error.kind === 'unauthorized' ? 401 : error.kind === 'forbidden' ? 403 : 500);
      expressSaw.push({ body: `error ${error.type ?? error.kind}` });
      res.status(status).json({ via: 'express', error: error.type ?? error.kind });
    });
    server = http.createServer(withSubmissionFastPath(app, { notary, guard, metrics: new ServiceMetrics(), logger }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    expressSaw.length = 0;
    submitted.length = 0;
    lookups.length = 0;
    failSubmit = false;
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/documents`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer dnk_writer', ...headers } });

  it('answers one digest with a valid key: 202, the receipts as Express would send them, the tenant of the key', async () => {
    const response = await post(JSON.stringify({ hash: DIGEST.toUpperCase() }), { 'x-request-id': 'trace-7' });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
    expect(response.headers.get('x-request-id')).toBe('trace-7');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const { receipts } = (await response.json()) as { receipts: Array<{ document: { multihash: string } }> };
    expect(receipts.map((r) => r.document.multihash)).toEqual([`1220${DIGEST}`]);
    expect(submitted).toEqual([{ tenant: 'acme', ids: [DIGEST] }]);
    expect(expressSaw).toEqual([]);
    // Whitespace and a charset are still the plain case.
    expect((await post(`{ "hash" : "${DIGEST}" }`, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    expect(expressSaw).toEqual([]);
  });

  it('hands other bodies to Express with the body intact', async () => {
    const bodies = [
      { hash: DIGEST, label: 'invoice 42' },
      { hashes: [DIGEST] },
      { hash: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' },
      { hash: DIGEST.slice(2) },
    ];
    for (const body of bodies) {
      const response = await post(JSON.stringify(body));
      expect(response.status).toBe(418);
    }
    expect(expressSaw.map((s) => s.body)).toEqual(bodies);
    expect(submitted).toEqual([]);
    // Only JSON's whitespace is the plain case: \v, \f and U+00A0 are Express's to refuse.
    for (const odd of ['\v', '\f', '\u00a0']) {
      const response = await post(`{${odd}"hash":"${DIGEST}"}`);
      expect(response.status, JSON.stringify(odd)).toBe(400);
    }
    expect(submitted).toEqual([]);
    // Malformed JSON reaches Express's parser, which answers it.
    const malformed = await post('{"hash": ');
    expect(malformed.status).toBe(400);
    expect(expressSaw.at(-1)).toEqual({ body: 'error entity.parse.failed' });
  });

  it('refuses keys as Express would, without handing the digest over', async () => {
    const body = JSON.stringify({ hash: DIGEST });
    const answers = [];
    for (const authorization of ['Bearer dnk_unknown', 'Bearer dnk_issuer', 'Basic abc', '']) {
      const response = await post(body, { authorization });
      answers.push({ status: response.status, type: response.headers.get('content-type'), auth: response.headers.get('www-authenticate'), problem: await response.json() });
    }
    expect(answers).toEqual([
      {
        status: 401,
        type: 'application/problem+json; charset=utf-8',
        auth: 'Bearer error="invalid_token"',
        problem: expect.objectContaining({ type: 'urn:did-notary:problem:unauthorized', instance: '/v1/documents' }),
      },
      { status: 403, type: 'application/problem+json; charset=utf-8', auth: null, problem: expect.objectContaining({ type: 'urn:did-notary:problem:forbidden' }) },
      { status: 401, type: 'application/problem+json; charset=utf-8', auth: 'Bearer error="invalid_token"', problem: expect.objectContaining({ type: 'urn:did-notary:problem:unauthorized' }) },
      { status: 401, type: 'application/problem+json; charset=utf-8', auth: 'Bearer', problem: expect.objectContaining({ type: 'urn:did-notary:problem:unauthorized' }) },
    ]);
    expect(submitted).toEqual([]);
    expect(expressSaw).toEqual([]);
    // Each key is looked up once.
    expect(lookups.filter((secret) => secret === 'dnk_unknown')).toEqual(['dnk_unknown']);
    expect(lookups.filter((secret) => secret === 'dnk_issuer')).toEqual(['dnk_issuer']);
  });

  it('hands other routes and shapes to Express, without reading their bodies', async () => {
    const body = JSON.stringify({ hash: DIGEST });
    await post(body, { 'content-type': 'text/plain' });
    await post(`${body}${' '.repeat(300)}`);
    await fetch(`${base}/v1/documents?x=1`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer dnk_writer' } });
    // A chunked body has no declared length.
    await new Promise<void>((resolve, reject) => {
      const request = http.request(`${base}/v1/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dnk_writer' } }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.write(body.slice(0, 10));
      request.end(body.slice(10));
    });
    expect(submitted).toEqual([]);
    const parsed = { hash: DIGEST };
    // Express reads every body but the text/plain one.
    expect(expressSaw.map((s) => s.body)).toEqual([undefined, parsed, parsed, parsed]);
  });

  it('answers a key over its rate limit with 429 and Retry-After, counting each request once', async () => {
    const body = JSON.stringify({ hash: DIGEST });
    const first = await post(body, { authorization: 'Bearer dnk_limited' });
    const second = await post(body, { authorization: 'Bearer dnk_limited' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await second.json()).toMatchObject({ type: 'urn:did-notary:problem:rate-limited', status: 429 });
    expect(submitted).toHaveLength(1);
    expect(expressSaw).toEqual([]);
  });

  it('logs a submission whose client goes away before its body has arrived', async () => {
    const arrived = new Promise<void>((resolve) => server.once('request', () => resolve()));
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const body = JSON.stringify({ hash: DIGEST });
    socket.write(
      `POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dnk_writer\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await arrived;
    socket.destroy();
    const closed = () => logLines().filter((line) => line.msg === 'request closed before its answer was sent');
    for (let i = 0; i < 200 && closed().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed()).toEqual([expect.objectContaining({ method: 'POST', path: '/v1/documents', aborted: true })]);
    expect(submitted).toEqual([]);
    expect(expressSaw).toEqual([]);
  });

  it('answers a failed submission with a problem', async () => {
    failSubmit = true;
    const response = await post(JSON.stringify({ hash: DIGEST }));
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await response.json()).toMatchObject({ status: 500, instance: '/v1/documents' });
    expect(expressSaw).toEqual([]);
  });
});
