// The foundation end to end: the real service process on the embedded chain and database.
import fs from 'node:fs';
import path from 'node:path';
import { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { expectMatchesOpenApi } from '../helpers/openapi-contract';

const PROBLEM = 'urn:did-notary:problem:';

describe('the service on its embedded defaults', () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await startServiceProcess({ env: { VALIDATE_RESPONSES: 'true' } });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('answers /health once chain, contracts and store are ready', async () => {
    const health = await api(service, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    expect(health.json.checks).toMatchObject({ store: { ok: true }, chain: { ok: true }, signerBalance: { ok: true } });
  });

  it('describes itself in /v1/info with contracts that exist on the chain', async () => {
    const info = await api(service, 'GET', '/v1/info');
    expect(info.status).toBe(200);
    expectMatchesOpenApi('get', '/v1/info', 200, info.json);
    expect(info.json.chain).toBe('eip155:31337');
    expect(info.json.did).toBe(`did:ethr:0x7a69:${info.json.signer}`);
    const provider = new JsonRpcProvider(info.json.rpcUrl, 31337, { staticNetwork: true });
    try {
      expect(await provider.getCode(info.json.contracts.anchor)).not.toBe('0x');
      expect(await provider.getCode(info.json.contracts.didRegistry)).not.toBe('0x');
    } finally {
      provider.destroy();
    }
  });

  it('keeps the admin key file private and never logs secrets', () => {
    const file = path.join(service.dataDir, 'admin-api-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(service.dataDir, 'signer-key')).mode & 0o777).toBe(0o600);
    const signerKey = fs.readFileSync(path.join(service.dataDir, 'signer-key'), 'utf8').trim();
    expect(service.output()).not.toContain(signerKey.slice(2));
    // The admin key is printed exactly once, on first start.
    expect(service.output().split(service.adminKey).length - 1).toBe(1);
  });

  const oversized = JSON.stringify({ hashes: Array.from({ length: 80_000 }, (_, i) => i.toString(16).padStart(64, '0')) });
  it.each([
    ['malformed JSON', 'POST', '/v1/documents', '{"hash": ', { 'content-type': 'application/json' }, 400, 'invalid-json'],
    ['wrong content type', 'POST', '/v1/documents', 'hash=abc', { 'content-type': 'text/plain' }, 415, 'unsupported-media-type'],
    ['oversized body', 'POST', '/v1/documents', oversized, { 'content-type': 'application/json' }, 413, 'payload-too-large'],
    ['bad API key', 'POST', '/v1/documents', '{"hash":"00"}', { 'content-type': 'application/json', authorization: 'Bearer dnk_wrong' }, 401, 'unauthorized'],
    ['missing API key', 'POST', '/v1/batches/anchor', undefined, { authorization: '' }, 401, 'unauthorized'],
    ['unknown route', 'GET', '/v1/nothing-here', undefined, {}, 404, 'not-found'],
    ['wrong method', 'DELETE', '/v1/info', undefined, {}, 405, 'method-not-allowed'],
    ['schema violation', 'POST', '/v1/documents', '{"hashes": "not-a-list"}', { 'content-type': 'application/json' }, 400, 'validation-failed'],
    ['unknown field', 'POST', '/v1/documents', '{"hash": "ab", "extra": 1}', { 'content-type': 'application/json' }, 400, 'validation-failed'],
  ] as const)('%s → %i %s', async (_name, method, pathname, body, headers, status, kind) => {
    const response = await api(service, method, pathname, body, { ...headers });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.json).toMatchObject({ type: PROBLEM + kind, status, title: expect.any(String), detail: expect.any(String) });
    expectMatchesOpenApi('any', '', status, response.json, 'Problem');
  });

  it('refuses a key without the needed scope with 403', async () => {
    const created = await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['notarize'] });
    expect(created.status).toBe(201);
    const asAcme = { url: service.url, adminKey: created.json.secret as string };
    const anchor = await api(asAcme, 'POST', '/v1/batches/anchor');
    expect(anchor.status).toBe(403);
    expect(anchor.json.type).toBe(`${PROBLEM}forbidden`);
    const revoked = await api(service, 'DELETE', `/v1/keys/${created.json.id}`);
    expect(revoked.status).toBe(204);
    const afterRevoke = await api(asAcme, 'POST', '/v1/documents', { hash: 'ab'.repeat(32) });
    expect(afterRevoke.status).toBe(401);
  });
});

describe('restarting on the same data directory', () => {
  it('reuses the chain, the contracts, the key and the admin key; nothing is left running', async () => {
    const first = await startServiceProcess();
    let second: ServiceProcess | undefined;
    try {
      const info1 = (await api(first, 'GET', '/v1/info')).json;
      const submitted = await api(first, 'POST', '/v1/documents', { hash: 'cd'.repeat(32) });
      expect(submitted.status).toBe(202);
      const anchored = await api(first, 'POST', '/v1/batches/anchor');
      expect(anchored.json.batch.status).toBe('anchored');
      const anvilPid = Number(fs.readFileSync(path.join(first.dataDir, 'chain', 'anvil.pid'), 'utf8'));
      expect(await first.stop()).toBe(0);
      expect(isAlive(anvilPid)).toBe(false);

      second = await startServiceProcess({ dataDir: first.dataDir });
      const info2 = (await api(second, 'GET', '/v1/info')).json;
      expect(info2.did).toBe(info1.did);
      expect(info2.contracts).toEqual(info1.contracts);
      expect(second.adminKey).toBe(first.adminKey);
      expect(second.output()).not.toContain(second.adminKey);
      const receipt = await api(second, 'GET', `/v1/receipts/${'cd'.repeat(32)}`);
      expect(receipt.json.status).toBe('anchored');
      const verified = await api(second, 'POST', '/v1/receipts/verify', { receipt: receipt.json });
      expect(verified.json).toMatchObject({ valid: true });
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('refuses a second service on a data directory in use', async () => {
    const first = await startServiceProcess();
    try {
      await expect(startServiceProcess({ dataDir: first.dataDir, timeoutMs: 20_000 })).rejects.toThrow(/in use by process/);
      expect((await api(first, 'GET', '/health')).status).toBe(200);
    } finally {
      await first.stop();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
