// Bulk receipts: a 100,000-document batch exported as NDJSON (HTTP and `did-notary receipts
// export`), only the caller's tenant's documents, in leaf order, resumable, and every line verified
// with the library against the chain alone; the export checked by `did-notary verify --also`; and
// the tenant's documents listed with GET /v1/documents.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedAnchorLookup, createAnchorLookup, verifyReceiptOnChain } from '../../src/platform/chain/receipt-verification';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
const DOCUMENTS = 100_000;

describe('bulk receipt export', () => {
  let service: ServiceProcess;
  let acmeKey: string;
  let batchId: string;
  const acmeHashes: string[] = [];
  const workDir = makeTempDir('did-notary-export-');
  /** acme's files among its hashes (the rest are bare digests), for `verify --also`. */
  const files = ['invoice-1.pdf', 'invoice-2.pdf', 'contract.txt'].map((name) => {
    const file = path.join(workDir, name);
    fs.writeFileSync(file, `${name}: ${randomBytes(16).toString('hex')}\n`);
    return file;
  });
  const exportFile = path.join(workDir, 'receipts.ndjson');
  beforeAll(async () => {
    service = await startServiceProcess({ env: { RATE_LIMIT: '0', MAX_HASHES_PER_REQUEST: '10000' } });
    acmeKey = (await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['notarize'] })).json.secret;
    for (let start = 0; start < DOCUMENTS; start += 10_000) {
      const hashes = Array.from({ length: 10_000 }, () => randomBytes(32).toString('hex'));
      if (start === 0) files.forEach((file, i) => (hashes[i * 1000] = createHash('sha256').update(fs.readFileSync(file)).digest('hex')));
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
    fs.writeFileSync(exportFile, stdout);
  }, 180_000);

  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('`did-notary verify --also` checks files against the export by their hash, and every receipt of it alone', async () => {
    expect(fs.existsSync(exportFile)).toBe(true);
    const rpc = (await api(service, 'GET', '/v1/info')).json.rpcUrl as string;
    const stranger = path.join(workDir, 'not-notarized.txt');
    fs.writeFileSync(stranger, 'never submitted\n');
    const matched = await cli(['verify', '--also', files[1]!, exportFile, files[0]!, files[2]!, '--rpc', rpc]);
    expect(matched.code, matched.stderr).toBe(0);
    expect(matched.stderr).toContain(`3 valid, 0 invalid documents; ${acmeHashes.length - 3} receipts of the export matched none of the files given (not checked)`);
    const json = await cli(['verify', files[0]!, exportFile, '--also', stranger, '--rpc', rpc, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ file: files[0], valid: true, leafIndex: 0, root: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      { file: stranger, valid: false, reason: 'no-receipt', message: expect.stringContaining(`its hash is in none of ${exportFile}`) },
    ]);

    // Every line, without the documents: one anchoring read for the batch's root, progress, a summary.
    const all = await cli(['verify', '--also', exportFile, '--rpc', rpc]);
    expect(all.code, all.stderr.slice(-2000)).toBe(0);
    expect(all.stderr).toContain(`verifying ${acmeHashes.length}/${acmeHashes.length} (100%`);
    expect(all.stderr).toContain(`${acmeHashes.length} valid, 0 invalid receipts, checked without their documents`);

    // A damaged export: a flipped bit in one audit path, a line that is not JSON.
    const lines = fs.readFileSync(exportFile, 'utf8').split('\n').slice(0, 20);
    const receipt = JSON.parse(lines[4]!) as { proof: { auditPath: string[] } };
    receipt.proof.auditPath[2] = `${receipt.proof.auditPath[2]!.slice(0, -1)}${receipt.proof.auditPath[2]!.endsWith('0') ? '1' : '0'}`;
    lines[4] = JSON.stringify(receipt);
    lines[9] = '{"version": "did-notary/receipt/1", "status": "anch';
    const damaged = path.join(workDir, 'damaged.jsonl');
    fs.writeFileSync(damaged, `${lines.join('\n')}\n`);
    const checked = await cli(['verify', '--also', damaged, '--rpc', rpc]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`INVALID (bad-proof): ${damaged}:5: the audit path leads to`);
    expect(checked.stdout).toContain(`INVALID (invalid-receipt): ${damaged}:10: the line is not JSON`);
    expect(checked.stderr).toContain('18 valid, 2 invalid receipts');
    expect((await cli(['verify', '--also', path.join(workDir, 'missing.ndjson'), '--rpc', rpc])).code).toBe(2);
    expect((await cli(['verify', '--rpc', rpc])).code).toBe(2);
  }, 120_000);

  describe('GET /v1/documents', () => {
    const list = async (query: string, key = acmeKey) => {
      const response = await fetch(`${service.url}/v1/documents${query}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
    };

    it('pages through the tenant\'s documents with their status and batch, and finds later ones by time and status', async () => {
      const seen: string[] = [];
      let after = '';
      for (let page = 0; ; page++) {
        const { status, body } = await list(`?limit=1000${after}`);
        expect(status).toBe(200);
        for (const document of body.documents) {
          expect(document).toMatchObject({ status: 'anchored', batch: batchId });
          seen.push(document.multihash.slice(4));
        }
        after = `&after=${body.next}`;
        if (!body.hasMore) break;
        expect(page).toBeLessThan(100);
      }
      expect(seen).toEqual(acmeHashes);
      // The admin's tenant sees only its own ten thousand.
      expect((await list('?limit=1000', service.adminKey)).body.documents).toHaveLength(1000);

      const before = new Date().toISOString();
      const later = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
      expect((await api(service, 'POST', '/v1/documents', { hashes: later, externalRef: 'order-7' }, { authorization: `Bearer ${acmeKey}` })).status).toBe(202);
      // The anchored 100,000 cost the pending listing nothing to skip: one page.
      const pending = await list('?status=pending');
      expect(pending.body).toMatchObject({ hasMore: false });
      expect(pending.body.documents).toEqual(later.map((hash) => expect.objectContaining({ multihash: `1220${hash}`, status: 'pending', batch: null, externalRef: 'order-7' })));
      expect((await list(`?since=${encodeURIComponent(before)}`)).body.documents.map((d: { multihash: string }) => d.multihash.slice(4))).toEqual(later);
      expect((await list(`?until=${encodeURIComponent(before)}&status=pending`)).body.documents).toEqual([]);
      // The last page's cursor picks up only what comes after it.
      expect((await list(`?after=${pending.body.next}`)).body).toMatchObject({ documents: [], hasMore: false });
    }, 60_000);

    it('answers bad requests with problems', async () => {
      const cases: Array<[string, number, string]> = [
        ['?after=bm90LWEtY3Vyc29y', 400, 'invalid-cursor'],
        ['?after=%2B%2B', 400, 'validation-failed'],
        ['?limit=0', 400, 'validation-failed'],
        ['?limit=1001', 400, 'validation-failed'],
        ['?status=sealed', 400, 'validation-failed'],
        ['?since=yesterday', 400, 'validation-failed'],
        ['?since=2026-02-30T00:00:00Z', 400, 'validation-failed'],
        ['?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 400, 'validation-failed'],
        ['?cursor=x', 400, 'validation-failed'],
      ];
      for (const [query, status, kind] of cases) {
        const response = await list(query);
        expect([query, response.status, response.type, response.body.type]).toEqual([query, status, 'application/problem+json; charset=utf-8', `urn:did-notary:problem:${kind}`]);
      }
      const anonymous = await fetch(`${service.url}/v1/documents`);
      expect(anonymous.status).toBe(401);
    });
  });
});
