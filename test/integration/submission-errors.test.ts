// Bad submissions: each gets a 4xx problem naming the offending item, and nothing is half-stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const GOOD = 'a1'.repeat(32);
const GOOD2 = 'b2'.repeat(32);

describe('bad submissions', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await startServiceProcess({ env: { MAX_FILE_SIZE: '1k', MAX_HASHES_PER_REQUEST: '50' } });
  });
  afterAll(async () => {
    await service?.stop();
  });

  const expectNothingStored = async () => {
    for (const hash of [GOOD, GOOD2]) expect((await api(service, 'GET', `/v1/receipts/${hash}`)).status).toBe(404);
  };

  it.each([
    ['a malformed hash', [GOOD, 'not-a-hash!', GOOD2], 400, 'invalid-document-id', 1],
    ['a hex digest of the wrong length', [GOOD, GOOD2, 'ab'.repeat(31)], 400, 'invalid-document-id', 2],
    ['an unknown multihash code', ['9920' + 'cd'.repeat(32), GOOD], 400, 'invalid-document-id', 0],
    ['a multihash whose digest length disagrees', [GOOD, '1219' + 'cd'.repeat(25)], 400, 'invalid-document-id', 1],
    ['the same document twice', [GOOD, GOOD2, `1220${GOOD}`], 400, 'duplicate-documents', 2],
  ] as const)('%s → %i %s naming the item', async (_what, hashes, status, kind, index) => {
    const response = await api(service, 'POST', '/v1/documents', { hashes });
    expect(response.status).toBe(status);
    expect(response.json.type).toBe(`urn:did-notary:problem:${kind}`);
    expect(response.json.index).toBe(index);
    expect(response.json.detail).toContain(`hashes[${index}]`);
    await expectNothingStored();
  });

  it('rejects an empty list and an over-limit list', async () => {
    const empty = await api(service, 'POST', '/v1/documents', { hashes: [] });
    expect(empty.status).toBe(400);
    expect(empty.json.type).toBe('urn:did-notary:problem:validation-failed');
    const tooMany = await api(service, 'POST', '/v1/documents', {
      hashes: [GOOD, ...Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(64, '0'))],
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.json).toMatchObject({ type: 'urn:did-notary:problem:too-many-documents', limit: 50, count: 51 });
    await expectNothingStored();
  });

  it('rejects an over-limit file in a multipart upload and stores none of its siblings', async () => {
    const form = new FormData();
    form.append('file', new Blob(['small and fine']), 'ok.txt');
    form.append('file', new Blob([new Uint8Array(2048)]), 'big.bin');
    const response = await fetch(`${service.url}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.adminKey}` },
      body: form,
    });
    expect(response.status).toBe(413);
    const problem = (await response.json()) as { type: string; detail: string; index: number };
    expect(problem.type).toBe('urn:did-notary:problem:payload-too-large');
    expect(problem.index).toBe(1);
    expect(problem.detail).toContain('big.bin');
    const okDigest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('small and fine'));
    const okHex = Buffer.from(okDigest).toString('hex');
    expect((await api(service, 'GET', `/v1/receipts/${okHex}`)).status).toBe(404);
  });

  it('rejects duplicate files and a multipart body without files', async () => {
    const form = new FormData();
    form.append('file', new Blob(['same']), 'a.txt');
    form.append('file', new Blob(['same']), 'b.txt');
    const duplicate = await fetch(`${service.url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${service.adminKey}` }, body: form });
    expect(duplicate.status).toBe(400);
    expect(((await duplicate.json()) as { type: string }).type).toBe('urn:did-notary:problem:duplicate-documents');
    const noFiles = new FormData();
    noFiles.append('label', 'nothing attached');
    const empty = await fetch(`${service.url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${service.adminKey}` }, body: noFiles });
    expect(empty.status).toBe(400);
  });

  it('answers a malformed receipt id with 400 and an unknown one with 404', async () => {
    const bad = await api(service, 'GET', '/v1/receipts/xyz');
    expect(bad.status).toBe(400);
    expect(bad.json.type).toBe('urn:did-notary:problem:invalid-document-id');
    const unknown = await api(service, 'GET', `/v1/receipts/${'0f'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    const notAReceipt = await api(service, 'POST', '/v1/receipts/verify', { receipt: { version: 'x' } });
    expect(notAReceipt.status).toBe(400);
    expect(notAReceipt.json.type).toBe('urn:did-notary:problem:invalid-receipt');
  });
});
