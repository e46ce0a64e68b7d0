// End to end through HTTP: issue, verify (ours and foreign issuers), revoke/suspend/reinstate, status
// lists, idempotency, DID resolution and the did:web document, on real Anvil and a real store.
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createJWS, createJWT, ES256KSigner, hexToBytes, verifyJWT, type JWTHeader } from 'did-jwt';
import { createVerifiableCredentialJwt, verifyCredential, type JwtCredentialPayload } from 'did-jwt-vc';
import { Resolver } from 'did-resolver';
import { getResolver as ethrResolver } from 'ethr-did-resolver';
import { Command } from 'commander';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerCredentialCommands } from '../../../src/cli/credential';
import { registerDidCommands } from '../../../src/cli/did';
import { registerKeysCommand } from '../../../src/cli/keys';
import { signReceiptCredential } from '../../../src/identity/credentials/issuance/receipt-credential';
import { ANCHORED_RECEIPT } from './helpers/anchored-receipt';
import { call, startIdentityHarness, type IdentityHarness } from './helpers/identity-harness';
import { freshDidEthr, freshDidKey, type TestIssuer } from './helpers/test-keys';

let harness: IdentityHarness;
/** A did:ethr resolver built here from ethr-did-resolver alone: independent of the service's code. */
let independentResolver: Parameters<typeof verifyCredential>[1];

