// SSRF guard of outbound fetches (did:web, foreign status lists). Every destination in these tests is
// either refused before any connection (asserted with a transport spy) or a server on loopback.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OutboundFetcher, type OutboundFetchPolicy, type OutboundRequest } from '../../../src/platform/outbound/outbound-fetch';

const JSON_TYPES = ['application/json'];

/** The real transport, wrapped so a test can assert it was (not) used. */
function spyTransport() {
  return vi.fn<OutboundRequest>((url, options) => (url.protocol === 'https:' ? https.request(options) : http.request(options)));
}

describe('destinations refused before any connection', () => {
  const cases: Array<[string, RegExp]> = [
    ['https://127.0.0.1/.well-known/did.json', /loopback/],
    ['https://localhost/.well-known/did.json', /loopback/],
    ['https://[::1]/.well-known/did.json', /loopback/],
    ['https://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://10.0.0.1/', /private/],
    ['https://192.168.1.1/', /private/],
    ['https://100.64.0.1/', /CGNAT/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://[fd00::1]/', /unique-local/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[::ffff:127.0.0.1]/', /loopback/],
    ['https://2130706433/', /loopback/], // 127.0.0.1 written as one number
    ['https://0x7f.1/', /loopback/],
    ['https://224.0.0.1/', /multicast/],
  ];
  it.each(cases)('%s', async (url, reason) => {
    const request = spyTransport();
    const started = Date.now();
    const error = await new OutboundFetcher({ request }).get(url, JSON_TYPES).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FETCH_REFUSED' });
    expect((error as Error).message).toMatch(reason);
    expect(request).not.toHaveBeenCalled();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses plain http and URLs with credentials', async () => {
    const request = spyTransport();
    const lookup = vi.fn(async () => [{ address: '93.184.216.34', family: 4 }]);
    const fetcher = new OutboundFetcher({ request, lookup });
    await expect(fetcher.get('http://example.com/did.json', JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_REFUSED', message: /only https/ });
    await expect(fetcher.get('https://user:pw@example.com/', JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_REFUSED' });
    expect(request).not.toHaveBeenCalled();
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses a name resolving to a private or loopback address (checked on every resolved IP)', async () => {
    const request = spyTransport();
    const names: Record<string, string[]> = {
      'intranet.example': ['10.0.0.5'],
      'rebind.example': ['127.0.0.1'],
      'mixed.example': ['93.184.216.34', '10.0.0.5'],
      'v6.example': ['::1'],
    };
    const lookup = vi.fn(async (name: string) => (names[name] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    const fetcher = new OutboundFetcher({ request, lookup });
    for (const name of Object.keys(names)) {
      const error = await fetcher.get(`https://${name}/.well-known/did.json`, JSON_TYPES).catch((e: unknown) => e);
      expect(error, name).toMatchObject({ code: 'FETCH_REFUSED', message: expect.stringContaining(`${name} resolves to it`) });
    }
    expect(request).not.toHaveBeenCalled();
  });

  it('gives up on a lookup that hangs, within the timeout', async () => {
    const request = spyTransport();
    const fetcher = new OutboundFetcher({ request, lookup: () => new Promise(() => undefined), timeoutMs: 200 });
    const started = Date.now();
    await expect(fetcher.get('https://slow-dns.example/', JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(request).not.toHaveBeenCalled();
  });
});

describe('limits on allow-listed loopback servers', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      switch (req.url) {
        case '/ok':
          res.setHeader('content-type', 'application/json; charset=utf-8');
          res.end('{"ok":true}');
          return;
        case '/redirect':
          res.statusCode = 302;
          res.setHeader('location', 'http://10.0.0.1/.well-known/did.json');
          res.end();
          return;
        case '/big':
          res.setHeader('content-type', 'application/json');
          res.end(Buffer.alloc(200 * 1024, 0x20));
          return;
        case '/big-chunked': {
          res.setHeader('content-type', 'application/json');
          const chunk = Buffer.alloc(16 * 1024, 0x20);
          let sent = 0;
          const push = () => {
            if (sent++ < 20 && !res.destroyed) res.write(chunk, () => setImmediate(push));
            else res.end();
          };
          push();
          return;
        }
        case '/slow-body':
          res.setHeader('content-type', 'application/json');
          res.write('{"a":');
          return; // never ends
        case '/slow-headers':
          return; // never answers
        case '/echo': {
          // POST: answers with the status the client asks for, and what it received
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            res.statusCode = Number(req.headers['x-answer'] ?? 200);
            res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), signature: req.headers['webhook-signature'], length: req.headers['content-length'] }));
          });
          return;
        }
        case '/html':
          res.setHeader('content-type', 'text/html');
          res.end('<html></html>');
          return;
        case '/gzip':
          res.setHeader('content-type', 'application/json');
          res.setHeader('content-encoding', 'gzip');
          res.end('x');
          return;
        default:
          res.statusCode = 404;
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const fetcher = (policy: OutboundFetchPolicy = {}) =>
    new OutboundFetcher({ allowedHosts: ['127.0.0.1'], allowHttpForAllowedHosts: true, timeoutMs: 500, maxBytes: 100 * 1024, ...policy });

  it('POSTs a body with its headers and hands back any status, not following redirects', async () => {
    const answer = await fetcher().post(`${base}/echo`, '{"type":"webhook.test"}', { 'content-type': 'application/json', 'webhook-signature': 'v1,abc' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.bodyStart)).toEqual({ method: 'POST', body: '{"type":"webhook.test"}', signature: 'v1,abc', length: '23' });
    expect((await fetcher().post(`${base}/echo`, '{}', { 'x-answer': '503' })).status).toBe(503);
    expect((await fetcher().post(`${base}/redirect`, '{}', {})).status).toBe(302);
    // Only the start of a long answer is kept (for the delivery log).
    expect((await fetcher().post(`${base}/big`, '{}', {})).bodyStart).toHaveLength(1024);
    await expect(fetcher().post(`${base}/slow-headers`, '{}', {})).rejects.toMatchObject({ code: 'FETCH_TIMEOUT' });
  });

  it('fetches from an allow-listed host', async () => {
    const result = await fetcher().get(`${base}/ok`, JSON_TYPES);
    expect(JSON.parse(result.body.toString())).toEqual({ ok: true });
    expect(result.contentType).toBe('application/json');
  });

  it('does not follow a redirect (here to a private address)', async () => {
    const request = spyTransport();
    await expect(fetcher({ request }).get(`${base}/redirect`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_REDIRECT_REFUSED' });
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('refuses an oversized body, declared or streamed', async () => {
    await expect(fetcher().get(`${base}/big`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_TOO_LARGE' });
    await expect(fetcher().get(`${base}/big-chunked`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_TOO_LARGE' });
  });

  it('gives up on a slow body or slow headers within the timeout', async () => {
    for (const pathname of ['/slow-body', '/slow-headers']) {
      const started = Date.now();
      await expect(fetcher().get(`${base}${pathname}`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(1_500);
    }
  });

  it('refuses other content types, compressed bodies and missing documents', async () => {
    await expect(fetcher().get(`${base}/html`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_BAD_CONTENT_TYPE' });
    await expect(fetcher().get(`${base}/gzip`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_FAILED' });
    await expect(fetcher().get(`${base}/missing`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_NOT_FOUND' });
  });

  it('refuses the same loopback server when it is not allow-listed, and http without the test switch', async () => {
    await expect(new OutboundFetcher().get(`${base}/ok`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_REFUSED' });
    await expect(new OutboundFetcher({ allowedHosts: ['127.0.0.1'] }).get(`${base}/ok`, JSON_TYPES)).rejects.toMatchObject({ code: 'FETCH_REFUSED', message: /only https/ });
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('HTTPS with the connection pinned to the checked address', () => {
  let server: https.Server;
  let port: number;
  let cert: string;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'did-notary-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-subj', '/CN=pinned.test', '-addext', 'subjectAltName=DNS:pinned.test',
    ], { stdio: 'ignore' });
    cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert }, (_req, res) => {
      res.setHeader('content-type', 'application/did+json');
      res.end('{"id":"did:web:pinned.test"}');
    });
    fs.rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects to the address it checked (one lookup), verifying the certificate for the name', async () => {
    // pinned.test exists in no DNS: the request can only succeed through the pinned lookup.
    const lookup = vi.fn(async () => [{ address: '127.0.0.1', family: 4 }]);
    const fetcher = new OutboundFetcher({ allowedHosts: ['pinned.test'], lookup, ca: cert, timeoutMs: 2_000 });
    const result = await fetcher.get(`https://pinned.test:${port}/.well-known/did.json`, ['application/did+json']);
    expect(JSON.parse(result.body.toString())).toEqual({ id: 'did:web:pinned.test' });
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('refuses a certificate it does not trust', async () => {
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const fetcher = new OutboundFetcher({ allowedHosts: ['pinned.test'], lookup, timeoutMs: 2_000 });
    await expect(fetcher.get(`https://pinned.test:${port}/`, ['application/did+json'])).rejects.toMatchObject({ code: 'FETCH_FAILED' });
  });
});

describe('POST and URL checks share the destination rules', () => {
  it('refuses a private destination before any connection, and says which URLs may never be reached', async () => {
    const request = spyTransport();
    const fetcher = new OutboundFetcher({ request, lookup: async () => [{ address: '10.0.0.7', family: 4 }] });
    await expect(fetcher.post('https://hooks.example.com/in', '{}', {})).rejects.toMatchObject({ code: 'FETCH_REFUSED', message: expect.stringMatching(/10\.0\.0\.7 \(hooks\.example\.com resolves to it\): private/) });
    await expect(fetcher.assertAllowed('https://hooks.example.com/in')).rejects.toMatchObject({ code: 'FETCH_REFUSED' });
    await expect(fetcher.assertAllowed('http://93.184.216.34/in')).rejects.toMatchObject({ code: 'FETCH_REFUSED' });
    expect(request).not.toHaveBeenCalled();
    // A public address, or a name that does not resolve yet, may be stored: each use checks again.
    await expect(new OutboundFetcher({ request, lookup: async () => [{ address: '93.184.216.34', family: 4 }] }).assertAllowed('https://hooks.example.com/in')).resolves.toBeUndefined();
    await expect(new OutboundFetcher({ request, lookup: async () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })) }).assertAllowed('https://not-yet.example/in')).resolves.toBeUndefined();
    expect(request).not.toHaveBeenCalled();
  });
});

describe('outbound fetches open at once', () => {
  it('refuses a fetch beyond the cap at once, and admits one again when a slot frees', async () => {
    let release: (() => void) | undefined;
    // The first fetch hangs in its address lookup until released, then is refused as a loopback address.
    const lookup = vi.fn(() => new Promise<Array<{ address: string; family: number }>>((resolve) => (release = () => resolve([{ address: '127.0.0.1', family: 4 }]))));
    const fetcher = new OutboundFetcher({ lookup, maxConcurrent: 1, timeoutMs: 5_000 });
    const first = fetcher.get('https://slow.example/did.json', JSON_TYPES).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const busy = await fetcher.get('https://other.example/did.json', JSON_TYPES).catch((error: unknown) => error);
    expect(busy).toMatchObject({ code: 'FETCH_BUSY' });
    release!();
    expect(await first).toMatchObject({ code: 'FETCH_REFUSED' });
    // The slot is free again: the next fetch gets as far as its own lookup.
    const next = fetcher.get('https://third.example/did.json', JSON_TYPES).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    release!();
    expect(await next).toMatchObject({ code: 'FETCH_REFUSED' });
    expect(lookup).toHaveBeenCalledTimes(2);
  });
});
