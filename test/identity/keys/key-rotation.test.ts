// Rotating the service's signing keys on Anvil: sign, rotate, sign again. What the old keys signed (W3C
// credentials, SD-JWT VCs, status lists, receipt credentials) and what the new ones sign both verify,
// with the service and with libraries that only read the chain, the DID document or the issuer metadata;
// a signature by a key that was never the service's fails.
import { createJWT, ES256KSigner, hexToBytes, verifyJWT } from 'did-jwt';
import { verifyCredential } from 'did-jwt-vc';
import { Resolver } from 'did-resolver';
import { getResolver as ethrResolver } from 'ethr-did-resolver';
import { Wallet } from 'ethers';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHORED_RECEIPT } from '../credentials/helpers/anchored-receipt';
import { call, startIdentityHarness, type IdentityHarness } from '../credentials/helpers/identity-harness';
import { metadataVerifier } from '../credentials/helpers/sd-jwt-library';
import { freshDidKey } from '../credentials/helpers/test-keys';

let harness: IdentityHarness;
/** did:ethr resolution with ethr-did-resolver alone, straight from the chain: no cache, nothing of the service. */
let chainResolver: Resolver;
beforeAll(async () => {
  harness = await startIdentityHarness();
  chainResolver = new Resolver(ethrResolver({ networks: [{ chainId: harness.chainId, rpcUrl: harness.rpcUrl, registry: harness.didRegistry }] }));
});
afterAll(async () => {
  await harness?.stop();
});


/** One of everything the service signs, with the keys active now. */
async function signEverything() {
  const issue = async (body: Record<string, unknown>) => {
    const response = await call(harness, 'POST', '/v1/credentials', { key: harness.keys.acme, body });
    expect(response.status, response.text).toBe(201);
    return response.json;
  };
  const subject = freshDidKey().did;
  const w3c = await issue({ subject, type: 'MembershipCredential', claims: { level: 'gold' } });
  const legacy = await issue({ subject, type: 'MembershipCredential', claims: { level: 'gold' }, dataModel: '1.1' });
  const didWeb = await issue({ subject, type: 'MembershipCredential', claims: { level: 'gold' }, alg: 'ES256' });
  const sdJwt = await issue({ format: 'dc+sd-jwt', vct: 'https://example.com/member', claims: { level: 'gold' } });
  const list = await (await fetch(w3c.status[0].statusListCredential)).text();
  return { w3c: w3c.jwt as string, legacy: legacy.jwt as string, didWeb: didWeb.jwt as string, sdJwt: sdJwt.sdJwt as string, sdJwtId: sdJwt.id as string, list, receipt: await harness.services.signReceipt(ANCHORED_RECEIPT) };
}

type Signed = Awaited<ReturnType<typeof signEverything>>;

/** Checks everything in `signed` with the service and with independent libraries. */
async function expectAllVerify(signed: Signed, label: string) {
  for (const credential of [signed.w3c, signed.legacy, signed.didWeb, signed.sdJwt, signed.receipt]) {
    const result = (await call(harness, 'POST', '/v1/credentials/verify', { body: { credential } })).json;
    expect(result, `${label}: ${result.format} ${result.dataModel ?? ''}`).toMatchObject({ verified: true, errors: [] });
  }
  // did:ethr, from the chain alone
  for (const jwt of [signed.w3c, signed.list, signed.receipt]) {
    expect((await verifyJWT(jwt, { resolver: chainResolver as never, proofPurpose: 'assertionMethod' })).issuer, label).toBe(harness.services.identity.did);
  }
  expect((await verifyCredential(signed.legacy, chainResolver as never)).verified, label).toBe(true);
  // did:web, from the DID document alone
  const document = await (await fetch(`${harness.url}/.well-known/did.json`)).json();
  const kid = jose.decodeProtectedHeader(signed.didWeb).kid;
  const method = document.verificationMethod.find((m: { id: string }) => m.id === kid);
  expect(method, `${label}: ${kid} in the did:web document`).toBeDefined();
  await jose.jwtVerify(signed.didWeb, await jose.importJWK(method.publicKeyJwk, 'ES256'));
  // SD-JWT VC, from the issuer metadata alone
  await (await metadataVerifier(harness.url)).verify(signed.sdJwt);
}