beforeAll(async () => {
  harness = await startIdentityHarness();
  // did-jwt-vc declares an older did-resolver's Resolvable: same shape
  independentResolver = new Resolver(
    ethrResolver({ networks: [{ chainId: harness.chainId, rpcUrl: harness.rpcUrl, registry: harness.didRegistry }] }),
  ) as unknown as Parameters<typeof verifyCredential>[1];
});
afterAll(async () => {
  await harness?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const V1 = 'https://www.w3.org/2018/credentials/v1';
/** A VC-JOSE-COSE header (did-jwt's header type knows only `typ: JWT`). */
const VC_JWT_EDDSA = { alg: 'EdDSA', typ: 'vc+jwt' } as unknown as Partial<JWTHeader>;

function vcPayload(subject: string, extra: Partial<JwtCredentialPayload> = {}): JwtCredentialPayload {
  return {
    sub: subject,
    nbf: now() - 10,
    vc: { '@context': [V1], type: ['VerifiableCredential', 'TestCredential'], credentialSubject: { name: 'Alice' } },
    ...extra,
  };
}

function signVc(issuer: TestIssuer, payload: JwtCredentialPayload): Promise<string> {
  return createVerifiableCredentialJwt(payload, { did: issuer.did, signer: issuer.signer, alg: issuer.alg });
}

const isoAt = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A credential whose `vc` carries its own dates (`fields`); `extra` adds or replaces JWT claims. */
function withCredentialFields(subject: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}): JwtCredentialPayload {
  const payload = vcPayload(subject, extra as Partial<JwtCredentialPayload>);
  return { ...payload, vc: { ...payload.vc, ...fields } };
}

/** Signs the payload exactly as given, with did-jwt: did-jwt-vc would move vc.expirationDate into `exp`. */
function signAsIs(issuer: TestIssuer, payload: JwtCredentialPayload): Promise<string> {
  return createJWT({ ...payload }, { issuer: issuer.did, signer: issuer.signer }, { alg: issuer.alg });
}

async function issue(body: Record<string, unknown>, key = harness.keys.acme, headers: Record<string, string> = {}) {
  return call(harness, 'POST', '/v1/credentials', { key, body, headers });
}

async function verify(body: Record<string, unknown>) {
  const response = await call(harness, 'POST', '/v1/credentials/verify', { body });
  expect(response.status).toBe(200);
  return response.json as { verified: boolean; errors: Array<{ code: string; message: string }>; checks: Record<string, unknown>; issuer: string | null; subject: string | null };
}

const codesOf = (result: { errors: Array<{ code: string }> }) => result.errors.map((e) => e.code);

describe('issuing', () => {
  it('issues a VC Data Model 2.0 credential (VC-JOSE-COSE) that plain did-jwt verifies with an ethr-did-resolver built in the test', async () => {
    const holder = freshDidKey();
    const validUntil = '2030-01-01T00:00:00Z';
    const response = await issue({ subject: holder.did, type: 'MembershipCredential', claims: { member: { level: 'gold' } }, validUntil });
    expect(response.status).toBe(201);
    const { jwt, id, credential, status, format, dataModel } = response.json;
    expect({ format, dataModel }).toEqual({ format: 'jwt_vc_json', dataModel: '2.0' });
    expect(id).toMatch(/^urn:uuid:/);
    expect(credential).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id,
      type: ['VerifiableCredential', 'MembershipCredential'],
      issuer: harness.services.identity.did,
      validUntil,
      credentialSubject: { id: holder.did, member: { level: 'gold' } },
    });
    expect(credential.validFrom).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(status.map((s: { statusPurpose: string }) => s.statusPurpose)).toEqual(['revocation', 'suspension']);

    const [header, payload] = jwt.split('.').slice(0, 2).map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'ES256K', typ: 'vc+jwt' });
    // The payload is the credential itself, with the JWT claims that repeat it.
    expect(payload).toMatchObject({ ...credential, iss: harness.services.identity.did, jti: id, sub: holder.did, exp: Date.parse(validUntil) / 1000 });
    expect(payload.vc).toBeUndefined();
    const verified = await verifyJWT(jwt, { resolver: independentResolver as never, proofPurpose: 'assertionMethod' });
    expect(verified.issuer).toBe(harness.services.identity.did);
    expect(verified.issuer).toMatch(/^did:ethr:0x7a69:0x[0-9a-f]{40}$/);
  });

  it('issues the VC Data Model 1.1 form on request, which plain did-jwt-vc verifies', async () => {
    const holder = freshDidKey();
    const response = await issue({ subject: holder.did, type: 'MembershipCredential', claims: { member: { level: 'gold' } }, dataModel: '1.1' });
    expect(response.status).toBe(201);
    const { jwt, credential, dataModel } = response.json;
    expect(dataModel).toBe('1.1');
    expect(credential.type).toEqual(['VerifiableCredential', 'MembershipCredential']);
    expect(credential.credentialSubject).toEqual({ id: holder.did, member: { level: 'gold' } });
    const verified = await verifyCredential(jwt, independentResolver);
    expect(verified.verified).toBe(true);
    expect(verified.issuer).toBe(harness.services.identity.did);
    expect(JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString())).toEqual({ alg: 'ES256K', typ: 'JWT' });
    expect(await verify({ jwt })).toMatchObject({ verified: true, dataModel: '1.1', claims: { member: { level: 'gold' } } });
  });

  it('signs a 2.0 credential ES256 as its did:web on request, which jose verifies given only the DID document, and did-jwt too', async () => {
    const holder = freshDidKey();
    const response = await issue({ subject: holder.did, type: 'MembershipCredential', claims: { level: 'gold' }, alg: 'ES256' });
    expect(response.status).toBe(201);
    const { jwt } = response.json;
    const didWeb = harness.services.didWeb();
    const document = await (await fetch(`${harness.url}/.well-known/did.json`)).json();
    const header = jose.decodeProtectedHeader(jwt);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'vc+jwt', kid: `${didWeb}#${harness.services.keys.es256().id}` });
    const method = document.verificationMethod.find((m: { id: string }) => m.id === header.kid);
    const { payload } = await jose.jwtVerify(jwt, await jose.importJWK(method.publicKeyJwk, 'ES256'), { typ: 'vc+jwt', issuer: didWeb });
    expect(payload).toMatchObject({ '@context': ['https://www.w3.org/ns/credentials/v2'], issuer: didWeb, credentialSubject: { id: holder.did, level: 'gold' } });
    const staticResolver = { resolve: async () => ({ didDocument: document, didDocumentMetadata: {}, didResolutionMetadata: {} }) };
    expect((await verifyJWT(jwt, { resolver: staticResolver as never, proofPurpose: 'assertionMethod' })).issuer).toBe(didWeb);
    expect(await verify({ credential: jwt })).toMatchObject({ verified: true, issuer: didWeb, dataModel: '2.0', checks: { status: true } });
    // The 1.1 form is the did:ethr's only.
    expect((await issue({ subject: holder.did, type: 'T', claims: {}, alg: 'ES256', dataModel: '1.1' })).status).toBe(400);
  });

  it('answers with the credential itself, as application/vc+jwt, to a client that asks for that media type', async () => {
    const response = await issue({ subject: freshDidKey().did, type: 'T', claims: { n: 1 } }, harness.keys.acme, { accept: 'application/vc+jwt' });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
    expect(await verify({ jwt: response.text })).toMatchObject({ verified: true, format: 'jwt_vc_json', dataModel: '2.0', claims: { n: 1 } });
  });

  it('verifies its own credential through the service with every check passing', async () => {
    const holder = freshDidKey();
    const { json } = await issue({ subject: holder.did, type: ['A', 'B'], claims: { x: 1 }, expirationDate: new Date(Date.now() + 3_600_000).toISOString() });
    const result = await verify({ jwt: json.jwt, trustedIssuers: [harness.services.identity.did], expectedTypes: ['A', 'B'] });
    expect(result).toMatchObject({
      verified: true,
      issuer: harness.services.identity.did,
      subject: holder.did,
      checks: { signature: true, notBefore: true, expiry: true, status: true, audience: true, trustedIssuer: true, type: true },
      errors: [],
    });
    const distrusted = await verify({ jwt: json.jwt, trustedIssuers: ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'], expectedTypes: ['C'] });
    expect(codesOf(distrusted).sort()).toEqual(['untrusted-issuer', 'wrong-type']);
  });

  it('honours Idempotency-Key per tenant and refuses the same key with another body', async () => {
    const body = { subject: freshDidKey().did, type: 'T', claims: { n: 1 } };
    const first = await issue(body, harness.keys.acme, { 'idempotency-key': 'order-1' });
    const again = await issue(body, harness.keys.acme, { 'idempotency-key': 'order-1' });
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const otherTenant = await issue(body, harness.keys.other, { 'idempotency-key': 'order-1' });
    expect(otherTenant.json.id).not.toBe(first.json.id);
    const changed = await issue({ ...body, claims: { n: 2 } }, harness.keys.acme, { 'idempotency-key': 'order-1' });
    expect(changed.status).toBe(422);
    expect(changed.json.type).toBe('urn:did-notary:problem:idempotency-key-mismatch');
  });

  it('refuses bad requests as problems: no key, invalid subject, reserved type, duplicate id', async () => {
    expect((await call(harness, 'POST', '/v1/credentials', { body: { subject: 'did:key:z', type: 'T', claims: {} } })).status).toBe(401);
    const badSubject = await issue({ subject: 'alice', type: 'T', claims: {} });
    expect(badSubject.status).toBe(400);
    const reserved = await issue({ subject: freshDidKey().did, type: 'DocumentNotarization', claims: {} });
    expect(reserved.status).toBe(400);
    expect(reserved.json).toMatchObject({ type: 'urn:did-notary:problem:invalid-credential-request', field: 'type' });
    const id = `urn:uuid:${crypto.randomUUID()}`;
    expect((await issue({ id, subject: freshDidKey().did, type: 'T', claims: {} })).status).toBe(201);
    const duplicate = await issue({ id, subject: freshDidKey().did, type: 'T', claims: {} });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.type).toBe('urn:did-notary:problem:credential-exists');
  });
});

