// POST /tsa answered by the fast lane (timestamp-fast-path.ts) and by the Express app behind it, the
// same byte for byte: two copies of the real app (its parsers, validator, guards and route) with the
// same TSA (an RSA key, whose PKCS #1 v1.5 signatures are deterministic, a fixed clock, serial numbers
// from 1), one behind the lane as the service mounts it and one alone. Each query goes to both; every
// answer is compared whole (status, body and every header but Date and the request id), and the lane's
// fallback counts which requests it handed to Express.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyAuthenticator, ApiKeyRecord } from '../../src/access/api-keys';
import { parseConfig } from '../../src/config/config';
import { createApp, createTsaLimiter, type AppDependencies } from '../../src/http/app';
import { RequestGuard } from '../../src/http/guards';
import { withTimeStampFastPath } from '../../src/http/timestamp-fast-path';
import { ServiceMetrics } from '../../src/platform/observability/metrics';
import { SerialNumbers } from '../../src/timestamping/serial-numbers';
import { TimeStampAuthority } from '../../src/timestamping/time-stamp-authority';
import { TokenSigner } from '../../src/timestamping/time-stamp-token';
import { loadTsaCredentials } from '../../src/timestamping/tsa-credentials';
import { capturedLogs } from '../helpers/captured-logs';
import { opensslOk } from '../helpers/openssl';
import { makeTempDir } from '../helpers/service-process';

