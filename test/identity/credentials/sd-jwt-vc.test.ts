// SD-JWT VCs end to end over HTTP, against @sd-jwt/sd-jwt-vc on the other side: the service issues, the
// library verifies with nothing but the issuer metadata it fetches; the library's holder presents, the
// service verifies and shows what was disclosed; every way a presentation can be wrong has its code.
import { createPrivateKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bytesToMultibase } from 'did-jwt';
import { ES256 } from '@sd-jwt/crypto-nodejs';
import { createHeaderAndPayload, StatusList } from '@owf/token-status-list';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startIdentityHarness, type IdentityHarness } from './helpers/identity-harness';
import { ed25519Signer, libraryHolder, libraryKey, metadataVerifier, sdJwtVc, type LibraryKey } from './helpers/sd-jwt-library';

let harness: IdentityHarness;
let holder: LibraryKey;
beforeAll(async () => {
  harness = await startIdentityHarness();
  holder = await libraryKey();
});
afterAll(async () => {
  await harness?.stop();
});

const VCT = 'https://credentials.example.com/identity_credential';
const now = () => Math.floor(Date.now() / 1000);
const codesOf = (result: { errors: Array<{ code: string }> }) => result.errors.map((e) => e.code);

async function issue(body: Record<string, unknown>) {
  const response = await call(harness, 'POST', '/v1/credentials', { key: harness.keys.acme, body: { format: 'dc+sd-jwt', vct: VCT, ...body } });
  expect(response.status, response.text).toBe(201);
  return response.json as { id: string; sdJwt: string; credential: Record<string, unknown>; status: Array<{ status_list: { idx: number; uri: string } }> };
}

async function verify(body: Record<string, unknown>) {
  const response = await call(harness, 'POST', '/v1/credentials/verify', { body });
  expect(response.status, response.text).toBe(200);
  return response.json as { verified: boolean; format: string; claims?: Record<string, unknown>; disclosed?: unknown[]; checks: Record<string, unknown>; errors: Array<{ code: string; message: string }> };
}

/** The holder's presentation made by the library: `frame` picks the disclosures, the KB-JWT binds nonce and audience. */
function present(sdJwt: string, frame: Record<string, unknown>, kb: { nonce: string; aud: string; iat?: number }, signer = holder.signer, alg = 'ES256') {
  return libraryHolder(signer, alg).present(sdJwt, frame as never, { kb: { payload: { iat: kb.iat ?? now(), aud: kb.aud, nonce: kb.nonce } } });
}

const PERSON = {
  given_name: 'Alice',
  birthdate: '2000-01-01',
  age_over_18: true,
  address: { street_address: 'Hauptstraße 1', locality: 'Berlin', country: 'DE' },
  nationalities: ['DE', 'FR'],
};
const PERSON_DISCLOSABLE = [['given_name'], ['birthdate'], ['age_over_18'], ['address', 'street_address'], ['address', 'locality'], ['nationalities', null]];

