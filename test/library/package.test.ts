// The installable library as a consumer gets it: `npm pack` (which builds dist/), the tarball's
// contents, then a fresh project that installs it offline and, against a running service, verifies a
// receipt from Node (did-notary with fetch, did-notary/ethers), from an esbuild browser bundle in
// Chromium, type-checks its use with TypeScript's node16 resolution, and calls the API through
// did-notary/client, whose 429 answers are retried after Retry-After.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashDocument } from '../../src/core/ids/document-id';
import { CHROMIUM_ARGS, chromiumExecutable } from '../helpers/browser';
import { writeOfflineProject } from '../helpers/offline-install';
import { api, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What the consumer's Node script does with the installed package, given the service's coordinates. */
const CONSUMER_SCRIPT = `
import { hashDocument, jsonRpcAnchorLookup, verifyReceipt, parseDocumentId, DomainError } from 'did-notary';
import { cachedAnchorLookup, createAnchorLookup, verifyReceiptOnChain } from 'did-notary/ethers';
import { createNotaryClient } from 'did-notary/client';
import { JsonRpcProvider } from 'ethers';

const { url, adminKey, tenantKey, rpcUrl } = JSON.parse(process.argv[2]);
const bytes = new TextEncoder().encode('a contract, signed on ' + new Date().toISOString());
const id = hashDocument(bytes);
const admin = createNotaryClient({ baseUrl: url, apiKey: adminKey });
const tenant = createNotaryClient({ baseUrl: url, apiKey: tenantKey, retry: { maxRetries: 5 } });

const submitted = await tenant.POST('/v1/documents', { body: { hash: id.digestHex, externalRef: 'order-1' } });
const anchored = await admin.POST('/v1/batches/anchor');
const fetched = await tenant.GET('/v1/receipts/{id}', { params: { path: { id: id.cid } } });
const receipt = fetched.data;
const listed = await tenant.GET('/v1/documents', { params: { query: { status: 'anchored', limit: 10 } } });
const missing = await tenant.GET('/v1/receipts/{id}', { params: { path: { id: 'not-a-cid' } } });

const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
const viaFetch = await verifyReceipt(receipt, { documentBytes: bytes, lookupAnchor: jsonRpcAnchorLookup(rpcUrl) });
const viaEthers = await verifyReceiptOnChain(receipt, { provider, documentBytes: bytes });
const otherDocument = await verifyReceipt(receipt, { hash: hashDocument(new TextEncoder().encode('another')).cid, lookupAnchor: cachedAnchorLookup(createAnchorLookup(provider)) });
provider.destroy();
let invalidId;
try { parseDocumentId('zz'); } catch (error) { invalidId = { isDomainError: error instanceof DomainError, code: error.code }; }

// A burst beyond the tenant key's rate limit: every call still succeeds, some after a 429 and its Retry-After.
const statuses = [];
const counting = createNotaryClient({ baseUrl: url, apiKey: tenantKey, fetch: async (request) => { const response = await fetch(request); statuses.push(response.status); return response; } });
const started = Date.now();
const burst = await Promise.all(Array.from({ length: 8 }, () => counting.GET('/v1/documents', { params: { query: { limit: 1 } } })));
const noRetry = createNotaryClient({ baseUrl: url, apiKey: tenantKey, retry: false });
const refused = (await Promise.all(Array.from({ length: 8 }, () => noRetry.GET('/v1/documents')))).filter((r) => r.response.status === 429);

console.log(JSON.stringify({
  submitted: { status: submitted.response.status, receiptStatus: submitted.data?.receipts[0].status },
  anchored: anchored.response.status,
  receiptStatus: receipt?.status,
  listed: listed.data?.documents.map((d) => ({ cid: d.cid, status: d.status, externalRef: d.externalRef })),
  missing: { status: missing.response.status, type: missing.error?.type },
  viaFetch, viaEthers, otherDocument, invalidId, cid: id.cid,
  burst: { ok: burst.filter((r) => r.response.status === 200).length, statuses, ms: Date.now() - started },
  refused: { count: refused.length, retryAfter: refused[0]?.response.headers.get('retry-after'), type: refused[0]?.error?.type },
}));
`;

/** The consumer's typed use: compiled with TypeScript's node16 resolution, every @ts-expect-error must be needed. */
const CONSUMER_TYPES = `
import { verifyReceipt, type Receipt, type ReceiptVerification } from 'did-notary';
import { createAnchorLookup } from 'did-notary/ethers';
import { createNotaryClient, type ApiReceipt, type DocumentPage } from 'did-notary/client';
import { JsonRpcProvider } from 'ethers';

export async function check(receipt: Receipt): Promise<ReceiptVerification> {
  const client = createNotaryClient({ baseUrl: 'http://127.0.0.1:1' });
  const fetched = await client.GET('/v1/receipts/{id}', { params: { path: { id: receipt.document.cid } } });
  // The receipt comes as JSON, or as a VC-JWT string with ?format=vc: the type says both.
  const typed: ApiReceipt | string | undefined = fetched.data;
  const status: 'pending' | 'anchored' | undefined = typeof typed === 'object' ? typed.status : undefined;
  const page = await client.GET('/v1/documents', { params: { query: { status: 'pending' } } });
  const documents: DocumentPage['documents'] | undefined = page.data?.documents;
  // @ts-expect-error: no such path in openapi.yaml
  await client.GET('/v1/nothing-here');
  // @ts-expect-error: status is pending or anchored
  await client.GET('/v1/documents', { params: { query: { status: 'sealed' } } });
  // @ts-expect-error: the chain lookup is required
  await verifyReceipt(receipt, {});
  void status;
  void documents;
  return verifyReceipt(receipt, { lookupAnchor: createAnchorLookup(new JsonRpcProvider('http://127.0.0.1:1')) });
}
`;

/** The browser's use: bundled by esbuild for the browser, run in Chromium. */
const BROWSER_ENTRY = `
import { hashDocument, jsonRpcAnchorLookup, verifyReceipt } from 'did-notary';
window.verifyInBrowser = async (receipt, documentText, rpcUrl) => {
  const bytes = new TextEncoder().encode(documentText);
  const lookupAnchor = jsonRpcAnchorLookup(rpcUrl);
  return {
    cid: hashDocument(bytes).cid,
    valid: await verifyReceipt(receipt, { documentBytes: bytes, lookupAnchor }),
    tampered: await verifyReceipt(receipt, { documentBytes: new TextEncoder().encode(documentText + '!'), lookupAnchor }),
  };
};
`;

describe('the packed library in a fresh project', () => {
  let service: ServiceProcess;
  const work = makeTempDir('did-notary-package-');
  const project = path.join(work, 'consumer');
  let tarball: string;
  let packedFiles: string[];
  let installed: string[];

  beforeAll(async () => {
    fs.mkdirSync(project);
    const packing = run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    // The tenant key's limit is low enough for a burst of eight to meet 429s.
    service = await startServiceProcess({ env: { RATE_LIMIT: '3' }, timeoutMs: 180_000 });
    const [packed] = JSON.parse((await packing).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, packed!.filename);
    packedFiles = packed!.files.map((file) => file.path);
    const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    installed = writeOfflineProject(project, { repositoryRoot: PROJECT_ROOT, tarball, packedManifest: packageJson, alsoFromRepository: ['ethers'] });
    await run(NPM, ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, timeout: 120_000 });
  }, 240_000);
  afterAll(async () => {
    await service?.stop();
  });

  it('packs the built entries and declarations, and no tests, benchmarks, sources or contracts', () => {
    for (const entry of ['index', 'client', 'ethers']) {
      expect(packedFiles).toContain(`dist/${entry}.js`);
      expect(packedFiles).toContain(`dist/types/library/${entry}.d.ts`);
    }
    expect(packedFiles).toContain('package.json');
    expect(packedFiles).toContain('README.md');
    const unexpected = packedFiles.filter((file) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|bin\/did-notary\.js$)/.test(file) || /\.ts$/.test(file.replace(/\.d\.ts$/, '')));
    expect(unexpected).toEqual([]);
    // A consumer installs the library's few dependencies, none of the service's.
    expect(installed.sort()).not.toContain('express');
    expect(installed).not.toContain('@electric-sql/pglite');
    expect(installed).not.toContain('@foundry-rs/anvil');
    expect(installed.length).toBeLessThan(20);
  });

  it('verifies a receipt from Node and calls the service through the typed client, retrying 429s', async () => {
    const info = (await api(service, 'GET', '/v1/info')).json as { rpcUrl: string };
    const tenantKey = (await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['notarize'] })).json.secret as string;
    fs.writeFileSync(path.join(project, 'consumer.mjs'), CONSUMER_SCRIPT);
    const { stdout } = await run(process.execPath, ['consumer.mjs', JSON.stringify({ url: service.url, adminKey: service.adminKey, tenantKey, rpcUrl: info.rpcUrl })], {
      cwd: project,
      timeout: 60_000,
    });
    const result = JSON.parse(stdout);
    expect(result.submitted).toEqual({ status: 202, receiptStatus: 'pending' });
    expect(result.anchored).toBe(200);
    expect(result.receiptStatus).toBe('anchored');
    expect(result.listed).toEqual([{ cid: result.cid, status: 'anchored', externalRef: 'order-1' }]);
    expect(result.missing).toEqual({ status: 400, type: 'urn:did-notary:problem:invalid-document-id' });
    expect(result.viaFetch).toMatchObject({ valid: true, document: { cid: result.cid } });
    expect(result.viaEthers).toMatchObject({ valid: true, document: { cid: result.cid } });
    expect(result.otherDocument).toMatchObject({ valid: false, reason: 'wrong-document' });
    expect(result.invalidId).toEqual({ isDomainError: true, code: 'INVALID_DOCUMENT_ID' });
    // Every call of the burst succeeded; some only after a 429 and the wait it named.
    expect(result.burst.ok).toBe(8);
    expect(result.burst.statuses).toContain(429);
    expect(result.burst.statuses.filter((status: number) => status === 200)).toHaveLength(8);
    expect(result.burst.ms).toBeGreaterThanOrEqual(900);
    expect(result.refused.count).toBeGreaterThan(0);
    expect(result.refused.retryAfter).toMatch(/^\d+$/);
    expect(result.refused.type).toBe('urn:did-notary:problem:rate-limited');
  }, 90_000);

  it('type-checks a consumer\'s use with TypeScript\'s node16 resolution', async () => {
    fs.writeFileSync(path.join(project, 'check.ts'), CONSUMER_TYPES);
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['es2023', 'dom'] }, files: ['check.ts'] }),
    );
    const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 60_000 }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(checked).toBe('');
  }, 60_000);

  it('verifies a receipt in Chromium from an esbuild browser bundle of the package', async () => {
    const text = `browser document ${Date.now()}`;
    const cid = hashDocument(new TextEncoder().encode(text)).cid;
    expect((await api(service, 'POST', '/v1/documents', { hash: cid })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const receipt = (await api(service, 'GET', `/v1/receipts/${cid}`)).json;
    fs.writeFileSync(path.join(project, 'browser.mjs'), BROWSER_ENTRY);
    const bundle = await build({ absWorkingDir: project, entryPoints: ['browser.mjs'], bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent' });
    const script = bundle.outputFiles[0]!.text;
    expect(script).not.toMatch(/require\("node:|ethers\/6/);
    // A page of one's own, with the chain's JSON-RPC passed through at /rpc: the embedded Anvil
    // allows no other origin (CORS), as a site would front its node.
    const info = (await api(service, 'GET', '/v1/info')).json as { rpcUrl: string };
    const server = http.createServer((req, res) => {
      if (req.url === '/rpc') {
        const body: Buffer[] = [];
        req.on('data', (chunk: Buffer) => body.push(chunk));
        req.on('end', () => {
          void fetch(info.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(body) })
            .then(async (answer) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(Buffer.from(await answer.arrayBuffer())))
            .catch(() => res.writeHead(502).end());
        });
      } else if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>did-notary in a browser</title><script src="/bundle.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const browser = await chromium.launch({ executablePath: await chromiumExecutable(), args: CHROMIUM_ARGS, headless: true });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const result = await page.evaluate(
        ([receiptJson, documentText, rpcUrl]) => (window as unknown as { verifyInBrowser: (r: unknown, t: string, u: string) => Promise<unknown> }).verifyInBrowser(receiptJson, documentText, rpcUrl),
        [receipt, text, '/rpc'] as const,
      );
      expect(result).toMatchObject({ cid, valid: { valid: true, document: { cid } }, tampered: { valid: false, reason: 'wrong-document' } });
    } finally {
      await browser.close();
      server.close();
    }
  }, 60_000);
});
