// Bulk receipts: a 100,000-document batch exported as NDJSON (HTTP and `did-notary receipts
// export`), only the caller's tenant's documents, in leaf order, resumable, and every line verified
// with the library against the chain alone.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedAnchorLookup, createAnchorLookup, verifyReceiptOnChain } from '../../src/platform/chain/receipt-verification';
import { api, CLI, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
const DOCUMENTS = 100_000;

describe('bulk receipt export', () => {
  let service: ServiceProcess;
  let acmeKey: string;
  let batchId: string;
  const acmeHashes: string[] = [];
  beforeAll(async () => {
    service = await startServiceProcess({ env: { RATE_LIMIT: '0', MAX_HASHES_PER_REQUEST: '10000' } });
    acmeKey = (await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['notarize'] })).json.secret;
    for (let start = 0; start < DOCUMENTS; start += 10_000) {
      const hashes = Array.from({ length: 10_000 }, () => randomBytes(32).toString('hex'));
      // Every tenth request is another tenant's: those receipts are not acme's to export.
      const other = start / 10_000 === 3;
      const response = await api(service, 'POST', '/v1/documents', { hashes }, other ? {} : { authorization: `Bearer ${acmeKey}` });
      expect(response.status).toBe(202);
      if (!other) acmeHashes.push(...hashes);
    }
    // The full batch seals itself (BATCH_MAX_SIZE is 100,000); this anchors whatever still waits.
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const [batch] = (await api(service, 'GET', '/v1/batches')).json.batches as Array<{ id: string; treeSize: number; documentCount: number; status: string }>;
    expect(batch).toMatchObject({ treeSize: DOCUMENTS + 1, documentCount: DOCUMENTS, status: 'anchored' });
    batchId = batch!.id;
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
  });

  /**
   * The export's lines, on a connection of its own: a 180 MB answer takes the client longer to read
   * than the server's 5 s keep-alive, and a next request on that connection could meet its close.
   */
  const exportLines = (query = '', key = acmeKey) =>
    new Promise<string[]>((resolve, reject) => {
      http
        .get(`${service.url}/v1/batches/${batchId}/receipts${query}`, { agent: false, headers: { authorization: `Bearer ${key}` } }, (response) => {
          try {
            expect(response.statusCode).toBe(200);
            expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
          } catch (error) {
            reject(error as Error);
            response.resume();
            return;
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line !== '')));
          response.on('error', reject);
        })
        .on('error', reject);
    });

  it('streams the tenant\'s receipts in leaf order, each verified against the chain alone', async () => {
    const lines = await exportLines();
    expect(lines).toHaveLength(acmeHashes.length);
    const receipts = lines.map((line) => JSON.parse(line) as { document: { multihash: string }; proof: { leafIndex: number }; status: string });
    const leaves = receipts.map((receipt) => receipt.proof.leafIndex);
    expect(leaves).toEqual([...leaves].sort((a, b) => a - b));
    expect(new Set(receipts.map((receipt) => receipt.document.multihash.slice(4)))).toEqual(new Set(acmeHashes));
    // The library, not the service: every receipt against the chain, one anchoring lookup per root.
    const info = (await api(service, 'GET', '/v1/info')).json;
    const provider = new JsonRpcProvider(info.rpcUrl, info.chainId, { staticNetwork: true });
    try {
      const lookupAnchor = cachedAnchorLookup(createAnchorLookup(provider));
      let valid = 0;
      for (const receipt of receipts) {
        const result = await verifyReceiptOnChain(receipt, { provider, chainId: info.chainId, expectedContract: info.contracts.anchor, lookupAnchor });
        if (result.valid) valid += 1;
        else throw new Error(`leaf ${receipt.proof.leafIndex}: ${JSON.stringify(result)}`);
      }
      expect(valid).toBe(acmeHashes.length);
    } finally {
      provider.destroy();
    }
  }, 180_000);

  it('resumes after a leaf, and refuses unknown batches and missing keys with problems', async () => {
    const all = await exportLines();
    const resumeAfter = (JSON.parse(all[999]!) as { proof: { leafIndex: number } }).proof.leafIndex;
    const rest = await exportLines(`?after=${resumeAfter}`);
    expect(rest).toEqual(all.slice(1000));
    const unknown = await fetch(`${service.url}/v1/batches/999999/receipts`, { headers: { authorization: `Bearer ${acmeKey}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'urn:did-notary:problem:batch-not-found' });
    const anonymous = await fetch(`${service.url}/v1/batches/${batchId}/receipts`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  }, 60_000);

  it('exports the same lines with `did-notary receipts export`', async () => {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'receipts', 'export', '--batch', batchId, '--server', service.url, '--api-key', acmeKey], {
      cwd: PROJECT_ROOT,
      maxBuffer: 1024 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(stdout.split('\n').filter((line) => line !== '')).toEqual(await exportLines());
    expect(stderr).toContain(`${acmeHashes.length} receipts of batch ${batchId}`);
  }, 180_000);
});
