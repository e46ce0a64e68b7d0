// Notarization end to end: submit, anchor, then verify every receipt with the CLI against the chain
// alone, with the service stopped. Runs on the embedded store and on PostgreSQL.
import { execFile } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { expectMatchesOpenApi } from '../helpers/openapi-contract';
import { storeSettings, TEST_DATABASE_URL } from '../helpers/postgres';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const stores = [
  { name: 'embedded store', postgres: false },
  { name: 'PostgreSQL store', postgres: true },
];

describe.each(stores)('notarization end to end on the $name', ({ postgres }) => {
  const skip = postgres && !TEST_DATABASE_URL;
  let service: ServiceProcess;
  let dropDatabase: (() => Promise<void>) | undefined;
  let anvil: EmbeddedAnvil | undefined;
  const workDir = makeTempDir('did-notary-docs-');
  const hashedFiles: string[] = [];
  const uploadedFiles: string[] = [];
  let rpcUrl = '';

  beforeAll(async () => {
    if (skip) return;
    const store = await storeSettings(postgres);
    dropDatabase = store.drop;
    service = await startServiceProcess({ env: store.env });
    for (let i = 0; i < 1000; i++) {
      const file = path.join(workDir, `doc-${i}.bin`);
      fs.writeFileSync(file, randomBytes(32 + (i % 50)));
      hashedFiles.push(file);
    }
    for (const name of ['contract.pdf', 'photo.jpg', 'notes.txt']) {
      const file = path.join(workDir, name);
      fs.writeFileSync(file, randomBytes(10_000));
      uploadedFiles.push(file);
    }
  });

  afterAll(async () => {
    await service?.stop();
    await anvil?.stop();
    await dropDatabase?.();
  });

  it.skipIf(skip)('acknowledges 1,000 hashes in one request and 3 files as multipart, then anchors them', async () => {
    const hashes = hashedFiles.map((f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex'));
    const submitted = await api(service, 'POST', '/v1/documents', { hashes });
    expect(submitted.status).toBe(202);
    expectMatchesOpenApi('post', '/v1/documents', 202, submitted.json);
    expect(submitted.json.receipts).toHaveLength(1000);
    expect(submitted.json.receipts.every((r: { status: string }) => r.status === 'pending')).toBe(true);

    const form = new FormData();
    for (const file of uploadedFiles) form.append('file', new Blob([fs.readFileSync(file)]), path.basename(file));
    form.append('label', 'three uploads');
    const uploaded = await fetch(`${service.url}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.adminKey}` },
      body: form,
    });
    expect(uploaded.status).toBe(202);
    const uploadedReceipts = ((await uploaded.json()) as { receipts: Array<{ document: { multihash: string } }> }).receipts;
    expect(uploadedReceipts.map((r) => r.document.multihash)).toEqual(
      uploadedFiles.map((f) => `1220${createHash('sha256').update(fs.readFileSync(f)).digest('hex')}`),
    );

    const anchored = await api(service, 'POST', '/v1/batches/anchor');
    expect(anchored.status).toBe(200);
    expectMatchesOpenApi('post', '/v1/batches/anchor', 200, anchored.json);
    // 1,003 documents and the log commitment leaf (docs/transparency-log.md).
    expect(anchored.json.batch).toMatchObject({ status: 'anchored', treeSize: 1004, documentCount: 1003 });
    const batch = await api(service, 'GET', `/v1/batches/${anchored.json.batch.id}`);
    expect(batch.json).toEqual(anchored.json.batch);

    // Resubmitting is idempotent: the existing, now anchored receipt comes back.
    const again = await api(service, 'POST', '/v1/documents', { hash: hashes[7] });
    expect(again.status).toBe(202);
    expect(again.json.receipts[0]).toMatchObject({ status: 'anchored', proof: { leafIndex: 7 } });
    expectMatchesOpenApi('post', '/v1/documents', 202, again.json);
    // `{"hash": …}` alone is answered outside Express (submission-fast-path.ts); the same document
    // as a one-element `hashes` list goes through Express and its validator. Same bytes, same headers.
    const submit = (body: unknown) =>
      fetch(`${service.url}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${service.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const [fastSubmit, expressSubmit] = [await submit({ hash: hashes[9] }), await submit({ hashes: [hashes[9]] })];
    expect(fastSubmit.status).toBe(202);
    expect(expressSubmit.status).toBe(202);
    expect(await fastSubmit.text()).toBe(await expressSubmit.text());
    for (const header of ['content-type', 'content-length', 'etag', 'access-control-allow-origin']) {
      expect(fastSubmit.headers.get(header), header).toBe(expressSubmit.headers.get(header));
    }
    // A refused key gets the same problem from either lane: one guard, one response writer.
    const refused = (body: unknown) =>
      fetch(`${service.url}/v1/documents`, {
        method: 'POST',
        headers: { authorization: 'Bearer dnk_not_a_key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const [fastRefused, expressRefused] = [await refused({ hash: hashes[9] }), await refused({ hashes: [hashes[9]] })];
    expect(fastRefused.status).toBe(401);
    expect(expressRefused.status).toBe(401);
    expect(await fastRefused.text()).toBe(await expressRefused.text());
    for (const header of ['content-type', 'content-length', 'etag', 'www-authenticate', 'access-control-allow-origin']) {
      expect(fastRefused.headers.get(header), header).toBe(expressRefused.headers.get(header));
    }
    // What the fast path hands over still reaches Express whole: a label, a malformed body.
    const labelled = await submit({ hash: 'fe'.repeat(32), label: 'handed over' });
    expect(labelled.status).toBe(202);
    const malformed = await api(service, 'POST', '/v1/documents', '{"hash": "ab');
    expect(malformed.status).toBe(400);
    expect(malformed.json.type).toBe('urn:did-notary:problem:invalid-json');

    for (const file of [...hashedFiles, ...uploadedFiles]) {
      const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      const receipt = await api(service, 'GET', `/v1/receipts/${digest}`);
      expect(receipt.status).toBe(200);
      expect(receipt.json.status).toBe('anchored');
      fs.writeFileSync(`${file}.receipt.json`, JSON.stringify(receipt.json));
    }
    expectMatchesOpenApi('get', '/v1/receipts/{id}', 200, JSON.parse(fs.readFileSync(`${uploadedFiles[0]}.receipt.json`, 'utf8')));

    // A plain read is answered outside Express (receipt-fast-path.ts); `?format=json` goes through
    // Express and its validator. Same bytes, same headers.
    const digest = createHash('sha256').update(fs.readFileSync(uploadedFiles[0]!)).digest('hex');
    const [fast, viaExpress] = await Promise.all([fetch(`${service.url}/v1/receipts/${digest}`), fetch(`${service.url}/v1/receipts/${digest}?format=json`)]);
    expect(fast.status).toBe(200);
    expect(viaExpress.status).toBe(200);
    expect(await fast.text()).toBe(await viaExpress.text());
    for (const header of ['content-type', 'content-length', 'etag', 'access-control-allow-origin']) {
      expect(fast.headers.get(header), header).toBe(viaExpress.headers.get(header));
    }
    // Conditional reads stay Express's (fetch would add `cache-control: no-cache`, so plain http).
    const revalidated = await new Promise<number>((resolve, reject) =>
      http.get(`${service.url}/v1/receipts/${digest}`, { headers: { 'if-none-match': fast.headers.get('etag')! } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      }).on('error', reject),
    );
    expect(revalidated).toBe(304);

    const unknown = await api(service, 'GET', `/v1/receipts/${'ee'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.type).toBe('urn:did-notary:problem:document-not-found');
    // The fast path's "unknown document" and Express's are the same problem (but for `instance`).
    const [fastMissing, expressMissing] = await Promise.all(
      ['', '?format=json'].map((query) => fetch(`${service.url}/v1/receipts/${'ee'.repeat(32)}${query}`)),
    );
    const [fastProblem, expressProblem] = [await fastMissing!.json(), await expressMissing!.json()];
    expect(fastProblem.instance).toBe(`/v1/receipts/${'ee'.repeat(32)}`);
    expect({ ...fastProblem, instance: undefined }).toEqual({ ...expressProblem, instance: undefined });
    for (const header of ['content-type', 'access-control-allow-origin']) {
      expect(fastMissing!.headers.get(header), header).toBe(expressMissing!.headers.get(header));
    }
    expect(fastMissing!.status).toBe(expressMissing!.status);
    rpcUrl = (await api(service, 'GET', '/v1/info')).json.rpcUrl;
  });

  it.skipIf(skip)('verifies every receipt with `did-notary verify` against the chain alone, service stopped', async () => {
    expect(await service.stop()).toBe(0);
    // Only the chain is left: the embedded Anvil restarted on the service's saved state.
    anvil = await startEmbeddedAnvil({ dataDir: service.dataDir });
    rpcUrl = anvil.rpcUrl;
    const all = [...hashedFiles, ...uploadedFiles];
    const result = await cli(['verify', all[0]!, '--rpc', rpcUrl, '--also', ...all.slice(1)]);
    expect(result.stderr + result.stdout).toContain('1003 valid, 0 invalid');
    expect(result.code).toBe(0);

    const single = await cli(['verify', uploadedFiles[0]!, `${uploadedFiles[0]}.receipt.json`, '--rpc', rpcUrl]);
    expect(single.code).toBe(0);
    expect(single.stdout).toMatch(/^VALID: /);
  });

  const flipBit = (hex: string, bit = 0): string => {
    const prefix = hex.startsWith('0x') ? '0x' : '';
    const body = hex.slice(prefix.length);
    const nibble = (parseInt(body[body.length - 1]!, 16) ^ (1 << bit)).toString(16);
    return prefix + body.slice(0, -1) + nibble;
  };
  const tamperings: Array<[string, (r: any) => void, string]> = [
    ['a bit of the audit path', (r) => (r.proof.auditPath[3] = flipBit(r.proof.auditPath[3])), 'bad-proof'],
    ['a bit of the root', (r) => (r.batch.root = flipBit(r.batch.root)), 'bad-proof'],
    ['the leaf index', (r) => (r.proof.leafIndex ^= 1), 'bad-proof'],
    ['a bit of the transaction hash', (r) => (r.anchor.transactionHash = flipBit(r.anchor.transactionHash)), 'anchor-mismatch'],
    ['a bit of the contract address', (r) => (r.anchor.contract = flipBit(r.anchor.contract)), 'wrong-contract'],
    ['the block number', (r) => (r.anchor.blockNumber += 1), 'anchor-mismatch'],
  ];
  it.skipIf(skip).each(tamperings)('a receipt with %s fails with its reason', async (_what, tamper, reason) => {
    const file = hashedFiles[10]!;
    const receipt = JSON.parse(fs.readFileSync(`${file}.receipt.json`, 'utf8'));
    tamper(receipt);
    const tampered = path.join(workDir, `tampered-${reason}-${Math.random()}.json`);
    fs.writeFileSync(tampered, JSON.stringify(receipt));
    const result = await cli(['verify', file, tampered, '--rpc', rpcUrl, '--json']);
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, reason });
  });

  it.skipIf(skip)('a different file fails as wrong-document; usage errors exit 2', async () => {
    const other = path.join(workDir, 'other.bin');
    fs.writeFileSync(other, 'not the notarized bytes');
    const wrong = await cli(['verify', other, `${hashedFiles[0]}.receipt.json`, '--rpc', rpcUrl]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('INVALID (wrong-document)');
    const noRpc = await cli(['verify', hashedFiles[0]!]);
    expect(noRpc.code).toBe(2);
    const missing = await cli(['verify', path.join(workDir, 'nope.bin'), '--rpc', rpcUrl]);
    expect(missing.code).toBe(2);
  });
});
