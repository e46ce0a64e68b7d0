// The issuer's signing path against did-jwt-vc itself: ES256K is deterministic (RFC 6979), so the same
// credential must give the same JWT bytes, and the same W3C form as normalizeCredential of that JWT.
import { createVerifiableCredentialJwt, normalizeCredential } from 'did-jwt-vc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeSignedCredential, signCredentialJwt, type CredentialToSign } from '../../../src/identity/credentials/issuance/credential-jwt';
import { STATUS_LIST_CONTEXT, VC_CONTEXT_V1 } from '../../../src/identity/credentials/verification/vc-payload';
import { createServiceIdentity } from '../../../src/identity/did/service-identity';
import { inMemoryServiceKeys } from './helpers/test-keys';

const identity = createServiceIdentity(inMemoryServiceKeys(`0x${'4c'.repeat(32)}`), 31337);
const url = 'https://notary.example/v1/status-lists/revocation-0123456789ab';
const status = [
  { id: `${url}#17`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '17', statusListCredential: url },
  { id: `${url}#99`, type: 'BitstringStatusListEntry', statusPurpose: 'suspension', statusListIndex: '99', statusListCredential: url },
];

/** What did-jwt-vc makes of the same credential, the way the issuer called it before. */
function withDidJwtVc(credential: CredentialToSign): Promise<string> {
  return createVerifiableCredentialJwt(
    {
      jti: credential.id,
      sub: credential.subject,
      nbf: credential.validFromSeconds,
      ...(credential.expiresAtSeconds !== undefined ? { exp: credential.expiresAtSeconds } : {}),
      vc: {
        '@context': credential.context,
        type: credential.types,
        credentialSubject: { id: credential.subject, ...credential.claims },
        ...(credential.credentialStatus ? { credentialStatus: credential.credentialStatus as unknown as { id: string; type: string } } : {}),
      },
    },
    { did: identity.did, signer: identity.signer, alg: identity.alg },
  );
}

const base: CredentialToSign = {
  id: 'urn:uuid:5b8f8f36-2a53-4b8e-9d1a-3f0e0f1c2d3e',
  subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  validFromSeconds: 1_767_225_600,
  context: [VC_CONTEXT_V1, STATUS_LIST_CONTEXT],
  types: ['VerifiableCredential', 'MembershipCredential'],
  claims: { member: { name: 'Alice', level: 'gold', since: '2024-01-01' } },
  credentialStatus: status,
};

describe('signCredentialJwt', () => {
  it('gives the JWT and W3C form did-jwt-vc gives, with and without an expiry', async () => {
    for (const credential of [base, { ...base, expiresAtSeconds: 1_893_456_000 }]) {
      const signed = await signCredentialJwt(identity, credential);
      const expected = await withDidJwtVc(credential);
      expect(signed.jwt).toBe(expected);
      // key order too: the response body is this object
      expect(JSON.stringify(normalizeSignedCredential(signed))).toBe(JSON.stringify(normalizeCredential(expected)));
    }
  });

  it('matches did-jwt-vc for arbitrary claims (property)', async () => {
    const claimName = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'id' && k !== '__proto__');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(claimName, fc.jsonValue(), { minKeys: 1, maxKeys: 5 }), fc.array(fc.constantFrom('A', 'B:c', 'urn:x#y'), { maxLength: 3 }), async (claims, extra) => {
        const credential = { ...base, claims: claims as Record<string, unknown>, types: ['VerifiableCredential', ...new Set(extra)] };
        const signed = await signCredentialJwt(identity, credential);
        const expected = await withDidJwtVc(credential);
        expect(signed.jwt).toBe(expected);
        expect(JSON.stringify(normalizeSignedCredential(signed))).toBe(JSON.stringify(normalizeCredential(expected)));
      }),
      { numRuns: 40 },
    );
  });

  it('gives the W3C form did-jwt-vc gives for a credential valid from 1970 (nbf 0)', async () => {
    const signed = await signCredentialJwt(identity, { ...base, validFromSeconds: 0 });
    expect(signed.jwt).toBe(await withDidJwtVc({ ...base, validFromSeconds: 0 }));
    expect(JSON.stringify(normalizeSignedCredential(signed))).toBe(JSON.stringify(normalizeCredential(signed.jwt)));
  });

  it('refuses what did-jwt-vc refuses: a timestamp in milliseconds', async () => {
    await expect(signCredentialJwt(identity, { ...base, validFromSeconds: 1_767_225_600_000 })).rejects.toThrow(/unix timestamp in seconds/);
  });
});