describe('revocation and suspension', () => {
  it('revokes: verification says revoked, the signed list has the bit set, and its hash is notarized', async () => {
    const { json } = await issue({ subject: freshDidKey().did, type: 'T', claims: {} });
    const before = harness.notarized.length;
    const revoked = await call(harness, 'POST', `/v1/credentials/${encodeURIComponent(json.id)}/revoke`, { key: harness.keys.acme });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ id: json.id, state: 'revoked', statusList: { purpose: 'revocation' } });

    const result = await verify({ jwt: json.jwt });
    expect(result.verified).toBe(false);
    expect(codesOf(result)).toEqual(['revoked']);
    expect(result.checks.status).toBe(false);

    const entry = json.status[0];
    const listResponse = await fetch(entry.statusListCredential);
    expect(listResponse.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
    const listJwt = await listResponse.text();
    // A VC Data Model 2.0 list (Bitstring Status List v1.0 §2.2): the payload is the credential.
    const list = await verifyJWT(listJwt, { resolver: independentResolver as never, proofPurpose: 'assertionMethod' });
    expect(JSON.parse(Buffer.from(listJwt.split('.')[0]!, 'base64url').toString()).typ).toBe('vc+jwt');
    expect(list.payload['@context']).toEqual(['https://www.w3.org/ns/credentials/v2']);
    expect(list.payload.type).toContain('BitstringStatusListCredential');
    expect(list.payload.id).toBe(entry.statusListCredential);
    const subject = list.payload.credentialSubject as { statusPurpose: string; encodedList: string };
    expect(subject.statusPurpose).toBe('revocation');
    expect(subject.encodedList.startsWith('u')).toBe(true);
    const bits = gunzipSync(Buffer.from(subject.encodedList.slice(1), 'base64url'));
    expect(bits.length * 8).toBeGreaterThanOrEqual(131_072);
    const index = Number(entry.statusListIndex);
    expect((bits[index >> 3]! >> (7 - (index % 8))) & 1).toBe(1);
    const digest = createHash('sha256').update(listJwt).digest('hex');
    expect(harness.notarized.slice(before).map((d) => Buffer.from(d).toString('hex'))).toContain(digest);

    const again = await call(harness, 'POST', `/v1/credentials/${encodeURIComponent(json.id)}/revoke`, { key: harness.keys.acme });
    expect(again.json.statusList.version).toBe(revoked.json.statusList.version);
    const reinstate = await call(harness, 'POST', `/v1/credentials/${encodeURIComponent(json.id)}/reinstate`, { key: harness.keys.acme });
    expect(reinstate.status).toBe(409);
    expect(reinstate.json.type).toBe('urn:did-notary:problem:credential-revoked');
  });

  it('suspends and reinstates (round trip), only for the owning tenant or an admin', async () => {
    const { json } = await issue({ subject: freshDidKey().did, type: 'T', claims: {} });
    const path = (action: string) => `/v1/credentials/${encodeURIComponent(json.id)}/${action}`;
    const stranger = await call(harness, 'POST', path('suspend'), { key: harness.keys.other });
    expect(stranger.status).toBe(404);
    expect((await call(harness, 'POST', path('suspend'), { key: harness.keys.acme })).json.state).toBe('suspended');
    expect(codesOf(await verify({ jwt: json.jwt }))).toEqual(['suspended']);
    expect((await call(harness, 'POST', path('reinstate'), { key: harness.keys.admin })).json.state).toBe('active');
    expect((await verify({ jwt: json.jwt })).verified).toBe(true);
    const list = await call(harness, 'GET', new URL(json.status[1].statusListCredential).pathname, { headers: { accept: 'application/json' } });
    expect(list.json).toMatchObject({ purpose: 'suspension' });
    expect(list.json.version).toBeGreaterThanOrEqual(3);
  });

  it('answers 404 problems for unknown credentials and status lists', async () => {
    expect((await call(harness, 'POST', '/v1/credentials/urn:uuid:nope/revoke', { key: harness.keys.acme })).json.type).toBe(
      'urn:did-notary:problem:credential-not-found',
    );
    expect((await call(harness, 'GET', '/v1/status-lists/revocation-000000000000')).status).toBe(404);
  });
});

