// did:web: DID to URL, the service's own DID, and resolution through the resolver and its cache,
// against an allow-listed loopback server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DidResolver, resolutionProblem } from '../../../src/identity/did/did-resolution';
import { didWebForUrl, parseDidWeb } from '../../../src/identity/did/did-web';
import { OutboundFetcher } from '../../../src/platform/outbound/outbound-fetch';

describe('parseDidWeb', () => {
  it.each([
    ['did:web:example.com', { host: 'example.com', path: '/.well-known/did.json' }],
    ['did:web:Example.COM', { host: 'example.com', path: '/.well-known/did.json' }],
    ['did:web:example.com%3A8443', { host: 'example.com:8443', path: '/.well-known/did.json' }],
    ['did:web:w3c-ccg.github.io:user:alice', { host: 'w3c-ccg.github.io', path: '/user/alice/did.json' }],
  ])('%s', (did, expected) => {
    expect(parseDidWeb(did)).toEqual(expected);
  });

  it.each(['did:web:', 'did:web:exa_mple.com', 'did:web:example.com:..:x', 'did:web:example.com/x', 'did:web:%2Fetc', 'did:web:example.com::a', 'did:web:ex%ZZ', 'did:key:z6Mk'])(
    'refuses %s',
    (did) => {
      expect(parseDidWeb(did)).toBeUndefined();
    },
  );

  it('names the service by the host of its base URL', () => {
    expect(didWebForUrl('https://notary.example.com/')).toBe('did:web:notary.example.com');
    expect(didWebForUrl('http://127.0.0.1:8080')).toBe('did:web:127.0.0.1%3A8080');
  });
});

describe('resolving did:web', () => {
  let server: http.Server;
  let host: string;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      const did = `did:web:${encodeURIComponent(host)}`;
      const documents: Record<string, unknown> = {
        '/.well-known/did.json': { id: did, verificationMethod: [] },
        '/alice/did.json': { id: `${did}:alice` },
        '/mallory/did.json': { id: 'did:web:somebody-else.example' },
      };
      const document = documents[req.url ?? ''];
      if (req.url === '/text/did.json') {
        res.setHeader('content-type', 'application/json');
        res.end('not json');
      } else if (document) {
        res.setHeader('content-type', 'application/did+json');
        res.end(JSON.stringify(document));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const resolverWith = (now = () => Date.now()) =>
    new DidResolver({
      ethrNetworks: [],
      fetcher: new OutboundFetcher({ allowedHosts: ['127.0.0.1'], allowHttpForAllowedHosts: true, timeoutMs: 1_000 }),
      cache: { maxEntries: 2, ttlMs: 1_000, now },
    });
  const did = (suffix = '') => `did:web:${encodeURIComponent(host)}${suffix}`;

  it('resolves and caches documents for the TTL', async () => {
    let now = 1; // lru-cache treats an entry stored at time 0 as having no TTL
    const resolver = resolverWith(() => now);
    const before = hits;
    const first = await resolver.resolve(did());
    expect(first.didDocument?.id).toBe(did());
    await resolver.resolve(`${did()}#key-1`);
    expect(hits - before).toBe(1);
    now = 1_001;
    await resolver.resolve(did());
    expect(hits - before).toBe(1);
    now = 1_002;
    await resolver.resolve(did());
    expect(hits - before).toBe(2);
  });

  it('resolves concurrent requests for one DID with one fetch', async () => {
    const resolver = resolverWith();
    const before = hits;
    await Promise.all(Array.from({ length: 5 }, () => resolver.resolve(did(':alice'))));
    expect(hits - before).toBe(1);
  });

  it('classifies failures', async () => {
    const resolver = resolverWith();
    const problem = async (d: string) => resolutionProblem(d, await resolver.resolve(d))?.code;
    expect(await problem(did(':nobody'))).toBe('unknown-did');
    expect(await problem(did(':mallory'))).toBe('unresolvable-did');
    expect(await problem(did(':text'))).toBe('unresolvable-did');
    expect(await problem('did:web:10.0.0.1')).toBe('unresolvable-did');
    expect(await problem('did:example:123')).toBe('unsupported-did-method');
    expect(await problem('did:web:exa_mple')).toBe('invalid-did');
    expect(await problem('not-a-did')).toBe('invalid-did');
    expect(await problem('did:ethr:0x1:0x0000000000000000000000000000000000000000')).toBe('unsupported-did-method');
  });

  it('resolves did:key without any network', async () => {
    const result = await resolverWith().resolve('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
    expect(result.didDocument?.verificationMethod?.[0]?.type).toBe('Ed25519VerificationKey2018');
  });
});