describe('issuing SD-JWT VCs', () => {
  it('issues one that @sd-jwt/sd-jwt-vc verifies with only the issuer metadata it fetched, status list included', async () => {
    const issued = await issue({ claims: PERSON, disclosable: PERSON_DISCLOSABLE, holder: { jwk: holder.publicJwk }, validUntil: new Date(Date.now() + 86_400_000).toISOString() });
    const [header, payload] = issued.sdJwt.split('~')[0]!.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'dc+sd-jwt', kid: harness.services.keys.es256().id });
    // Only what the issuer chose is hidden: the country stays visible, the rest needs a disclosure.
    const { kty, crv, x, y } = holder.publicJwk;
    expect(payload).toMatchObject({ iss: harness.url, vct: VCT, cnf: { jwk: { kty, crv, x, y } }, address: { country: 'DE' }, _sd_alg: 'sha-256' });
    expect(payload.given_name).toBeUndefined();
    expect(payload.address.locality).toBeUndefined();
    expect(payload.nationalities).toHaveLength(2);
    expect(payload.nationalities.every((element: object) => Object.keys(element).join() === '...')).toBe(true);
    expect(payload.status.status_list.uri).toMatch(new RegExp(`^${harness.url}/v1/status-lists/token-`));

    const verifier = await metadataVerifier(harness.url);
    const verified = await verifier.verify(issued.sdJwt);
    expect(verified.payload).toMatchObject({ ...PERSON, iss: harness.url, vct: VCT });
    expect(await sdJwtVc().getClaims(issued.sdJwt)).toMatchObject(PERSON);
    expect(await verify({ credential: issued.sdJwt })).toMatchObject({ verified: true, format: 'dc+sd-jwt', claims: PERSON });
  });

  it('answers with the SD-JWT itself, as application/dc+sd-jwt, to a client that asks for it', async () => {
    const response = await call(harness, 'POST', '/v1/credentials', {
      key: harness.keys.acme,
      headers: { accept: 'application/dc+sd-jwt' },
      body: { format: 'dc+sd-jwt', vct: VCT, claims: { a: 1 } },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/dc\+sd-jwt/);
    expect(response.text).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+~([\w-]+~)+$/);
  });

  it('publishes its keys in the JWT VC Issuer Metadata and the did:web document', async () => {
    const metadata = (await call(harness, 'GET', '/.well-known/jwt-vc-issuer')).json;
    const key = harness.services.keys.es256();
    expect(metadata).toEqual({ issuer: harness.url, jwks: { keys: [{ ...key.publicJwk, kid: key.id, alg: 'ES256', use: 'sig' }] } });
    const document = (await call(harness, 'GET', '/.well-known/did.json')).json;
    const didWeb = harness.services.didWeb();
    expect(document.verificationMethod).toContainEqual({ id: `${didWeb}#${key.id}`, type: 'JsonWebKey2020', controller: didWeb, publicKeyJwk: key.publicJwk });
    expect(document.assertionMethod).toContain(`${didWeb}#${key.id}`);
  });

  it('refuses requests that would hide what a verifier must see, or name claims that do not exist', async () => {
    for (const [body, field] of [
      [{ claims: { iss: 'me' } }, 'claims'],
      [{ claims: { a: { _sd: [] } } }, 'claims'],
      [{ claims: { a: 1 }, disclosable: [['b']] }, 'disclosable'],
      [{ claims: { a: 1 }, holder: { jwk: { ...holder.publicJwk, d: 'secret' } } }, 'holder'],
      [{ claims: { a: 1 }, type: 'T' }, 'body'],
    ] as const) {
      const response = await call(harness, 'POST', '/v1/credentials', { key: harness.keys.acme, body: { format: 'dc+sd-jwt', vct: VCT, ...body } });
      expect(response.status, JSON.stringify(body)).toBe(400);
      if (field !== 'body') expect(response.json).toMatchObject({ type: 'urn:did-notary:problem:invalid-credential-request', field });
    }
  });
});

