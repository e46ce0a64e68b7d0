// Presentations end to end: challenges, VP-JWT verification, single-use nonces (also under
// concurrency), audience, holder binding and embedded credential failures.
import { createVerifiablePresentationJwt } from 'did-jwt-vc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startIdentityHarness, type IdentityHarness } from './helpers/identity-harness';
import { freshDidKey, type TestIssuer } from './helpers/test-keys';

let harness: IdentityHarness;
beforeAll(async () => {
  harness = await startIdentityHarness();
});
afterAll(async () => {
  await harness?.stop();
});

const DOMAIN = 'https://shop.example.com';
const V1 = 'https://www.w3.org/2018/credentials/v1';

async function challenge(body: Record<string, unknown> = { domain: DOMAIN }, key = harness.keys.acme): Promise<{ nonce: string; domain?: string; expiresAt: string }> {
  const response = await call(harness, 'POST', '/v1/presentations/challenges', { key, body });
  expect(response.status).toBe(201);
  return response.json;
}

async function credentialFor(holder: string): Promise<{ id: string; jwt: string }> {
  const response = await call(harness, 'POST', '/v1/credentials', { key: harness.keys.acme, body: { subject: holder, type: 'AgeOver18', claims: { ageOver: 18 } } });
  expect(response.status).toBe(201);
  return response.json;
}

function present(holder: TestIssuer, credentials: string[], claims: { nonce?: string; aud?: string | string[] }): Promise<string> {
  return createVerifiablePresentationJwt(
    { vp: { '@context': [V1], type: ['VerifiablePresentation'], verifiableCredential: credentials }, ...claims },
    { did: holder.did, signer: holder.signer, alg: holder.alg },
  );
}

async function verify(body: Record<string, unknown>, key = harness.keys.acme) {
  const response = await call(harness, 'POST', '/v1/presentations/verify', { key, body });
  expect(response.status).toBe(200);
  return response.json as { verified: boolean; holder: string | null; checks: Record<string, unknown>; credentials: Array<{ verified: boolean }>; errors: Array<{ code: string; credentialIndex?: number }> };
}

const codesOf = (result: { errors: Array<{ code: string }> }) => result.errors.map((e) => e.code);

