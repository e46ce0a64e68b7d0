// The verification page in a real browser (Chromium, see helpers/browser.ts, driven by playwright-core) against a real
// service process with its embedded Anvil: documents are notarized through the API, then verified by
// the page the way a person would, by choosing files. Screenshots go to test-output/screenshots/.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { hashDocument } from '../../src/core/ids/document-id';
import { bytesToHex } from '../../src/core/hex';
import { hashLeaf } from '../../src/core/merkle/tree';
import { PAGE_CONTENT_SECURITY_POLICY } from '../../src/web/routes';
import { api, freePort, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { startStaticPageServer } from './static-page-server';
import { CHROMIUM_ARGS, chromiumExecutable } from '../helpers/browser';
import { libraryHolder, libraryKey } from '../identity/credentials/helpers/sd-jwt-library';

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-output', 'screenshots');
/** Set DOCS_SCREENSHOT=1 to refresh the README's committed image from the valid state. */
const DOCS_SCREENSHOT = path.join(PROJECT_ROOT, 'docs', 'verification-page.png');
/** +05:30 all year, so the expected local time needs no daylight-saving rules. */
const TIME_ZONE = 'Asia/Kolkata';
const LOCALE = 'en-GB';

interface ServiceInfo {
  did: string;
  chain: string;
  rpcUrl: string;
  signer: string;
  contracts: { anchor: string };
}

interface Verdict {
  state: string | null;
  reason: string | null;
  text: string;
}

describe('the verification page in Chromium', () => {
  let service: ServiceProcess;
  let info: ServiceInfo;
  // The page as the service itself serves it (GET /, assets, and the chain relay).
  let pages: { url: string };
  let staticPages: { close(): Promise<void> } | undefined;
  let browser: Browser;
  let anvil: EmbeddedAnvil | undefined;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const workDir = makeTempDir('did-notary-web-');
  /** A document notarized and anchored before the tests, with its receipt file. */
  let anchored: { file: string; receiptFile: string; receipt: any };

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    [service, browser] = await Promise.all([
      startServiceProcess(),
      chromiumExecutable().then((executablePath) => chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true })),
    ]);
    context = await browser.newContext({ timezoneId: TIME_ZONE, locale: LOCALE, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    info = (await api(service, 'GET', '/v1/info')).json as ServiceInfo;
    pages = { url: service.url };

    const file = writeDocument('contract.pdf');
    await submit(file);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const receipt = await receiptOf(file);
    expect(receipt.status).toBe('anchored');
    const receiptFile = `${file}.receipt.json`;
    fs.writeFileSync(receiptFile, JSON.stringify(receipt, null, 2));
    anchored = { file, receiptFile, receipt };
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await staticPages?.close();
    await service?.stop();
    await anvil?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
    if (service) fs.rmSync(service.dataDir, { recursive: true, force: true });
  });

  /** Writes `name` into a directory of its own, so names stay as a person would see them. */
  function writeDocument(name: string, bytes: Buffer = randomBytes(4096)): string {
    const file = path.join(fs.mkdtempSync(path.join(workDir, 'doc-')), name);
    fs.writeFileSync(file, bytes);
    return file;
  }

  const digestOf = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

  async function submit(file: string): Promise<void> {
    const submitted = await api(service, 'POST', '/v1/documents', { hash: digestOf(file) });
    expect(submitted.status).toBe(202);
  }

  async function receiptOf(file: string): Promise<any> {
    const response = await api(service, 'GET', `/v1/receipts/${digestOf(file)}`);
    expect(response.status).toBe(200);
    return response.json;
  }

  /**
   * Loads the page afresh in the one browser page the tests share (a new page costs a second here),
   * in a fixed time zone and locale; `problems` then collects this load's page errors and CSP violations.
   */
  async function openPage(query = '', viewport = { width: 900, height: 700 }): Promise<void> {
    problems.length = 0;
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.setViewportSize(viewport);
    await page.goto(`${pages.url}/${query}`);
    await page.waitForSelector('html[data-ready="true"]');
  }

  /** Waits for the verdict in `region` (after any "Verifying…") and reads its state and text. */
  async function verdictIn(page: Page, region = '#document-result'): Promise<Verdict> {
    const box = page.locator(`${region} .verdict`).first();
    await box.waitFor({ timeout: 20_000 });
    return { state: await box.getAttribute('data-state'), reason: await box.getAttribute('data-reason'), text: await box.innerText() };
  }

  async function useReceiptFile(page: Page): Promise<void> {
    await page.getByLabel('I have the receipt file').check();
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  /** hh:mm:ss and the date of `unixSeconds` in TIME_ZONE, computed by Node's ICU independently of the page. */
  function expectedLocalTime(unixSeconds: number): { time: string; date: string } {
    const date = new Date(unixSeconds * 1000);
    return {
      time: new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(date),
      date: new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, day: 'numeric', month: 'long', year: 'numeric' }).format(date),
    };
  }

  it('shows a valid file + receipt as valid, with the anchoring time in the person’s time zone, block, transaction and anchorer', async () => {
    await openPage();
    await useReceiptFile(page);
    await page.setInputFiles('#document-file', anchored.file);
    await page.setInputFiles('#receipt-file', anchored.receiptFile);
    const verdict = await verdictIn(page);
    expect(verdict.state, verdict.text).toBe('valid');
    expect(verdict.text).toContain('Valid: this file was notarized');
    // The receipt's place in the service's transparency log, its commitment checked in the browser.
    expect(verdict.text).toMatch(/Transparency log\s*entry \d+ of \S+\/log: this batch commits to the log's first \d+ entries/);

    const { anchor } = anchored.receipt;
    const time = page.locator('#document-result time.anchored-at');
    expect(await time.getAttribute('datetime')).toBe(new Date(anchor.timestamp * 1000).toISOString());
    const expected = expectedLocalTime(anchor.timestamp);
    const shown = await time.innerText();
    expect(shown).toContain(expected.time);
    expect(shown).toContain(expected.date);
    // ICU may name the zone by its older alias.
    expect(verdict.text).toMatch(/Asia\/(Kolkata|Calcutta)/);

    expect(verdict.text).toContain(String(anchor.blockNumber));
    expect(verdict.text).toContain(anchor.transactionHash);
    expect(verdict.text).toContain(info.did);
    expect(verdict.text).toContain('this service');
    expect(verdict.text).toContain(info.signer.toLowerCase());
    expect(verdict.text).toContain('the issuer’s own account');
    // The local chain has no block explorer: no links are made up for it.
    expect(await page.locator('#document-result a').count()).toBe(0);
    // The page read the chain through the relay the page server announced.
    expect(verdict.text).toContain(`${pages.url}/v1/chain-rpc`);
    await screenshot(page, 'valid');
    if (process.env.DOCS_SCREENSHOT === '1') {
      // From the privacy promise down to the verdict's first facts.
      await page.setViewportSize({ width: 900, height: 1000 });
      await page.locator('h1').first().evaluate((node) => node.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: DOCS_SCREENSHOT });
    }

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 360, height: 780 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'valid-phone');
    expect(problems).toEqual([]);
  });

  it('shows a changed file as invalid, saying it is not the file the receipt is for', async () => {
    const bytes = fs.readFileSync(anchored.file);
    bytes[100] = bytes[100]! ^ 0x01;
    const changed = writeDocument('contract-edited.pdf', bytes);
    await openPage();
    await useReceiptFile(page);
    await page.setInputFiles('#receipt-file', anchored.receiptFile);
    await page.setInputFiles('#document-file', changed);
    // Choosing the receipt first verifies it alone; wait for the verdict that compared the file.
    await page.waitForFunction(() => document.querySelector('#document-result .verdict')?.getAttribute('data-state') === 'invalid');
    const verdict = await verdictIn(page);
    expect(verdict.reason).toBe('wrong-document');
    expect(verdict.text).toContain('Not valid: this file is not the one the receipt is for');
    expect(verdict.text).toContain(hashDocument(bytes).cid);
    expect(verdict.text).toContain(anchored.receipt.document.cid);
    await screenshot(page, 'invalid-changed-file');
    expect(problems).toEqual([]);
  });

  it('looks a receipt up by the file’s hash: pending first, valid once anchored', async () => {
    const file = writeDocument('photo.jpg');
    await submit(file);
    await openPage();
    const requests: Array<{ url: string; bodyBytes: number }> = [];
    page.on('request', (request) => requests.push({ url: request.url(), bodyBytes: request.postDataBuffer()?.length ?? 0 }));
    await page.setInputFiles('#document-file', file);
    const pending = await verdictIn(page);
    expect(pending.state, pending.text).toBe('pending');
    expect(pending.text).toContain('Received, not anchored yet');
    expect(requests.map((request) => request.url)).toContain(`${pages.url}/v1/receipts/${hashDocument(fs.readFileSync(file)).cid}`);
    await screenshot(page, 'pending');

    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    await page.getByRole('button', { name: 'Check again' }).click();
    const valid = await verdictIn(page);
    expect(valid.state, valid.text).toBe('valid');
    expect(valid.text).toContain(String((await receiptOf(file)).anchor.blockNumber));
    await screenshot(page, 'lookup-valid');
    // The file (4,096 bytes) never left the browser: no request carried more than a fingerprint.
    expect(Math.max(...requests.map((request) => request.bodyBytes))).toBeLessThan(1024);
    expect(problems).toEqual([]);
  });

  it('says when the service does not know the document (404)', async () => {
    await openPage();
    await page.setInputFiles('#document-file', writeDocument('never-submitted.txt'));
    const verdict = await verdictIn(page);
    expect(verdict.state, verdict.text).toBe('unknown-document');
    expect(verdict.text).toContain('Unknown document');
    await screenshot(page, 'unknown-document');
    expect(problems).toEqual([]);
  });

  it('shows a receipt whose root the chain never recorded as invalid (not anchored)', async () => {
    // A one-document tree that holds together (the proof is right) but was never anchored.
    const bytes = randomBytes(2048);
    const document = hashDocument(bytes);
    const forged = {
      ...anchored.receipt,
      document: { cid: document.cid, multihash: document.multihashHex },
      batch: { id: 'forged', root: bytesToHex(hashLeaf(document.multihash)), treeSize: 1 },
      proof: { type: 'rfc9162-sha256-inclusion', leafIndex: 0, treeSize: 1, auditPath: [] },
      // The real receipt's log position belongs to its real batch, not to this one.
      log: undefined,
    };
    const file = writeDocument('forged.bin', bytes);
    fs.writeFileSync(`${file}.receipt.json`, JSON.stringify(forged));
    await openPage();
    await useReceiptFile(page);
    await page.setInputFiles('#document-file', file);
    await page.setInputFiles('#receipt-file', `${file}.receipt.json`);
    const verdict = await verdictIn(page);
    expect(verdict.state, verdict.text).toBe('invalid');
    expect(verdict.reason).toBe('not-anchored');
    expect(verdict.text).toContain('Not valid: the chain has no record of this batch');
    await screenshot(page, 'invalid-not-anchored');
    expect(problems).toEqual([]);
  });

  it('reports an unreachable chain as "could not check", not as invalid', async () => {
    const deadRpc = `http://127.0.0.1:${await freePort()}`;
    await openPage(`?rpc=${encodeURIComponent(deadRpc)}`);
    await useReceiptFile(page);
    await page.setInputFiles('#document-file', anchored.file);
    await page.setInputFiles('#receipt-file', anchored.receiptFile);
    const verdict = await verdictIn(page);
    expect(verdict.state, verdict.text).toBe('chain-unreachable');
    expect(verdict.text).toContain('Could not check the chain');
    expect(verdict.text).toContain(deadRpc);
    await screenshot(page, 'chain-unreachable');
    expect(problems).toEqual([]);
  });

  it('serves the page with a strict CSP and a relay that forwards only the two anchor reads', async () => {
    const response = await fetch(`${pages.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(PAGE_CONTENT_SECURITY_POLICY);
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from another origin
    const script = /<script defer src="([^"]+)"/.exec(html)![1]!;
    const asset = await fetch(`${pages.url}${script}`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await asset.text()).length).toBeLessThan(150_000);

    const relay = async (body: unknown) =>
      (await fetch(`${pages.url}/v1/chain-rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>;
    expect(await relay({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    const refused = [
      { jsonrpc: '2.0', id: 2, method: 'anvil_setBalance', params: [info.signer, '0x1'] },
      { jsonrpc: '2.0', id: 3, method: 'eth_sendRawTransaction', params: ['0x00'] },
      { jsonrpc: '2.0', id: 4, method: 'eth_call', params: [{ to: info.contracts.anchor, data: '0x12345678' }, 'latest'] },
      { jsonrpc: '2.0', id: 5, method: 'eth_getLogs', params: [{ address: info.contracts.anchor, fromBlock: '0x0', toBlock: 'latest' }] },
    ];
    for (const request of refused) {
      const answer = await relay(request);
      expect(answer.error, JSON.stringify(request)).toBeDefined();
      expect(answer.result).toBeUndefined();
    }
    expect((await relay([{ jsonrpc: '2.0', id: 6, method: 'eth_chainId' }])).error).toBeDefined();
  });

  it('decodes a pasted JWT in the credential tab and says clearly when the service cannot verify it (404)', async () => {
    await openPage();
    // Keyboard: arrow keys move between the tabs.
    await page.getByRole('tab', { name: 'Document' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Credential' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#panel-credentials').isVisible()).toBe(true);
    // A service without the endpoint answers 404 (injected here: the real service may have it).
    await page.route('**/v1/credentials/verify', (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'urn:did-notary:problem:not-found', title: 'No such resource', status: 404, detail: 'no route for POST /v1/credentials/verify' }),
      }),
    );
    const payload = { iss: info.did, sub: 'did:key:z6Mkexample', nbf: 1_764_000_000, vc: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential', 'MembershipCredential'], credentialSubject: { member: { name: 'Alice' } } } };
    const jwt = [{ alg: 'ES256K', typ: 'JWT' }, payload].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2lnbmF0dXJl';
    await page.getByLabel('Credential or presentation (JWT)').fill(jwt.replace(/(.{60})/g, '$1\n'));
    await page.getByRole('button', { name: 'Decode and verify' }).click();
    const verdict = await verdictIn(page, '#credential-result');
    expect(verdict.state, verdict.text).toBe('unavailable');
    expect(verdict.text).toContain('HTTP 404');
    expect(JSON.parse(await page.locator('#credential-result pre[data-part="payload"]').innerText())).toEqual(payload);
    expect(JSON.parse(await page.locator('#credential-result pre[data-part="header"]').innerText())).toEqual({ alg: 'ES256K', typ: 'JWT' });
    await screenshot(page, 'credential-unavailable');

    await page.getByLabel('Credential or presentation (JWT)').fill('not.a-jwt');
    await page.getByRole('button', { name: 'Decode and verify' }).click();
    expect((await verdictIn(page, '#credential-result')).state).toBe('malformed');
    expect(problems).toEqual([]);
  });

  it('verifies a credential issued by the service in the credential tab, also inside a presentation', async ({ skip }) => {
    const issued = await api(service, 'POST', '/v1/credentials', {
      subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      type: 'MembershipCredential',
      claims: { member: { name: 'Alice', level: 'gold' } },
    });
    const probe = await api(service, 'POST', '/v1/credentials/verify', { jwt: 'x.y.z' });
    skip(issued.status === 404 || probe.status === 404, 'POST /v1/credentials or /v1/credentials/verify is not mounted in this service yet');
    expect(issued.status, JSON.stringify(issued.json)).toBe(201);
    await openPage('#credentials');
    expect(await page.locator('#panel-credentials').isVisible()).toBe(true);
    await page.getByLabel('Credential or presentation (JWT)').fill(issued.json.jwt);
    await page.getByRole('button', { name: 'Decode and verify' }).click();
    const verdict = await verdictIn(page, '#credential-result');
    expect(verdict.state, verdict.text).toBe('verified');
    expect(verdict.text).toContain(info.did);
    expect(await page.locator('#credential-result [data-check="signature"] dd').innerText()).toBe('passed');
    await screenshot(page, 'credential-verified');

    // A presentation (its own signature is the asking party's business) shows each credential verified.
    const vp = { iss: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', vp: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiablePresentation'], verifiableCredential: [issued.json.jwt] } };
    const vpJwt = [{ alg: 'EdDSA', typ: 'JWT' }, vp].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';
    await page.getByLabel('Credential or presentation (JWT)').fill(vpJwt);
    await page.getByRole('button', { name: 'Decode and verify' }).click();
    const inner = await verdictIn(page, '#credential-result');
    expect(inner.state, inner.text).toBe('verified');
    expect(await page.locator('#credential-result').innerText()).toContain('A presentation by');
    expect(problems).toEqual([]);
  });

  it('verifies an SD-JWT VC presented by its holder in the credential tab, and shows exactly the claim it discloses', async () => {
    const holder = await libraryKey();
    const issued = await api(service, 'POST', '/v1/credentials', {
      format: 'dc+sd-jwt',
      vct: 'https://credentials.example.com/identity_credential',
      claims: { given_name: 'Alice', birthdate: '2000-01-01', age_over_18: true },
      holder: { jwk: holder.publicJwk },
    });
    expect(issued.status, JSON.stringify(issued.json)).toBe(201);
    // The holder (the @sd-jwt library) discloses one claim of three, with key binding.
    const presentation = await libraryHolder(holder.signer).present(issued.json.sdJwt, { age_over_18: true } as never, {
      kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: 'https://shop.example', nonce: 'n-page' } },
    });
    await openPage('#credentials');
    await page.getByLabel('Credential or presentation (JWT)').fill(presentation.replace(/(.{60})/g, '$1\n'));
    await page.getByRole('button', { name: 'Decode and verify' }).click();
    const verdict = await verdictIn(page, '#credential-result');
    expect(verdict.state, verdict.text).toBe('verified');
    expect(verdict.text).toContain('SD-JWT VC');
    expect(await page.locator('#credential-result [data-check="disclosures"] dd').innerText()).toBe('passed');
    expect(await page.locator('#credential-result [data-check="keyBinding"] dd').innerText()).toBe('passed');
    const claims = page.locator('#credential-result [data-claim]');
    expect(await claims.count()).toBe(1);
    expect(await claims.first().getAttribute('data-claim')).toBe('age_over_18');
    expect(await claims.first().getAttribute('data-disclosed')).toBe('true');
    expect(JSON.parse(await page.locator('#credential-result pre[data-part="disclosures"]').innerText())).toEqual([['age_over_18', true]]);
    expect(JSON.parse(await page.locator('#credential-result pre[data-part="key-binding"]').innerText())).toMatchObject({ aud: 'https://shop.example', nonce: 'n-page' });
    await screenshot(page, 'credential-sd-jwt');

    // A disclosure altered in the pasted text: the page says so, with the service's code.
    const parts = presentation.split('~');
    parts[1] = Buffer.from(JSON.stringify([...JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()).slice(0, 2), false])).toString('base64url');
    await page.getByLabel('Credential or presentation (JWT)').fill(parts.join('~'));
    await page.getByRole('button', { name: 'Decode and verify' }).click();
    const tampered = await verdictIn(page, '#credential-result');
    expect(tampered.state, tampered.text).toBe('not-verified');
    expect(tampered.text).toContain('invalid-disclosure');
    expect(problems).toEqual([]);
  });

  // Last: it stops the service.
  it('works without the service: a receipt file checked against any RPC URL, cross-origin', async () => {
    expect(await service.stop()).toBe(0);
    // The page now comes from a static copy, and only the chain is left, with CORS open to exactly
    // the page's origin (no relay is involved).
    const copy = await startStaticPageServer();
    staticPages = copy;
    pages = { url: copy.url };
    anvil = await startEmbeddedAnvil({ dataDir: service.dataDir, allowOrigin: pages.url });
    await openPage(`?api=${encodeURIComponent(`http://127.0.0.1:${await freePort()}/`)}`);
    await page.locator('#service-status', { hasText: 'not reachable' }).waitFor();
    // The page offers the receipt file by itself when the service is away.
    expect(await page.getByLabel('I have the receipt file').isChecked()).toBe(true);
    await page.getByText('Chain and service').click();
    await page.getByLabel('JSON-RPC URL of the chain').fill(anvil.rpcUrl);
    await page.setInputFiles('#document-file', anchored.file);
    await page.setInputFiles('#receipt-file', anchored.receiptFile);
    const verdict = await verdictIn(page);
    expect(verdict.state, verdict.text).toBe('valid');
    expect(verdict.text).toContain(anvil.rpcUrl);
    expect(verdict.text).not.toContain('this service');
    await screenshot(page, 'valid-without-service');
    expect(problems).toEqual([]);
  });
});
