// The operator's view: metrics move with a notarization round, rate limits answer 429, docs render.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('operations', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await startServiceProcess({ env: { RATE_LIMIT: '5', PUBLIC_RATE_LIMIT: '30' } });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('limits public receipt checks per client address, whatever X-Forwarded-For claims (no proxy trusted)', async () => {
    // PUBLIC_RATE_LIMIT is 30 per second per client here; these 40 come from one address.
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${service.url}/v1/receipts/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
          body: JSON.stringify({ receipt: { version: 'not a receipt' } }),
        }).then(async (response) => {
          const body = (await response.json()) as { type?: string };
          return response.status === 429 ? body.type : response.status;
        }),
      ),
    );
    expect(statuses.filter((status) => status === 'urn:did-notary:problem:rate-limited').length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((status) => typeof status === 'number' && status >= 500)).toEqual([]);
    // A later second has room again.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = await fetch(`${service.url}/v1/receipts/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"receipt":{}}' });
    expect(again.status).not.toBe(429);
  });

  it('exposes Prometheus metrics that move after a notarization round', async () => {
    const before = await (await fetch(`${service.url}/metrics`)).text();
    expect(before).toContain('# TYPE did_notary_documents_submitted_total counter');
    const hashes = Array.from({ length: 3 }, (_, i) => String(i + 1).repeat(64));
    expect((await api(service, 'POST', '/v1/documents', { hashes })).status).toBe(202);
    const anchored = await api(service, 'POST', '/v1/batches/anchor');
    const receipt = await api(service, 'GET', `/v1/receipts/${hashes[0]}`);
    await api(service, 'POST', '/v1/receipts/verify', { receipt: receipt.json });
    const after = await (await fetch(`${service.url}/metrics`)).text();
    expect(metricValue(after, 'did_notary_documents_submitted_total', '{fresh="true"}')).toBe(3);
    expect(metricValue(after, 'did_notary_batches_anchored_total')).toBe(1);
    expect(metricValue(after, 'did_notary_batch_size_documents_sum')).toBe(3);
    expect(metricValue(after, 'did_notary_gas_used_total')).toBe(anchored.json.batch.anchor.gasUsed);
    expect(metricValue(after, 'did_notary_seal_duration_seconds_count')).toBe(1);
    expect(metricValue(after, 'did_notary_submission_to_anchor_seconds_count')).toBe(1);
    expect(metricValue(after, 'did_notary_fees_paid_wei_total')).toBeGreaterThan(0);
    expect(metricValue(after, 'did_notary_verifications_total', '{kind="receipt",outcome="valid"}')).toBe(1);
    expect(metricValue(after, 'did_notary_signer_balance_wei')).toBeGreaterThan(0);
    expect(metricValue(after, 'did_notary_pending_documents')).toBe(0);
    expect(after).toMatch(/did_notary_http_request_duration_seconds_count\{method="GET",route="\/v1\/receipts\/:id",status="200"\} 1/);
  });

  it('rate-limits each API key with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // a full bucket, whatever ran before
    for (let i = 0; i < 12; i++) {
      const response = await api(service, 'POST', '/v1/documents', { hash: (i + 10).toString(16).padStart(64, 'a') });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(response.json.type).toBe('urn:did-notary:problem:rate-limited');
      }
    }
    expect(statuses).toContain(202);
    expect(statuses).toContain(429);
    // The burst is RATE_LIMIT requests: each JSON submission is counted once, although it passes the
    // multipart route's key check before the JSON route's.
    expect(statuses.indexOf(429)).toBeGreaterThanOrEqual(5);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('lets pages on other origins read public endpoints, but not write ones', async () => {
    const preflight = await fetch(`${service.url}/v1/receipts/verify`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    const info = await fetch(`${service.url}/v1/info`, { headers: { origin: 'https://elsewhere.example' } });
    expect(info.headers.get('access-control-allow-origin')).toBe('*');
    const write = await fetch(`${service.url}/v1/documents`, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example' } });
    expect(write.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('counts credential verification outcomes by code', async () => {
    await api(service, 'POST', '/v1/credentials/verify', { jwt: 'not.a.jwt' });
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/did_notary_verifications_total\{kind="credential",outcome="malformed-jwt"\} 1/);
  });

  it('serves the API reference and the contract from its own origin', async () => {
    const docs = await fetch(`${service.url}/docs`);
    expect(docs.status).toBe(200);
    const html = await docs.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${service.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
    const spec = await fetch(`${service.url}/openapi.yaml`);
    expect(spec.headers.get('content-type')).toContain('yaml');
    expect(await spec.text()).toContain('openapi: 3.1.0');
  });
});

describe('a signer running out of funds', () => {
  it('reports degraded health and logs a warning', async () => {
    const service = await startServiceProcess({ env: { LOW_BALANCE_ETH: '1000000' } });
    try {
      const health = await api(service, 'GET', '/health');
      expect(health.status).toBe(200);
      expect(health.json.status).toBe('degraded');
      expect(health.json.checks.signerBalance.ok).toBe(false);
      expect(service.output()).toContain('signer balance is low');
    } finally {
      await service.stop();
    }
  });
});
