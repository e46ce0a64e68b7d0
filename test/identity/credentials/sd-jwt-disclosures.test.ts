// Hiding claims behind digests and revealing them again, on arbitrary claim sets: every disclosure
// revealed gives back exactly the claims issued, and each way of breaking the disclosures has its code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signSdJwtVc } from '../../../src/identity/credentials/issuance/sd-jwt-vc-credential';
import type { ClaimPath } from '../../../src/identity/credentials/sd-jwt/claim-paths';
import { SaltSource } from '../../../src/identity/credentials/sd-jwt/disclosures';
import { revealClaims, splitSdJwt } from '../../../src/identity/credentials/sd-jwt/sd-jwt-decoding';
import { generateEs256Key } from '../../../src/identity/keys/signing-keys';

const key = generateEs256Key();
const issuerKey = { iss: 'https://notary.example', kid: key.id, alg: 'ES256' as const, sign: (input: string) => key.sign(input) };
const salts = new SaltSource();

/** Every concrete path into `value` (object keys and array indices). */
function pathsOf(value: unknown, prefix: ClaimPath = []): ClaimPath[] {
  if (Array.isArray(value)) return value.flatMap((element, i) => [[...prefix, i], ...pathsOf(element, [...prefix, i])]);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, claim]) => [[...prefix, name], ...pathsOf(claim, [...prefix, name])]);
}

// Names the issuer refuses in a request (issue-request.ts) are left out; "__proto__" stays in.
const claimName = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constant('__proto__')).filter((name) => !['_sd', '_sd_alg', '...', 'iss', 'iat', 'vct'].includes(name));
const claims = fc.dictionary(
  claimName,
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string({ maxLength: 10 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(claimName, tie('value'), { maxKeys: 3 }),
    ),
  })).value,
  { minKeys: 1, maxKeys: 5 },
);

function issue(claimSet: Record<string, unknown>, disclosable: ClaimPath[]) {
  return signSdJwtVc(issuerKey, { vct: 'T', claims: claimSet, disclosable, iatSeconds: 1_800_000_000 }, salts);
}

describe('SD-JWT disclosures', () => {
  it('reveals exactly the claims issued when every disclosure is presented, whichever claims were made disclosable', () => {
    fc.assert(
      fc.property(
        claims.chain((claimSet) => fc.tuple(fc.constant(claimSet), fc.subarray(pathsOf(claimSet)))),
        ([claimSet, disclosable]) => {
          const signed = issue(claimSet, disclosable);
          const split = splitSdJwt(signed.sdJwt);
          const { claims: revealed, disclosed } = revealClaims(split.issuerJwt.payload, split.disclosures);
          const { iss: _iss, iat: _iat, vct: _vct, ...subjectClaims } = revealed;
          expect(subjectClaims).toEqual(claimSet);
          expect(disclosed).toHaveLength(disclosable.length);
        },
      ),
      { numRuns: 150, seed: 16 },
    );
  });

  it('keeps an undisclosed claim hidden, and refuses altered, repeated or foreign disclosures with their codes', () => {
    const signed = issue({ a: 1, b: { c: [1, 2] } }, [['a'], ['b', 'c', 0], ['b']]);
    const split = splitSdJwt(signed.sdJwt);
    const [first, ...rest] = split.disclosures;
    expect(revealClaims(split.issuerJwt.payload, rest).claims).toEqual({ iss: 'https://notary.example', iat: 1_800_000_000, vct: 'T', b: { c: [1, 2] } });
    expect(revealClaims(split.issuerJwt.payload, []).claims).toEqual({ iss: 'https://notary.example', iat: 1_800_000_000, vct: 'T' });
    const altered = Buffer.from(JSON.stringify([...JSON.parse(Buffer.from(first!, 'base64url').toString()).slice(0, 2), 2])).toString('base64url');
    expect(() => revealClaims(split.issuerJwt.payload, [altered])).toThrow(expect.objectContaining({ code: 'invalid-disclosure' }));
    expect(() => revealClaims(split.issuerJwt.payload, [first!, first!])).toThrow(expect.objectContaining({ code: 'duplicate-disclosure' }));
    const other = splitSdJwt(issue({ a: 1 }, [['a']]).sdJwt).disclosures[0]!;
    expect(() => revealClaims(split.issuerJwt.payload, [other])).toThrow(expect.objectContaining({ code: 'invalid-disclosure' }));
    const digest = (split.issuerJwt.payload._sd as string[])[0]!;
    expect(() => revealClaims({ ...split.issuerJwt.payload, x: { _sd: [digest] } }, split.disclosures)).toThrow(expect.objectContaining({ code: 'duplicate-disclosure' }));
    expect(() => revealClaims({ ...split.issuerJwt.payload, _sd_alg: 'md5' }, [])).toThrow(expect.objectContaining({ code: 'invalid-disclosure' }));
  });

  it('refuses malformed SD-JWTs before reading them', () => {
    expect(() => splitSdJwt('a.b.c')).toThrow(expect.objectContaining({ code: 'malformed-sd-jwt' }));
    expect(() => splitSdJwt(`${issue({ a: 1 }, []).jwt}~~x~`)).toThrow(expect.objectContaining({ code: 'malformed-sd-jwt' }));
    expect(() => splitSdJwt('x'.repeat(300_000) + '~')).toThrow(expect.objectContaining({ code: 'malformed-sd-jwt' }));
  });
});