describe('credentials from other issuers', () => {
  it('verifies a credential issued here by a fresh did:key (EdDSA)', async () => {
    const issuer = freshDidKey();
    const result = await verify({ jwt: await signVc(issuer, vcPayload(freshDidKey().did)) });
    expect(result).toMatchObject({ verified: true, issuer: issuer.did, checks: { signature: true, status: null } });
  });

  it('verifies a credential issued here by a fresh did:ethr (ES256K-R and ES256K)', async () => {
    for (const alg of ['ES256K-R', 'ES256K'] as const) {
      const issuer = freshDidEthr(harness.chainId, alg);
      const result = await verify({ jwt: await signVc(issuer, vcPayload(freshDidKey().did)) });
      expect(result, alg).toMatchObject({ verified: true, issuer: issuer.did });
    }
  });
});

describe('VC Data Model 2.0 credentials of other issuers', () => {
  const v2Credential = (issuer: string, extra: Record<string, unknown> = {}) => ({
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', 'TestCredential'],
    issuer,
    validFrom: isoAt(now() - 10).replace('.000Z', 'Z'),
    credentialSubject: { id: freshDidKey().did, name: 'Alice' },
    ...extra,
  });

  it('verifies a vc+jwt whose issuer is only in the credential (no iss claim), signed by a did:key', async () => {
    const issuer = freshDidKey();
    const jwt = await createJWS(v2Credential(issuer.did), issuer.signer, VC_JWT_EDDSA);
    expect(await verify({ jwt })).toMatchObject({ verified: true, issuer: issuer.did, dataModel: '2.0', claims: { name: 'Alice' }, checks: { signature: true } });
    const forged = await createJWS(v2Credential(issuer.did), freshDidKey().signer, VC_JWT_EDDSA);
    expect(codesOf(await verify({ jwt: forged }))).toEqual(['invalid-signature']);
  });

  it('refuses an expired validUntil, and a vc+jwt carrying a vc claim', async () => {
    const issuer = freshDidKey();
    const expired = await createJWS(v2Credential(issuer.did, { validUntil: isoAt(now() - 3600) }), issuer.signer, VC_JWT_EDDSA);
    expect(codesOf(await verify({ jwt: expired }))).toEqual(['expired']);
    const mixed = await createJWS({ ...v2Credential(issuer.did), vc: {} }, issuer.signer, VC_JWT_EDDSA);
    expect(codesOf(await verify({ jwt: mixed }))).toEqual(['invalid-credential']);
  });
});