describe('presentations made by the @sd-jwt holder', () => {
  let sdJwt: string;
  beforeAll(async () => {
    sdJwt = (await issue({ claims: { given_name: 'Alice', birthdate: '2000-01-01', age_over_18: true }, holder: { jwk: holder.publicJwk } })).sdJwt;
  });

  it('verifies a presentation disclosing one claim of three, and shows exactly that claim', async () => {
    const presentation = await present(sdJwt, { age_over_18: true }, { nonce: 'n-1', aud: 'https://shop.example' });
    const result = await verify({ credential: presentation, nonce: 'n-1', audience: 'https://shop.example' });
    expect(result).toMatchObject({
      verified: true,
      format: 'dc+sd-jwt',
      claims: { age_over_18: true },
      disclosed: [['age_over_18']],
      checks: { signature: true, disclosures: true, keyBinding: true, nonce: true, audience: true, status: true },
      errors: [],
    });
    expect(Object.keys(result.claims!)).toEqual(['age_over_18']);
    // The library's own verifier agrees, key binding included.
    const libraryVerifier = await metadataVerifier(harness.url, async (data, signature, payload) =>
      (await ES256.getVerifier((payload as { cnf: { jwk: object } }).cnf.jwk))(data, signature));
    expect((await libraryVerifier.verify(presentation, { keyBindingNonce: 'n-1' })).kb?.payload).toMatchObject({ aud: 'https://shop.example', nonce: 'n-1' });
  });

  it('shows nested claims and array elements disclosed one by one', async () => {
    const issued = await issue({ claims: PERSON, disclosable: PERSON_DISCLOSABLE, holder: { jwk: holder.publicJwk } });
    const presentation = await present(issued.sdJwt, { address: { locality: true }, nationalities: { 1: true } }, { nonce: 'n-2', aud: 'https://shop.example' });
    const result = await verify({ credential: presentation, nonce: 'n-2', audience: 'https://shop.example' });
    expect(result).toMatchObject({ verified: true, claims: { address: { locality: 'Berlin', country: 'DE' }, nationalities: ['FR'] } });
    expect(result.disclosed).toEqual([['address', 'locality'], ['nationalities', 0]]);
  });

  it('binds to a holder DID: the cnf names its key, and the KB-JWT it signs verifies', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
    const did = `did:key:${bytesToMultibase(Buffer.from(jwk.x, 'base64url'), 'base58btc', 'ed25519-pub')}`;
    const issued = await issue({ claims: { member: true }, holder: { did } });
    expect(issued.credential.cnf).toEqual({ kid: `${did}#${did.slice('did:key:'.length)}` });
    const presentation = await present(issued.sdJwt, { member: true }, { nonce: 'n-3', aud: 'https://shop.example' }, ed25519Signer(jwk), 'EdDSA');
    expect(await verify({ credential: presentation, nonce: 'n-3', audience: 'https://shop.example' })).toMatchObject({ verified: true, claims: { member: true } });
  });

  describe('negative cases, each with its own code', () => {
    const replaceDisclosure = (presentation: string, index: number, make: (decoded: unknown[]) => unknown[]) => {
      const parts = presentation.split('~');
      const decoded = JSON.parse(Buffer.from(parts[index]!, 'base64url').toString()) as unknown[];
      parts[index] = Buffer.from(JSON.stringify(make(decoded))).toString('base64url');
      return parts.join('~');
    };
    const kb = { nonce: 'n-9', aud: 'https://shop.example' };
    const expectation = { nonce: 'n-9', audience: 'https://shop.example' };

    it('a tampered disclosure → invalid-disclosure', async () => {
      const presentation = await present(sdJwt, { age_over_18: true }, kb);
      const tampered = replaceDisclosure(presentation, 1, ([salt, name]) => [salt, name, false]);
      expect(codesOf(await verify({ credential: tampered, ...expectation }))).toContain('invalid-disclosure');
      // also without key binding, where nothing else fails
      const plain = `${sdJwt.split('~')[0]}~${replaceDisclosure(sdJwt, 1, ([salt, name]) => [salt, name, 'Mallory']).split('~')[1]}~`;
      expect(codesOf(await verify({ credential: plain }))).toEqual(['invalid-disclosure']);
    });

    it('one disclosure added twice → duplicate-disclosure', async () => {
      const [jwt, first] = sdJwt.split('~');
      expect(codesOf(await verify({ credential: `${jwt}~${first}~${first}~` }))).toEqual(['duplicate-disclosure']);
    });

    it('a KB-JWT for another audience → wrong-audience', async () => {
      const presentation = await present(sdJwt, { age_over_18: true }, { ...kb, aud: 'https://other.example' });
      expect(codesOf(await verify({ credential: presentation, ...expectation }))).toEqual(['wrong-audience']);
    });

    it('a KB-JWT with a stale nonce → nonce-mismatch', async () => {
      const presentation = await present(sdJwt, { age_over_18: true }, { ...kb, nonce: 'an-old-nonce' });
      expect(codesOf(await verify({ credential: presentation, ...expectation }))).toEqual(['nonce-mismatch']);
    });

    it('a KB-JWT signed by a key other than cnf → invalid-key-binding', async () => {
      const intruder = await libraryKey();
      const presentation = await present(sdJwt, { age_over_18: true }, kb, intruder.signer);
      expect(codesOf(await verify({ credential: presentation, ...expectation }))).toEqual(['invalid-key-binding']);
    });

    it('a KB-JWT made long ago → stale-key-binding', async () => {
      const presentation = await present(sdJwt, { age_over_18: true }, { ...kb, iat: now() - 3_600 });
      expect(codesOf(await verify({ credential: presentation, ...expectation }))).toEqual(['stale-key-binding']);
    });

    it('a disclosure dropped after the holder signed → sd-hash-mismatch', async () => {
      const presentation = await present(sdJwt, { age_over_18: true, given_name: true }, kb);
      const parts = presentation.split('~');
      const dropped = [parts[0], parts[2], parts[3]].join('~');
      expect(codesOf(await verify({ credential: dropped, ...expectation }))).toEqual(['sd-hash-mismatch']);
    });

    it('no KB-JWT where the verifier expects one → key-binding-missing', async () => {
      expect(codesOf(await verify({ credential: sdJwt, ...expectation }))).toEqual(['key-binding-missing']);
    });

    it('an expired credential (validUntil in the past) → expired', async () => {
      const issued = await issue({ claims: { a: 1 }, validUntil: new Date(Date.now() + 60_000).toISOString() });
      harness.clock.offsetMs = 3_600_000;
      try {
        expect(codesOf(await verify({ credential: issued.sdJwt }))).toEqual(['expired']);
      } finally {
        harness.clock.offsetMs = 0;
      }
    });

    it('an SD-JWT whose issuer key is not in the issuer metadata → unknown-issuer-key; the right kid with another key → invalid-signature', async () => {
      const stranger = await libraryKey();
      for (const [kid, code] of [['not-a-key-of-the-service', 'unknown-issuer-key'], [harness.services.keys.es256().id, 'invalid-signature']] as const) {
        const forged = await sdJwtVc({ signer: stranger.signer, signAlg: 'ES256' }).issue({ iss: harness.url, iat: now(), vct: VCT, given_name: 'Mallory' }, { _sd: ['given_name'] }, { header: { kid } });
        expect(codesOf(await verify({ credential: forged })), kid).toEqual([code]);
      }
    });
  });
});

