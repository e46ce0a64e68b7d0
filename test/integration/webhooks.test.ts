// Webhooks against the real service (one `did-notary serve` process for the file) and a receiver on
// 127.0.0.1 that the configuration allows: the API checked against openapi.yaml, URLs the outbound
// guard refuses, signatures verified by the `standardwebhooks` package and by the spec's HMAC
// recomputed with node:crypto, retries until exactly one success, batch.anchored pages, credential
// status events, redelivery, an endpoint turned off after repeated failure and back on.
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMatchesOpenApi, expectMatchesOpenApiSchema } from '../helpers/openapi-contract';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { cidOf, LOOPBACK_WEBHOOK_ENV, startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../helpers/webhook-receiver';

const PROBLEM = 'urn:did-notary:problem:';

/** The Standard Webhooks signature recomputed from the spec: HMAC-SHA256 of `id.timestamp.body`, base64, keyed by the secret's bytes. */
function specSignature(secret: string, request: ReceivedWebhook): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${request.id}.${request.timestamp}.${request.body}`).digest('base64')}`;
}

describe('webhooks', () => {
  let service: ServiceProcess;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    service = await startServiceProcess({
      env: { ...LOOPBACK_WEBHOOK_ENV, WEBHOOK_DISABLE_AFTER: '2s', VALIDATE_RESPONSES: 'true' },
    });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
  });

  /** Registers an endpoint at the receiver (with a path naming it) and checks the answer against the contract. */
  async function register(name: string, eventTypes?: string[]): Promise<{ id: string; secret: string; url: string }> {
    const url = `${receiver.url}/${name}`;
    const created = await api(service, 'POST', '/v1/webhooks', { url, ...(eventTypes ? { eventTypes } : {}), description: name });
    expect(created.status).toBe(201);
    expectMatchesOpenApi('post', '/v1/webhooks', 201, created.json);
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    return { id: created.json.id, secret: created.json.secret, url };
  }

  /** What the receiver got at an endpoint's URL (of one type). */
  const requestsTo = (endpoint: { url: string }, type?: string) =>
    receiver.received.filter((request) => endpoint.url.endsWith(request.path) && (type === undefined || request.json.type === type));
  const pathOf = (endpoint: { url: string }) => new URL(endpoint.url).pathname;

  it('refuses URLs the outbound guard refuses, with a problem+json', async () => {
    for (const [url, reason] of [
      ['https://10.1.2.3/hooks', /private/],
      ['https://169.254.169.254/latest', /link-local/],
      ['https://[::1]:8443/hooks', /loopback/],
      ['https://localhost/hooks', /loopback/],
      ['http://hooks.example.com/', /only https/],
      ['https://user:pass@hooks.example.com/', /credentials/],
      ['not a url', /not a URL/],
    ] as const) {
      const refused = await api(service, 'POST', '/v1/webhooks', { url });
      expect(refused.status, url).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.json.type, url).toBe(`${PROBLEM}webhook-url-refused`);
      expect(refused.json.detail, url).toMatch(reason);
    }
    const unknownType = await api(service, 'POST', '/v1/webhooks', { url: `${receiver.url}/x`, eventTypes: ['batch.sealed'] });
    expect(unknownType.status).toBe(400);
    expect(unknownType.json.type).toBe(`${PROBLEM}validation-failed`);
    expect((await api(service, 'GET', '/v1/webhooks')).json.webhooks).toEqual([]);
  });

  it('registers, lists, reads and deletes endpoints per tenant, under the webhooks scope', async () => {
    const endpoint = await register('crud', ['batch.anchored']);
    const listed = await api(service, 'GET', '/v1/webhooks');
    expectMatchesOpenApi('get', '/v1/webhooks', 200, listed.json);
    expect(listed.json.webhooks.map((w: { id: string }) => w.id)).toEqual([endpoint.id]);
    expect(JSON.stringify(listed.json)).not.toContain(endpoint.secret);
    const read = await api(service, 'GET', `/v1/webhooks/${endpoint.id}`);
    expectMatchesOpenApi('get', '/v1/webhooks/{id}', 200, read.json);
    expect(read.json).toMatchObject({ id: endpoint.id, eventTypes: ['batch.anchored'], enabled: true, disabled: null, failing: null });

    // Another tenant's key with the webhooks scope sees none of them; a key without the scope is refused.
    const acme = await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['webhooks'] });
    const notarizeOnly = await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['notarize'] });
    const asAcme = { url: service.url, adminKey: acme.json.secret as string };
    expect((await api(asAcme, 'GET', '/v1/webhooks')).json.webhooks).toEqual([]);
    const foreign = await api(asAcme, 'GET', `/v1/webhooks/${endpoint.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.json.type).toBe(`${PROBLEM}webhook-not-found`);
    expect((await api(asAcme, 'DELETE', `/v1/webhooks/${endpoint.id}`)).status).toBe(404);
    const forbidden = await api({ url: service.url, adminKey: notarizeOnly.json.secret }, 'GET', '/v1/webhooks');
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.type).toBe(`${PROBLEM}forbidden`);

    expect((await api(service, 'DELETE', `/v1/webhooks/${endpoint.id}`)).status).toBe(204);
    expect((await api(service, 'GET', `/v1/webhooks/${endpoint.id}`)).status).toBe(404);
  });

  it('signs every attempt as Standard Webhooks, and after 3 failures delivers exactly once', async () => {
    const endpoint = await register('flaky', ['batch.anchored']);
    receiver.answer = ({ path, attempt }) => (path === pathOf(endpoint) && attempt <= 3 ? 503 : 200);
    const hashes = [randomHex(), randomHex()];
    expect((await api(service, 'POST', '/v1/documents', { hashes })).status).toBe(202);
    const anchored = await api(service, 'POST', '/v1/batches/anchor');
    expect(anchored.status).toBe(200);
    const batchId = anchored.json.batch.id as string;
    const success = await receiver.waitFor('a delivery accepted', () => requestsTo(endpoint).find((request) => request.status === 200));
    // Well past the next retries' delays: nothing more comes for it.
    await sleep(1_000);
    const attempts = requestsTo(endpoint);
    expect(attempts.map((request) => request.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(attempts.map((request) => request.id))).toEqual(new Set([success.id]));
    expect(success.id).toMatch(/^msg_[0-9a-f]{32}$/);

    // Every attempt verifies with the standardwebhooks package and matches the spec's HMAC; the
    // timestamp is the attempt's own, and each attempt is signed anew.
    const verifier = new Webhook(endpoint.secret);
    for (const request of attempts) {
      const headers = { 'webhook-id': request.id, 'webhook-timestamp': request.timestamp, 'webhook-signature': request.signature };
      expect(verifier.verify(request.body, headers)).toEqual(request.json);
      expect(request.signature).toBe(specSignature(endpoint.secret, request));
      expect(Math.abs(Number(request.timestamp) - request.receivedAt / 1000)).toBeLessThan(5);
    }
    const headers = { 'webhook-id': success.id, 'webhook-timestamp': success.timestamp, 'webhook-signature': success.signature };
    expect(() => verifier.verify(success.body.replace(batchId, `${batchId}0`), headers)).toThrow(/signature/i);
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(success.body, headers)).toThrow(/signature/i);

    expectMatchesOpenApiSchema('#/components/schemas/BatchAnchoredEvent', success.json, 'the batch.anchored payload');
    expect(success.json.type).toBe('batch.anchored');
    expect(success.json.data).toMatchObject({
      // Two documents and the batch's log commitment leaf (docs/transparency-log.md).
      batch: { id: batchId, root: anchored.json.batch.root, treeSize: 3, anchor: { transactionHash: anchored.json.batch.anchor.transactionHash } },
      documents: { ids: hashes.map(cidOf), page: 1, pageCount: 1, total: 2 },
      receipts: `${service.url}/v1/batches/${batchId}/receipts`,
    });

    const log = await api(service, 'GET', `/v1/webhooks/${endpoint.id}/deliveries`);
    expectMatchesOpenApi('get', '/v1/webhooks/{id}/deliveries', 200, log.json);
    expect(log.json.deliveries).toHaveLength(1);
    expect(log.json.deliveries[0]).toMatchObject({ event: { id: success.id, type: 'batch.anchored' }, state: 'delivered', nextAttemptAt: null, lastError: null });
    expect(log.json.deliveries[0].attempts.map((attempt: { attempt: number; statusCode: number }) => [attempt.attempt, attempt.statusCode])).toEqual([[1, 503], [2, 503], [3, 503], [4, 200]]);
    expect(log.json.deliveries[0].attempts[0].error).toMatch(/HTTP 503/);
    expect((await api(service, 'DELETE', `/v1/webhooks/${endpoint.id}`)).status).toBe(204);
  });

  it('sends batch.anchored per page of 1,000 document ids, each tenant only its own', async () => {
    const endpoint = await register('pages', ['batch.anchored']);
    receiver.answer = () => 200;
    const mine = Array.from({ length: 2_500 }, randomHex);
    const theirs = Array.from({ length: 5 }, randomHex);
    const globex = await api(service, 'POST', '/v1/keys', { tenant: 'globex', scopes: ['notarize'] });
    expect((await api(service, 'POST', '/v1/documents', { hashes: mine })).status).toBe(202);
    expect((await api({ url: service.url, adminKey: globex.json.secret }, 'POST', '/v1/documents', { hashes: theirs })).status).toBe(202);
    const anchored = await api(service, 'POST', '/v1/batches/anchor');
    const batchId = anchored.json.batch.id as string;
    // 2,505 documents and the batch's log commitment leaf.
    expect(anchored.json.batch).toMatchObject({ treeSize: 2_506, documentCount: 2_505 });
    const pages = await receiver.waitFor('three pages', () => {
      const got = requestsTo(endpoint, 'batch.anchored').filter((request) => request.json.data.batch.id === batchId);
      return got.length >= 3 ? got : undefined;
    });
    await sleep(300);
    expect(requestsTo(endpoint, 'batch.anchored')).toHaveLength(3);
    pages.sort((a, b) => a.json.data.documents.page - b.json.data.documents.page);
    expect(pages.map((page) => [page.json.data.documents.page, page.json.data.documents.pageCount, page.json.data.documents.total, page.json.data.documents.ids.length])).toEqual([
      [1, 3, 2_500, 1_000],
      [2, 3, 2_500, 1_000],
      [3, 3, 2_500, 500],
    ]);
    expect(new Set(pages.map((page) => page.id)).size).toBe(3);
    // In leaf order (the order they were submitted in), the tenant's documents and nobody else's.
    expect(pages.flatMap((page) => page.json.data.documents.ids)).toEqual(mine.map(cidOf));
    for (const page of pages) expectMatchesOpenApiSchema('#/components/schemas/BatchAnchoredEvent', page.json, `page ${page.json.data.documents.page}`);
  });

  it('sends credential.suspended, .reinstated and .revoked to the endpoints that take them', async () => {
    const endpoint = await register('credentials', ['credential.revoked', 'credential.suspended', 'credential.reinstated']);
    receiver.answer = () => 200;
    const issued = await api(service, 'POST', '/v1/credentials', { subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', type: 'MembershipCredential', claims: { member: true } });
    expect(issued.status).toBe(201);
    const id = encodeURIComponent(issued.json.id as string);
    for (const action of ['suspend', 'reinstate', 'revoke']) expect((await api(service, 'POST', `/v1/credentials/${id}/${action}`)).status).toBe(200);
    // Repeating a change changes nothing, and says nothing.
    expect((await api(service, 'POST', `/v1/credentials/${id}/revoke`)).status).toBe(200);
    const events = await receiver.waitFor('three credential events', () => {
      const got = requestsTo(endpoint);
      return got.length >= 3 ? got : undefined;
    });
    await sleep(300);
    expect(requestsTo(endpoint)).toHaveLength(3);
    expect(events.map((event) => [event.json.type, event.json.data.credential.state])).toEqual([
      ['credential.suspended', 'suspended'],
      ['credential.reinstated', 'active'],
      ['credential.revoked', 'revoked'],
    ]);
    for (const event of events) {
      expect(event.json.data.credential.id).toBe(issued.json.id);
      expectMatchesOpenApiSchema('#/components/schemas/CredentialStatusEvent', event.json, event.json.type);
      expect(new Webhook(endpoint.secret).verify(event.body, { 'webhook-id': event.id, 'webhook-timestamp': event.timestamp, 'webhook-signature': event.signature })).toEqual(event.json);
    }
    // The batch-only endpoint of the test before got none of them.
    expect(receiver.received.filter((request) => request.path.endsWith('/pages') && request.json.type.startsWith('credential.'))).toEqual([]);
  });

  it('redelivers on request with the same webhook-id, and sends a test event', async () => {
    const endpoint = (await api(service, 'GET', '/v1/webhooks')).json.webhooks.find((w: { description: string }) => w.description === 'credentials');
    const log = await api(service, 'GET', `/v1/webhooks/${endpoint.id}/deliveries?state=delivered&limit=1`);
    expect(log.json.deliveries).toHaveLength(1);
    expect(log.json.next).toBe(log.json.deliveries[0].id);
    const delivered = log.json.deliveries[0];
    const before = receiver.received.length;
    const redelivered = await api(service, 'POST', `/v1/webhooks/${endpoint.id}/deliveries/${delivered.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expectMatchesOpenApi('post', '/v1/webhooks/{id}/deliveries/{delivery}/redeliver', 202, redelivered.json);
    const again = await receiver.waitFor('the redelivery', () => receiver.received.slice(before).find((request) => request.id === delivered.event.id));
    expect(again.status).toBe(200);
    const recorded = await pollApi(`/v1/webhooks/${endpoint.id}/deliveries?limit=200`, (body) => body.deliveries.find((d: { id: string }) => d.id === delivered.id)?.state === 'delivered' && body.deliveries.find((d: { id: string }) => d.id === delivered.id).attempts.length === 2, 5_000);
    expect(recorded.deliveries.find((d: { id: string }) => d.id === delivered.id).attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([200, 200]);
    expect((await api(service, 'POST', `/v1/webhooks/${endpoint.id}/deliveries/999999/redeliver`)).json.type).toBe(`${PROBLEM}webhook-delivery-not-found`);

    const test = await api(service, 'POST', `/v1/webhooks/${endpoint.id}/test`);
    expect(test.status).toBe(202);
    expectMatchesOpenApi('post', '/v1/webhooks/{id}/test', 202, test.json);
    const ping = await receiver.waitFor('the test event', () => receiver.received.find((request) => request.id === test.json.webhookId));
    expect(ping.json).toMatchObject({ type: 'webhook.test', data: { endpoint: endpoint.id } });
    expectMatchesOpenApiSchema('#/components/schemas/WebhookTestEvent', ping.json, 'the test payload');
  });

  it('turns off an endpoint that keeps failing, says why, and turns it back on', async () => {
    const endpoint = await register('down');
    receiver.answer = ({ path }) => (path === pathOf(endpoint) ? 500 : 200);
    expect((await api(service, 'POST', `/v1/webhooks/${endpoint.id}/test`)).status).toBe(202);
    const disabled = await pollApi(`/v1/webhooks/${endpoint.id}`, (body) => body.enabled === false, 15_000);
    expectMatchesOpenApi('get', '/v1/webhooks/{id}', 200, disabled);
    expect(disabled.disabled.reason).toMatch(/every attempt failed since .* \(\d+ in a row\); the last: answered HTTP 500/);
    expect(disabled.failing.consecutiveFailures).toBeGreaterThanOrEqual(5);
    const attemptsWhileOff = requestsTo(endpoint).length;
    const refused = await api(service, 'POST', `/v1/webhooks/${endpoint.id}/test`);
    expect(refused.status).toBe(409);
    expect(refused.json.type).toBe(`${PROBLEM}webhook-disabled`);
    await sleep(600);
    expect(requestsTo(endpoint)).toHaveLength(attemptsWhileOff);

    // Back on: the delivery left pending resumes at once and goes through.
    receiver.answer = () => 200;
    const enabled = await api(service, 'POST', `/v1/webhooks/${endpoint.id}/enable`);
    expectMatchesOpenApi('post', '/v1/webhooks/{id}/enable', 200, enabled.json);
    expect(enabled.json).toMatchObject({ enabled: true, disabled: null, failing: null });
    await receiver.waitFor('the delivery after turning it on', () => requestsTo(endpoint).find((request) => request.status === 200));
  });

  /** GETs `path` until `done` holds for its body. */
  async function pollApi(path: string, done: (body: any) => boolean, timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const body = (await api(service, 'GET', path)).json;
      if (done(body)) return body;
      if (Date.now() > deadline) throw new Error(`timed out waiting on ${path}: ${JSON.stringify(body)}`);
      await sleep(100);
    }
  }
});

function randomHex(): string {
  return randomBytes(32).toString('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