describe('status lists of other issuers', () => {
  let server: http.Server;
  let base: string;
  const lists = new Map<string, string>();
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const jwt = lists.get(req.url ?? '');
      if (!jwt) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/vc+jwt');
      res.end(jwt);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function publishList(
    path: string,
    signer: TestIssuer,
    setIndex: number,
    shape: { bytes?: number; type?: string; subjectType?: string } = {},
  ): Promise<string> {
    const bits = Buffer.alloc(shape.bytes ?? 16_384);
    bits[setIndex >> 3] |= 0x80 >> (setIndex % 8);
    lists.set(path, await signVc(signer, {
      nbf: now() - 10,
      vc: {
        '@context': [V1],
        type: ['VerifiableCredential', shape.type ?? 'BitstringStatusListCredential'],
        credentialSubject: { id: `${base}${path}#list`, type: shape.subjectType ?? 'BitstringStatusList', statusPurpose: 'revocation', encodedList: `u${gzipSync(bits).toString('base64url')}` },
      },
    }));
    return `${base}${path}`;
  }

  const withStatus = (url: string, index: number) =>
    vcPayload(freshDidKey().did, {
      vc: {
        '@context': [V1],
        type: ['VerifiableCredential'],
        credentialSubject: { name: 'Bob' },
        credentialStatus: { id: `${url}#${index}`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: url } as never,
      },
    });

  it('reads a VC Data Model 2.0 status list of a did:key issuer', async () => {
    const issuer = freshDidKey();
    const bits = Buffer.alloc(16_384);
    bits[9 >> 3] |= 0x80 >> (9 % 8);
    const url = `${base}/lists/v2`;
    lists.set('/lists/v2', await createJWS({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: url,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: issuer.did,
      validFrom: isoAt(now() - 10),
      credentialSubject: { id: `${url}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: `u${gzipSync(bits).toString('base64url')}` },
    }, issuer.signer, VC_JWT_EDDSA));
    expect(codesOf(await verify({ jwt: await signVc(issuer, withStatus(url, 9)) }))).toEqual(['revoked']);
    expect(await verify({ jwt: await signVc(issuer, withStatus(url, 10)) })).toMatchObject({ verified: true, checks: { status: true } });
  });

  it('reads a did:key issuer\'s own status list: set bit → revoked, clear bit → valid', async () => {
    const issuer = freshDidKey();
    const url = await publishList('/lists/1', issuer, 42);
    expect(codesOf(await verify({ jwt: await signVc(issuer, withStatus(url, 42)) }))).toEqual(['revoked']);
    expect(await verify({ jwt: await signVc(issuer, withStatus(url, 43)) })).toMatchObject({ verified: true, checks: { status: true } });
  });

  it('does not take a credential of another type, or a list shorter than the specification\'s minimum, as a status list', async () => {
    const issuer = freshDidKey();
    const wrongType = await publishList('/lists/wrong-type', issuer, 3, { type: 'Membership' });
    const wrongSubject = await publishList('/lists/wrong-subject', issuer, 3, { subjectType: 'SomethingElse' });
    const short = await publishList('/lists/short', issuer, 3, { bytes: 1_024 });
    for (const url of [wrongType, wrongSubject, short]) {
      const result = await verify({ jwt: await signVc(issuer, withStatus(url, 3)) });
      expect(codesOf(result), url).toEqual(['status-unavailable']);
    }
  });

  it('does not trust a status list signed by someone else, nor one it cannot fetch', async () => {
    const issuer = freshDidKey();
    const url = await publishList('/lists/2', freshDidKey(), 1);
    expect(codesOf(await verify({ jwt: await signVc(issuer, withStatus(url, 7)) }))).toEqual(['status-unavailable']);
    expect(codesOf(await verify({ jwt: await signVc(issuer, withStatus(`${base}/lists/missing`, 7)) }))).toEqual(['status-unavailable']);
    expect(codesOf(await verify({ jwt: await signVc(issuer, withStatus('https://10.0.0.1/list', 7)) }))).toEqual(['status-unavailable']);
  });
});

describe('negative vectors, each with its own code', () => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const validPayload = (issuer: string) => ({ iss: issuer, ...vcPayload('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK') });

  const cases: Array<[string, string, () => Promise<string>, Record<string, unknown>?]> = [
    ['alg none', 'alg-not-allowed', async () => `${encode({ alg: 'none', typ: 'JWT' })}.${encode(validPayload(harness.services.identity.did))}.`],
    [
      'HS256 with the public key as secret', 'alg-not-allowed',
      async () => {
        const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(validPayload(harness.services.identity.did))}`;
        const jwk = harness.services.identity.publicKeyJwk;
        const secret = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
        return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      },
    ],
    [
      'signature by another key', 'invalid-signature',
      async () => {
        const victim = freshDidEthr(harness.chainId);
        const attacker = freshDidEthr(harness.chainId);
        return signVc({ ...attacker, did: victim.did }, vcPayload(freshDidKey().did));
      },
    ],
    [
      'tampered payload', 'invalid-signature',
      async () => {
        const jwt = await signVc(freshDidKey(), vcPayload(freshDidKey().did));
        const [header, payload, signature] = jwt.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        claims.vc.credentialSubject.name = 'Mallory';
        return `${header}.${encode(claims)}.${signature}`;
      },
    ],
    ['expired', 'expired', async () => signVc(freshDidKey(), vcPayload(freshDidKey().did, { nbf: now() - 7200, exp: now() - 3600 }))],
    ['vc.validUntil in the past', 'expired', async () => signAsIs(freshDidKey(), withCredentialFields(freshDidKey().did, { validUntil: isoAt(now() - 3600) }))],
    ['vc.validFrom in the future', 'not-yet-valid', async () => signAsIs(freshDidKey(), withCredentialFields(freshDidKey().did, { validFrom: isoAt(now() + 3600) }, { nbf: undefined }))],
    ['vc.expirationDate in the past, no exp', 'expired', async () => signAsIs(freshDidKey(), withCredentialFields(freshDidKey().did, { expirationDate: isoAt(now() - 3600) }))],
    [
      'exp and vc.expirationDate disagree', 'invalid-credential',
      async () => signAsIs(freshDidKey(), withCredentialFields(freshDidKey().did, { expirationDate: isoAt(now() + 86_400) }, { exp: now() + 3600 })),
    ],
    ['not yet valid beyond the skew', 'not-yet-valid', async () => signVc(freshDidKey(), vcPayload(freshDidKey().did, { nbf: now() + 600 }))],
    ['wrong aud', 'wrong-audience', async () => signVc(freshDidKey(), vcPayload(freshDidKey().did, { aud: 'did:web:elsewhere.example' })), { audience: 'did:web:me.example' }],
    [
      'unknown DID (did:web answering 404)', 'unknown-did',
      async () => {
        const host = encodeURIComponent(new URL(harness.url).host);
        return signVc({ ...freshDidKey(), did: `did:web:${host}:nobody` }, vcPayload(freshDidKey().did));
      },
    ],
    ['unresolvable DID (did:web on a private address)', 'unresolvable-did', async () => signVc({ ...freshDidKey(), did: 'did:web:10.0.0.1' }, vcPayload(freshDidKey().did))],
    ['unresolvable DID (did:ethr on an unconfigured chain)', 'unresolvable-did', async () => signVc(freshDidEthr(1337), vcPayload(freshDidKey().did))],
    ['unsupported DID method', 'unsupported-did-method', async () => signVc({ ...freshDidKey(), did: 'did:example:123456' }, vcPayload(freshDidKey().did))],
    ['malformed JWT: two parts', 'malformed-jwt', async () => 'eyJhbGciOiJFUzI1NksifQ.eyJpc3MiOiJkaWQ6a2V5OnoifQ'],
    ['malformed JWT: bad base64', 'malformed-jwt', async () => 'eyJhbGciOiJFUzI1NksifQ.eyJp*3MiOiJk.c2ln'],
    ['malformed JWT: huge header', 'malformed-jwt', async () => `${encode({ alg: 'ES256K', pad: 'x'.repeat(10_000) })}.${encode(validPayload('did:key:z6Mk'))}.c2ln`],
    ['not a credential', 'invalid-credential', async () => createJWT({ iss: 'x', sub: 'y' }, { issuer: freshDidKey().did, signer: freshDidKey().signer }, { alg: 'EdDSA' })],
  ];

  it.each(cases)('%s → %s', async (_name, code, make, extra) => {
    const result = await verify({ jwt: await make(), ...extra });
    expect(result.verified).toBe(false);
    expect(codesOf(result)).toEqual([code]);
  });

  it('accepts times within the 60 s skew', async () => {
    const jwt = await signVc(freshDidKey(), vcPayload(freshDidKey().did, { nbf: now() + 30, exp: now() - 30 }));
    expect((await verify({ jwt })).verified).toBe(true);
  });

  it('refuses a malformed request as a 400 problem', async () => {
    const response = await call(harness, 'POST', '/v1/credentials/verify', { body: { jwt: 42 } });
    expect(response.status).toBe(400);
    expect(response.json.type).toBe('urn:did-notary:problem:validation-failed');
  });
});

describe('DIDs', () => {
  it('resolves did:ethr, did:key and did:web through GET /v1/dids/{did}', async () => {
    const ethr = await call(harness, 'GET', `/v1/dids/${encodeURIComponent(harness.services.identity.did)}`);
    expect(ethr.status).toBe(200);
    expect(ethr.json.didDocument.id).toBe(harness.services.identity.did);
    const key = freshDidKey();
    expect((await call(harness, 'GET', `/v1/dids/${encodeURIComponent(key.did)}`)).json.didDocument.id).toBe(key.did);
    const web = harness.services.didWeb();
    expect(web).toBe(`did:web:${encodeURIComponent(new URL(harness.url).host)}`);
    const resolved = await call(harness, 'GET', `/v1/dids/${encodeURIComponent(web)}`);
    expect(resolved.json.didDocument.alsoKnownAs).toEqual([harness.services.identity.did]);
  });

  it('answers problems for unsupported, invalid, unknown and unresolvable DIDs', async () => {
    const get = (did: string) => call(harness, 'GET', `/v1/dids/${encodeURIComponent(did)}`);
    expect((await get('did:example:123')).json).toMatchObject({ status: 400, type: 'urn:did-notary:problem:unsupported-did-method' });
    expect((await get('did:key:zzzz')).json).toMatchObject({ status: 400, type: 'urn:did-notary:problem:invalid-did' });
    const host = encodeURIComponent(new URL(harness.url).host);
    expect((await get(`did:web:${host}:nobody`)).json).toMatchObject({ status: 404, type: 'urn:did-notary:problem:did-not-found' });
    const refused = await get('did:web:169.254.169.254');
    expect(refused.json).toMatchObject({ status: 502, type: 'urn:did-notary:problem:did-unresolvable' });
    expect(refused.json.detail).toMatch(/link-local/);
  });

  it('serves a did:web document that did-jwt verifies for ES256K and ES256K-R', async () => {
    const response = await fetch(`${harness.url}/.well-known/did.json`);
    expect(response.headers.get('content-type')).toMatch(/^application\/did\+json/);
    const document = await response.json();
    const did = harness.services.didWeb();
    expect(document.id).toBe(did);
    const staticResolver = { resolve: async () => ({ didDocument: document, didDocumentMetadata: {}, didResolutionMetadata: {} }) };
    for (const recoverable of [false, true]) {
      const signer = harness.services.identity.signer;
      const alg = recoverable ? 'ES256K-R' : 'ES256K';
      const jwt = recoverable
        ? await createJWT({ hello: 'world' }, { issuer: did, signer: ES256KSigner(hexToBytes(harness.signerPrivateKey), true) }, { alg })
        : await createJWT({ hello: 'world' }, { issuer: did, signer }, { alg });
      const verified = await verifyJWT(jwt, { resolver: staticResolver as never, proofPurpose: 'assertionMethod' });
      expect(verified.verified, alg).toBe(true);
    }
  });
});

describe('DID-signed receipts', () => {
  const receipt = ANCHORED_RECEIPT;

  it('wraps an anchored receipt in a DocumentNotarization credential: 2.0 verified by did-jwt, 1.1 by did-jwt-vc', async () => {
    const jwt = await signReceiptCredential(receipt, harness.services.identity);
    expect(await signReceiptCredential(receipt, harness.services.identity)).toBe(jwt);
    const verified = await verifyJWT(jwt, { resolver: independentResolver as never, proofPurpose: 'assertionMethod' });
    expect(verified.payload).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential', 'DocumentNotarization'],
      issuer: harness.services.identity.did,
      validFrom: new Date(receipt.anchor.timestamp * 1000).toISOString().replace('.000Z', 'Z'),
      credentialSubject: { cid: receipt.document.cid, receipt: { anchor: receipt.anchor, issuer: harness.services.identity.did } },
    });
    expect(await verify({ jwt })).toMatchObject({ verified: true, dataModel: '2.0', types: ['VerifiableCredential', 'DocumentNotarization'] });

    const legacy = await signReceiptCredential(receipt, harness.services.identity, '1.1');
    const legacyVerified = await verifyCredential(legacy, independentResolver);
    expect(legacyVerified.verifiableCredential.type).toEqual(['VerifiableCredential', 'DocumentNotarization']);
    expect(legacyVerified.verifiableCredential.credentialSubject).toMatchObject({ cid: receipt.document.cid, receipt: { anchor: receipt.anchor } });
  });

  it('refuses a pending receipt', async () => {
    const { batch: _batch, proof: _proof, anchor: _anchor, ...common } = receipt;
    await expect(signReceiptCredential({ ...common, status: 'pending' }, harness.services.identity)).rejects.toMatchObject({ code: 'RECEIPT_NOT_ANCHORED' });
  });
});

describe('CLI', () => {
  /** Runs `did-notary <args>` in process with the credential and did commands; returns stdout and the exit code. */
  async function run(args: string[]): Promise<{ out: string; exitCode: number }> {
    let out = '';
    const program = new Command().name('did-notary').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
    registerCredentialCommands(program);
    registerDidCommands(program);
    registerKeysCommand(program);
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
      out += `${parts.join(' ')}\n`;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    process.exitCode = 0;
    try {
      await program.parseAsync(args, { from: 'user' });
      return { out, exitCode: Number(process.exitCode ?? 0) };
    } catch (error) {
      if ((error as { code?: string }).code === 'commander.helpDisplayed') return { out, exitCode: 0 };
      throw error;
    } finally {
      process.exitCode = 0;
      log.mockRestore();
      stderr.mockRestore();
    }
  }

  it('issues, verifies and revokes a credential', async () => {
    const subject = freshDidKey().did;
    const server = ['--server', harness.url];
    const issued = await run(['credential', 'issue', ...server, '--api-key', harness.keys.acme, '--subject', subject, '--type', 'A,B', '--claims', '{"level":"gold"}', '--json']);
    const { id, jwt } = JSON.parse(issued.out);
    expect(await run(['credential', 'verify', jwt, ...server])).toMatchObject({ exitCode: 0, out: expect.stringMatching(/^verified\n/) });
    expect((await run(['credential', 'revoke', id, ...server, '--api-key', harness.keys.acme])).out).toMatch(/: revoked/);
    const after = await run(['credential', 'verify', jwt, ...server]);
    expect(after.exitCode).toBe(1);
    expect(after.out).toMatch(/NOT verified[\s\S]*revoked:/);
  });

  it('issues and verifies an SD-JWT VC', async () => {
    const server = ['--server', harness.url];
    const issued = await run([
      'credential', 'issue', ...server, '--api-key', harness.keys.acme, '--format', 'dc+sd-jwt', '--vct', 'https://example.com/member',
      '--claims', '{"level":"gold","since":2020}', '--disclosable', '[["level"]]',
    ]);
    const sdJwt = issued.out.trim();
    expect(sdJwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+~[\w-]+~$/);
    const verified = await run(['credential', 'verify', sdJwt, ...server]);
    expect(verified).toMatchObject({ exitCode: 0, out: expect.stringMatching(/^verified\n[\s\S]*claims: +{"since":2020,"level":"gold"}/) });
    const missing = await run(['credential', 'verify', sdJwt, ...server, '--nonce', 'n-1']);
    expect(missing.exitCode).toBe(1);
    expect(missing.out).toMatch(/key-binding-missing/);
  });

  it('resolves DIDs through the service and locally', async () => {
    const viaServer = await run(['did', 'resolve', harness.services.identity.did, '--server', harness.url]);
    expect(JSON.parse(viaServer.out).didDocument.id).toBe(harness.services.identity.did);
    const key = freshDidKey().did;
    expect(JSON.parse((await run(['did', 'resolve', key])).out).didDocument.id).toBe(key);
    const ethr = await run(['did', 'resolve', harness.services.identity.did, '--rpc-url', harness.rpcUrl, '--registry', harness.didRegistry]);
    expect(JSON.parse(ethr.out).didDocument.id).toBe(harness.services.identity.did);
  });

  it('explains itself with --help', async () => {
    expect((await run(['credential', 'issue', '--help'])).out).toMatch(/--format <format>[\s\S]*--subject <did>[\s\S]*--vct <type>[\s\S]*--claims <json>[\s\S]*--disclosable <paths>/);
    expect((await run(['credential', 'verify', '--help'])).out).toMatch(/--trusted-issuer/);
    expect((await run(['did', 'resolve', '--help'])).out).toMatch(/--rpc-url/);
    expect((await run(['keys', 'rotate-signer', '--help'])).out).toMatch(/ERC-1056[\s\S]*--only <alg>[\s\S]*--did-ethr <mode>[\s\S]*--keep-balance/);
  });
});