describe('revocation and suspension through the Token Status List', () => {
  it('revokes, suspends and reinstates: the service and the @sd-jwt verifier read the signed list alike', async () => {
    const suspended = await issue({ claims: { a: 1 } });
    const revoked = await issue({ claims: { a: 2 } });
    const path = (id: string, action: string) => `/v1/credentials/${encodeURIComponent(id)}/${action}`;
    expect((await call(harness, 'POST', path(suspended.id, 'suspend'), { key: harness.keys.acme })).json).toMatchObject({ state: 'suspended', statusList: { purpose: 'suspension' } });
    expect((await call(harness, 'POST', path(revoked.id, 'revoke'), { key: harness.keys.acme })).json).toMatchObject({ state: 'revoked' });
    expect(codesOf(await verify({ credential: suspended.sdJwt }))).toEqual(['suspended']);
    expect(codesOf(await verify({ credential: revoked.sdJwt }))).toEqual(['revoked']);

    const list = await fetch(revoked.status[0]!.status_list.uri, { headers: { accept: 'application/statuslist+jwt' } });
    expect(list.headers.get('content-type')).toMatch(/^application\/statuslist\+jwt/);
    const verifier = await metadataVerifier(harness.url);
    await expect(verifier.verify(revoked.sdJwt)).rejects.toThrow(/Status is not valid/);
    await expect(verifier.verify(suspended.sdJwt)).rejects.toThrow(/Status is not valid/);

    expect((await call(harness, 'POST', path(suspended.id, 'reinstate'), { key: harness.keys.acme })).json.state).toBe('active');
    expect(await verify({ credential: suspended.sdJwt })).toMatchObject({ verified: true, checks: { status: true } });
    await expect(verifier.verify(suspended.sdJwt)).resolves.toBeDefined();
  });
});

describe('SD-JWT VCs of another issuer, made with @sd-jwt', () => {
  let server: http.Server;
  let issuerUrl: string;
  let issuerKey: LibraryKey;
  let statusListJwt = '';
  beforeAll(async () => {
    issuerKey = await libraryKey();
    server = http.createServer((req, res) => {
      if (req.url === '/.well-known/jwt-vc-issuer') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: issuerUrl, jwks: { keys: [{ ...issuerKey.publicJwk, kid: 'k1' }] } }));
      } else if (req.url === '/status/1') {
        res.setHeader('content-type', 'application/statuslist+jwt');
        res.end(statusListJwt);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The issuer's Token Status List: index 7 revoked, built with @owf/token-status-list and signed here.
    const statuses = new Array<number>(1024).fill(0);
    statuses[7] = 1;
    const { header, payload } = createHeaderAndPayload(new StatusList(statuses, 2), { sub: `${issuerUrl}/status/1`, iat: now() }, { alg: 'ES256', typ: 'statuslist+jwt', kid: 'k1' });
    const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = nodeSign('sha256', Buffer.from(signingInput), { key: createPrivateKey({ key: issuerKey.privateJwk as { kty: string }, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
    statusListJwt = `${signingInput}.${signature.toString('base64url')}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const foreign = (idx: number) =>
    sdJwtVc({ signer: issuerKey.signer, signAlg: 'ES256' }).issue(
      { iss: issuerUrl, iat: now(), vct: VCT, given_name: 'Bob', cnf: { jwk: holder.publicJwk }, status: { status_list: { idx, uri: `${issuerUrl}/status/1` } } },
      { _sd: ['given_name'] },
      { header: { kid: 'k1' } },
    );

  it('finds the key in the issuer metadata it fetches, and reads the issuer\'s status list', async () => {
    const presentation = await present(await foreign(3), { given_name: true }, { nonce: 'n-f', aud: 'https://shop.example' });
    expect(await verify({ credential: presentation, nonce: 'n-f', audience: 'https://shop.example' })).toMatchObject({ verified: true, claims: { given_name: 'Bob' }, checks: { status: true } });
    expect(codesOf(await verify({ credential: await foreign(7) }))).toEqual(['revoked']);
  });
});
