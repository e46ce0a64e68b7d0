// Requests an attacker (or a careless client) sends: each gets a 4xx problem+json, never a 500, and
// the service keeps answering. One real service process, as a user runs it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
