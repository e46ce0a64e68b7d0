// Requests an attacker (or a careless client) sends: each gets a 4xx problem+json, never a 500, and
// the service keeps answering. One real service process, as a user runs it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMatchesOpenApiSchema } from '../helpers/openapi-contract';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const PROBLEM = /^application\/problem\+json/;

describe('hostile and malformed requests', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await startServiceProcess();
  });
  afterAll(async () => {
    await service?.stop();
  });

  /** The service still answers, and its process is alive. */
  const expectAlive = async () => {
    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  };

  const expectProblem = (response: { status: number; headers: Headers; json: any }, status: number, kind?: string) => {
    expect(response.status, JSON.stringify(response.json)).toBe(status);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    expect(response.json.type).toMatch(/^urn:did-notary:problem:[a-z-]+$/);
    if (kind) expect(response.json.type).toBe(`urn:did-notary:problem:${kind}`);
  };

  it('survives a multipart file part with no closing boundary, and answers it with 400', async () => {
    const response = await api(
      service,
      'POST',
      '/v1/documents',
      '--XX\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nunterminated',
      { 'content-type': 'multipart/form-data; boundary=XX' },
    );
    expectProblem(response, 400, 'validation-failed');
    await expectAlive();
  });

  it('refuses a multipart label longer than the JSON body allows', async () => {
    const form = new FormData();
    form.append('file', new Blob(['labelled']), 'a.txt');
    form.append('label', 'x'.repeat(201));
    const response = await fetch(`${service.url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${service.adminKey}` }, body: form });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:did-notary:problem:validation-failed');
    expect(problem.detail).toContain('label');
    const accepted = new FormData();
    accepted.append('file', new Blob(['labelled']), 'a.txt');
    accepted.append('label', 'x'.repeat(200));
    expect((await fetch(`${service.url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${service.adminKey}` }, body: accepted })).status).toBe(202);
  });

  it.each([
    ['/v1/batches?after=99999999999999999999'],
    ['/v1/batches?after=1e400'],
    ['/v1/batches?limit=1e400'],
    ['/v1/batches?after=-1'],
    ['/v1/batches?limit=0'],
  ])('answers GET %s with 400', async (pathname) => {
    expectProblem(await api(service, 'GET', pathname), 400, 'validation-failed');
  });

  it.each([
    ['DELETE', '/v1/keys/%00'],
    ['POST', '/v1/credentials/%00/revoke'],
    ['GET', '/v1/receipts/%00'],
    ['GET', '/v1/dids/did%3Aweb%3A%00'],
  ])('answers %s %s (a NUL in the path) with 400', async (method, pathname) => {
    expectProblem(await api(service, method, pathname), 400, 'validation-failed');
  });

  it('answers text the database cannot store (a NUL in a label) with 400', async () => {
    const response = await api(service, 'POST', '/v1/documents', { hash: 'c3'.repeat(32), label: 'a\u0000b' });
    expectProblem(response, 400, 'validation-failed');
    expect((await api(service, 'GET', `/v1/receipts/${'c3'.repeat(32)}`)).status).toBe(404);
  });

  it('answers claims nested 5,000 deep with 400', async () => {
    // Written as text: JSON.stringify itself gives up at this depth.
    const claims = `${'{"nested":'.repeat(5_000)}true${'}'.repeat(5_000)}`;
    const body = `{"subject":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK","type":"Membership","claims":${claims}}`;
    const response = await api(service, 'POST', '/v1/credentials', body, { 'content-type': 'application/json' });
    expectProblem(response, 400, 'validation-failed');
    expect(response.json.detail).toContain('nested deeper');
  });

  it.each([
    ['GET', '/docs/assets/', 404],
    ['GET', '/docs/assets/no-such-file.js', 404],
    ['GET', '/docs/assets/%2e%2e/package.json', 404],
    ['GET', '/docs/assets/%zz', 400],
    ['PATCH', '/docs/assets', 405],
    ['DELETE', '/docs/assets/swagger-ui.css', 405],
    ['POST', '/assets/%zz', 400],
    ['PUT', '/assets/%zz', 400],
  ])('answers %s %s with a %i problem', async (method, pathname, status) => {
    expectProblem(await api(service, method, pathname), status);
  });

  it('still serves the API reference assets', async () => {
    const css = await fetch(`${service.url}/docs/assets/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('answers an over-long URL with a 431 problem', async () => {
    const response = await rawRequest(service.url, `GET /v1/receipts/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(JSON.parse(response.body).type).toBe('urn:did-notary:problem:headers-too-large');
    await expectAlive();
  });

  it('answers a malformed request line with a 400 problem', async () => {
    const response = await rawRequest(service.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(response.statusLine).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(response.body).type).toBe('urn:did-notary:problem:malformed-request');
  });

  it('refuses a body without a Content-Type instead of dropping its fields (the challenge keeps its audience)', async () => {
    const response = await fetch(`${service.url}/v1/presentations/challenges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.adminKey}` },
      body: new TextEncoder().encode(JSON.stringify({ domain: 'verifier.example' })),
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { type: string }).type).toBe('urn:did-notary:problem:unsupported-media-type');
    const withType = await api(service, 'POST', '/v1/presentations/challenges', { domain: 'verifier.example' });
    expect(withType.status).toBe(201);
  });

  it('puts the domain code in "code", and no detail overwrites a member of the problem', async () => {
    // 0x13 (sha2-512) with a 32-byte digest: the details carry the multihash code too.
    const response = await api(service, 'POST', '/v1/documents', { hash: `1320${'ab'.repeat(32)}` });
    expectProblem(response, 400, 'invalid-document-id');
    expect(response.json).toMatchObject({ code: 'INVALID_DOCUMENT_ID', status: 400, title: 'Invalid document identifier', multihashCode: 0x13 });
  });

  it('labels metrics by route pattern only, and exports the process metrics under their standard names', async () => {
    await api(service, 'GET', `/v1/receipts/${'a'.repeat(150)}`);
    await api(service, 'GET', '/no/such/path/42');
    await api(service, 'GET', '/docs/assets/swagger-ui.css');
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));
    for (const route of routes) expect(route, 'a route label').toMatch(/^(unmatched|\/docs\/assets\/\*|\/[a-z0-9/:.{}_-]*)$/i);
    expect([...routes].some((route) => route!.includes('aaaa') || route!.includes('42'))).toBe(false);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/did_notary_process_|did_notary_nodejs_/);
  });

  it('serves a receipt VC that matches the application/vc+jwt schema of openapi.yaml', async () => {
    const digest = 'd4'.repeat(32);
    expect((await api(service, 'POST', '/v1/documents', { hash: digest })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const response = await fetch(`${service.url}/v1/receipts/${digest}?format=vc`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
    expectMatchesOpenApiSchema('#/paths/~1v1~1receipts~1{id}/get/responses/200/content/application~1vc+jwt/schema', await response.text(), 'receipt VC');
  });
});

/** Sends raw bytes and reads the whole answer (the server closes the connection after it). */
function rawRequest(url: string, request: string): Promise<{ statusLine: string; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ statusLine, headers, body });
    });
  });
}