describe('rotating the signing keys', () => {
  let before: Signed;
  let after: Signed;

  it('signs, rotates (the new ES256K key a veriKey delegate of the did:ethr), signs again: both verify', async () => {
    before = await signEverything();
    const oldEs256k = harness.services.keys.es256k();
    const oldEs256 = harness.services.keys.es256();
    const refused = await call(harness, 'POST', '/v1/signing-keys/rotate', { key: harness.keys.acme, body: {} });
    expect(refused.status).toBe(403);
    const rotation = await call(harness, 'POST', '/v1/signing-keys/rotate', { key: harness.keys.admin, body: {} });
    expect(rotation.status, rotation.text).toBe(200);
    const newEs256k = harness.services.keys.es256k();
    expect(rotation.json.rotated).toEqual([
      { alg: 'ES256K', previous: oldEs256k.id, current: newEs256k.id },
      { alg: 'ES256', previous: oldEs256.id, current: harness.services.keys.es256().id },
    ]);
    expect(newEs256k.id).not.toBe(oldEs256k.id);
    // On the registry: the new key is a delegate, the DID unchanged, its first key still the owner.
    const resolved = await chainResolver.resolve(harness.services.identity.did);
    expect(resolved.didDocument!.verificationMethod!.map((m) => m.blockchainAccountId?.split(':')[2]?.toLowerCase())).toEqual(expect.arrayContaining([oldEs256k.address, newEs256k.address]));
    // The anchoring account's ether went to the new key.
    expect(await harness.provider.getBalance(newEs256k.address)).toBeGreaterThan(10n ** 18n);
    expect(await harness.provider.getBalance(oldEs256k.address)).toBeLessThan(10n ** 15n);

    after = await signEverything();
    expect(jose.decodeProtectedHeader(after.sdJwt.split('~')[0]!).kid).toBe(harness.services.keys.es256().id);
    await expectAllVerify(before, 'signed before the rotation');
    await expectAllVerify(after, 'signed after the rotation');

    const keys = (await call(harness, 'GET', '/v1/signing-keys')).json.keys as Array<{ alg: string; state: string }>;
    expect(keys.map((k) => `${k.alg} ${k.state}`)).toEqual(['ES256K active', 'ES256 active', 'ES256 retired', 'ES256K retired']);
    const metadata = (await call(harness, 'GET', '/.well-known/jwt-vc-issuer')).json;
    expect(metadata.jwks.keys).toHaveLength(2);
  });

  it('revokes a credential of the old keys after the rotation: the new list versions are signed with the new keys', async () => {
    const w3cId = JSON.parse(Buffer.from(before.w3c.split('.')[1]!, 'base64url').toString()).id as string;
    for (const id of [w3cId, before.sdJwtId]) {
      expect((await call(harness, 'POST', `/v1/credentials/${encodeURIComponent(id)}/revoke`, { key: harness.keys.acme })).status).toBe(200);
    }
    for (const credential of [before.w3c, before.sdJwt]) {
      expect((await call(harness, 'POST', '/v1/credentials/verify', { body: { credential } })).json.errors.map((e: { code: string }) => e.code)).toEqual(['revoked']);
    }
    const list = await (await fetch(JSON.parse(Buffer.from(before.w3c.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential)).text();
    expect((await verifyJWT(list, { resolver: chainResolver as never, proofPurpose: 'assertionMethod' })).signer.blockchainAccountId?.toLowerCase()).toContain(harness.services.keys.es256k().address);
    await expect((await metadataVerifier(harness.url)).verify(before.sdJwt)).rejects.toThrow(/Status is not valid/);
  });

  it('rotates again by changing the did:ethr\'s owner: the keys before keep verifying as delegates', async () => {
    const owner = harness.services.keys.es256k();
    const rotation = await call(harness, 'POST', '/v1/signing-keys/rotate', { key: harness.keys.admin, body: { algorithms: ['ES256K'], didEthr: 'owner' } });
    expect(rotation.status, rotation.text).toBe(200);
    expect(rotation.json.rotated.map((r: { alg: string }) => r.alg)).toEqual(['ES256K']);
    const resolved = await chainResolver.resolve(harness.services.identity.did);
    const controller = resolved.didDocument!.verificationMethod!.find((m) => m.id.endsWith('#controller'))!;
    expect(controller.blockchainAccountId!.toLowerCase()).toBe(`eip155:${harness.chainId}:${harness.services.keys.es256k().address}`);
    expect(owner.address).not.toBe(harness.services.keys.es256k().address);
    const latest = await signEverything();
    await expectAllVerify(after, 'signed by the owner before');
    await expectAllVerify(latest, 'signed by the new owner');
  });

  it('refuses, with its code and before sending anything, a rotation the anchoring account cannot pay for', async () => {
    // Rotating with the ether left behind: the new anchoring account holds nothing.
    const kept = await call(harness, 'POST', '/v1/signing-keys/rotate', { key: harness.keys.admin, body: { algorithms: ['ES256K'], moveBalance: false } });
    expect(kept.status, kept.text).toBe(200);
    const unfunded = harness.services.keys.es256k();
    expect(await harness.provider.getBalance(unfunded.address)).toBe(0n);
    const refused = await call(harness, 'POST', '/v1/signing-keys/rotate', { key: harness.keys.admin, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ type: 'urn:did-notary:problem:key-rotation-refused', account: unfunded.address });
    expect(harness.services.keys.es256k().id).toBe(unfunded.id);
    expect(await harness.provider.getTransactionCount(unfunded.address)).toBe(0);
  });

  it('refuses a credential signed with a key that was never the service\'s, and a bad rotation request', async () => {
    const stranger = Wallet.createRandom();
    const forged = await createJWT(
      {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential'],
        issuer: harness.services.identity.did,
        validFrom: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        credentialSubject: { id: freshDidKey().did },
      },
      { issuer: harness.services.identity.did, signer: ES256KSigner(hexToBytes(stranger.privateKey)) },
      { alg: 'ES256K', typ: 'vc+jwt' as 'JWT' },
    );
    expect((await call(harness, 'POST', '/v1/credentials/verify', { body: { credential: forged } })).json.errors.map((e: { code: string }) => e.code)).toEqual(['invalid-signature']);
    await expect(verifyJWT(forged, { resolver: chainResolver as never, proofPurpose: 'assertionMethod' })).rejects.toThrow(/invalid_signature/);
    const bad = await call(harness, 'POST', '/v1/signing-keys/rotate', { key: harness.keys.admin, body: { algorithms: ['RS256'] } });
    expect(bad.status).toBe(400);
    expect(bad.json.type).toBe('urn:did-notary:problem:validation-failed');
  });
});