const POLICY = '1.3.6.1.4.1.99999.7.1';
const KEYS: Record<string, ApiKeyRecord> = {
  dnk_stamper: { id: 'k1', tenantId: 'signer', scopes: ['timestamp'], label: null, createdAt: new Date(0), revokedAt: null },
  dnk_writer: { id: 'k2', tenantId: 'acme', scopes: ['notarize'], label: null, createdAt: new Date(0), revokedAt: null },
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with Node's client: `chunked` sends the body without a Content-Length. */
function send(url: string, headers: Record<string, string>, body: Buffer, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: chunked ? { ...headers, 'transfer-encoding': 'chunked' } : { ...headers, 'content-length': String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const { date: _date, 'x-request-id': _id, ...rest } = response.headers;
        resolve({ status: response.statusCode!, headers: rest, body: Buffer.concat(chunks) });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('the time-stamp fast lane', () => {
  const dir = makeTempDir('did-notary-tsa-lane-');
  const servers: http.Server[] = [];
  let laneUrl: string;
  let expressUrl: string;
  let query: Buffer;
  let handedToExpress = 0;
  const { logger } = capturedLogs();

  const listen = async (listener: http.RequestListener) => {
    const server = http.createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  };

  beforeAll(async () => {
    await opensslOk(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa-key.pem', '-out', 'tsa.pem', '-subj', '/CN=Lane TSA', '-days', '2',
        '-addext', 'basicConstraints=critical,CA:false', '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=critical,timeStamping'],
      dir,
    );
    fs.writeFileSync(path.join(dir, 'document.txt'), 'a contract\n');
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha256', '-cert', '-out', 'query.tsq'], dir);
    query = fs.readFileSync(path.join(dir, 'query.tsq'));
    const credentials = loadTsaCredentials({ dataDir: dir, keyFile: path.join(dir, 'tsa-key.pem'), certificateFile: path.join(dir, 'tsa.pem') });
    const config = parseConfig({ DATA_DIR: dir, TSA_AUTH: 'api-key', TSA_RATE_LIMIT: '3', TSA_POLICY: POLICY });
    const authenticator = { authenticate: async (secret: string) => KEYS[secret] ?? null } as unknown as ApiKeyAuthenticator;
    const genTime = new Date(Date.now() - 1000);
    // Each copy of the app its own TSA, metrics and limits, in the same state: the same answers.
    const appDependencies = () => {
      const tsa = new TimeStampAuthority({
        signer: new TokenSigner(credentials.privateKey, credentials.chainDer, { policy: POLICY, accuracyMs: 1000 }),
        serials: new SerialNumbers({ reserveBlock: async () => 1n }),
        policy: POLICY,
        anchorToken: async () => undefined,
        now: () => genTime,
      });
      // Only what POST /tsa touches is real; the rest of the service is never called here.
      return {
        config,
        logger,
        metrics: new ServiceMetrics({ processMetrics: false }),
        guard: new RequestGuard(authenticator, 0),
        tsa: { answer: (bytes: Uint8Array) => tsa.answer(bytes), certificateChainDer: credentials.chainDer },
        tsaLimiter: createTsaLimiter(config),
        info: () => ({}),
        baseUrl: () => 'http://127.0.0.1',
        wallets: { issuer: {}, verifier: {} },
      } as unknown as AppDependencies;
    };
    const laneDeps = appDependencies();
    const app = createApp(laneDeps);
    laneUrl = await listen(
      withTimeStampFastPath(
        (req, res) => {
          handedToExpress += 1;
          app(req, res);
        },
        { tsa: laneDeps.tsa, metrics: laneDeps.metrics, logger, limiter: laneDeps.tsaLimiter!, guard: laneDeps.guard },
        config.trustProxy,
      ),
    );
    expressUrl = await listen(createApp(appDependencies()));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** The same request to both; the lane's answer, after checking it is Express's and who answered. */
  const both = async (headers: Record<string, string>, body: Buffer, expectHandedOver: boolean): Promise<Answer> => {
    const before = handedToExpress;
    const lane = await send(laneUrl, headers, body);
    expect(handedToExpress - before, 'handed to Express').toBe(expectHandedOver ? 1 : 0);
    const viaExpress = await send(expressUrl, headers, body);
    expect(lane.status).toBe(viaExpress.status);
    expect(lane.headers).toEqual(viaExpress.headers);
    expect(lane.body.equals(viaExpress.body), 'same body').toBe(true);
    return lane;
  };
  const queryHeaders = (key?: string) => ({ 'content-type': 'application/timestamp-query', ...(key ? { authorization: `Bearer ${key}` } : {}) });

  it('grants a valid query with the same reply, byte for byte, which openssl verifies', async () => {
    const granted = await both(queryHeaders('dnk_stamper'), query, false);
    expect(granted.status).toBe(200);
    expect(granted.headers['content-type']).toBe('application/timestamp-reply');
    expect(granted.headers['cache-control']).toBe('no-store');
    fs.writeFileSync(path.join(dir, 'reply.tsr'), granted.body);
    await opensslOk(['ts', '-verify', '-data', 'document.txt', '-in', 'reply.tsr', '-CAfile', 'tsa.pem'], dir);
    // The Basic password form too (curl -u), and a query sent chunked, which Express reads.
    const basic = `Basic ${Buffer.from(`pdf-signer:dnk_stamper`).toString('base64')}`;
    expect((await both({ 'content-type': 'application/timestamp-query', authorization: basic }, query, false)).status).toBe(200);
    const before = handedToExpress;
    const chunked = await send(laneUrl, queryHeaders('dnk_stamper'), query, true);
    expect(handedToExpress - before).toBe(1);
    expect(chunked.status).toBe(200);
  });

  it('rejects a malformed query with the same PKIStatusInfo reply', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rejected = await both(queryHeaders('dnk_stamper'), Buffer.from('not a time-stamp query'), false);
    expect(rejected.status).toBe(200);
    fs.writeFileSync(path.join(dir, 'rejected.tsr'), rejected.body);
    const text = await opensslOk(['ts', '-reply', '-in', 'rejected.tsr', '-text'], dir);
    expect(text).toMatch(/Status: Rejected/);
  });

  it('leaves a wrong content type to Express, which answers 415', async () => {
    const refused = await both({ 'content-type': 'application/octet-stream', authorization: 'Bearer dnk_stamper' }, query, true);
    expect(refused.status).toBe(415);
    expect(refused.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  });

  it('asks for a key, refuses an invalid one and one without the timestamp scope, as Express does', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const missing = await both(queryHeaders(), query, false);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer, Basic realm="did-notary"/);
    expect((await both(queryHeaders('dnk_not_a_key'), query, false)).status).toBe(401);
    expect((await both(queryHeaders('dnk_writer'), query, false)).status).toBe(403);
  });

  it('limits a client by the same per-address limit (TSA_RATE_LIMIT), answering 429 as Express does', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await both(queryHeaders('dnk_stamper'), Buffer.from('x'), false)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