describe('presentations', () => {
  it('verifies a presentation with a live nonce and the right audience, then refuses its replay', async () => {
    const holder = freshDidKey();
    const { jwt: vc } = await credentialFor(holder.did);
    const { nonce, expiresAt } = await challenge();
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const vp = await present(holder, [vc], { nonce, aud: DOMAIN });

    const first = await verify({ jwt: vp, nonce });
    expect(first).toMatchObject({
      verified: true,
      holder: holder.did,
      checks: { signature: true, notBefore: true, expiry: true, audience: true, nonce: true, holder: true, credentials: true },
      errors: [],
    });
    expect(first.credentials[0]!.verified).toBe(true);

    const replay = await verify({ jwt: vp, nonce });
    expect(codesOf(replay)).toEqual(['nonce-replayed']);
  });

  it('refuses a presentation without a nonce, with a nonce never issued, or made for another nonce', async () => {
    const holder = freshDidKey();
    const { jwt: vc } = await credentialFor(holder.did);
    expect(codesOf(await verify({ jwt: await present(holder, [vc], { aud: DOMAIN }), domain: DOMAIN }))).toEqual(['nonce-missing']);
    expect(codesOf(await verify({ jwt: await present(holder, [vc], { nonce: 'made-up', aud: DOMAIN }), domain: DOMAIN }))).toEqual(['nonce-unknown']);
    const { nonce } = await challenge();
    expect(codesOf(await verify({ jwt: await present(holder, [vc], { nonce, aud: DOMAIN }), nonce: 'another' }))).toEqual(['nonce-mismatch']);
  });

  it('refuses a presentation whose holder is not the credential subject', async () => {
    const subject = freshDidKey();
    const thief = freshDidKey();
    const { jwt: vc } = await credentialFor(subject.did);
    const { nonce } = await challenge();
    const result = await verify({ jwt: await present(thief, [vc], { nonce, aud: DOMAIN }) });
    expect(result.errors).toEqual([expect.objectContaining({ code: 'holder-mismatch', credentialIndex: 0 })]);
    expect(result.checks.holder).toBe(false);
  });

  it('refuses the wrong audience, and a nonce of another tenant', async () => {
    const holder = freshDidKey();
    const { jwt: vc } = await credentialFor(holder.did);
    const { nonce } = await challenge();
    expect(codesOf(await verify({ jwt: await present(holder, [vc], { nonce, aud: 'https://evil.example' }) }))).toEqual(['wrong-audience']);
    const other = await challenge({ domain: DOMAIN }, harness.keys.other);
    expect(codesOf(await verify({ jwt: await present(holder, [vc], { nonce: other.nonce, aud: DOMAIN }) }))).toEqual(['nonce-unknown']);
  });

  it('does not let a forged presentation burn the nonce', async () => {
    const holder = freshDidKey();
    const { jwt: vc } = await credentialFor(holder.did);
    const { nonce } = await challenge();
    const forged = await present({ ...freshDidKey(), did: holder.did }, [vc], { nonce, aud: DOMAIN });
    expect(codesOf(await verify({ jwt: forged }))).toEqual(['invalid-signature']);
    expect((await verify({ jwt: await present(holder, [vc], { nonce, aud: DOMAIN }) })).verified).toBe(true);
  });

  it('consumes a nonce once under concurrent verifications', async () => {
    const holder = freshDidKey();
    const { jwt: vc } = await credentialFor(holder.did);
    const { nonce } = await challenge();
    const vp = await present(holder, [vc], { nonce, aud: DOMAIN });
    const results = await Promise.all(Array.from({ length: 5 }, () => verify({ jwt: vp })));
    expect(results.filter((r) => r.verified)).toHaveLength(1);
    expect(results.flatMap(codesOf).filter((c) => c === 'nonce-replayed')).toHaveLength(4);
  });

  it('refuses an expired challenge', async () => {
    const holder = freshDidKey();
    const { jwt: vc } = await credentialFor(holder.did);
    const { nonce } = await challenge({ domain: DOMAIN, ttlSeconds: 1 });
    const vp = await present(holder, [vc], { nonce, aud: DOMAIN });
    harness.clock.offsetMs = 5_000;
    try {
      expect(codesOf(await verify({ jwt: vp }))).toEqual(['nonce-expired']);
    } finally {
      harness.clock.offsetMs = 0;
    }
  });

  it('reports an embedded revoked credential with its index', async () => {
    const holder = freshDidKey();
    const good = await credentialFor(holder.did);
    const revoked = await credentialFor(holder.did);
    await call(harness, 'POST', `/v1/credentials/${encodeURIComponent(revoked.id)}/revoke`, { key: harness.keys.acme });
    const { nonce } = await challenge();
    const result = await verify({ jwt: await present(holder, [good.jwt, revoked.jwt], { nonce, aud: DOMAIN }) });
    expect(result.errors).toEqual([expect.objectContaining({ code: 'revoked', credentialIndex: 1 })]);
    expect(result.checks.credentials).toBe(false);
  });

  it('needs an issue-scoped API key and a well-formed request', async () => {
    expect((await call(harness, 'POST', '/v1/presentations/challenges', { body: {} })).status).toBe(401);
    const bad = await call(harness, 'POST', '/v1/presentations/challenges', { key: harness.keys.acme, body: { ttlSeconds: 99999 } });
    expect(bad.status).toBe(400);
    const malformed = await verify({ jwt: 'not.a-jwt' });
    expect(codesOf(malformed)).toEqual(['malformed-jwt']);
  });
});
