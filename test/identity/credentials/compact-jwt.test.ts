// Strict JWT decoding: limits, base64url, algorithm allow-list; and a property test over random input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALLOWED_JWT_ALGORITHMS, decodeBase64url, decodeCompactJwt } from '../../../src/identity/credentials/verification/compact-jwt';
import { VerificationCheckError } from '../../../src/identity/credentials/verification/verification-errors';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const jwt = (header: unknown, payload: unknown, signature = 'c2ln') => `${b64(header)}.${b64(payload)}.${signature}`;
const codeOf = (input: unknown) => {
  try {
    decodeCompactJwt(input);
    return 'ok';
  } catch (error) {
    return (error as VerificationCheckError).code;
  }
};

describe('decodeCompactJwt', () => {
  it('decodes a well-formed JWT', () => {
    const decoded = decodeCompactJwt(jwt({ alg: 'ES256K', typ: 'JWT' }, { iss: 'did:key:z' }));
    expect(decoded.header.alg).toBe('ES256K');
    expect(decoded.payload).toEqual({ iss: 'did:key:z' });
    expect(decoded.signature).toBe('c2ln');
  });

  it.each([
    ['none', 'alg-not-allowed'],
    ['HS256', 'alg-not-allowed'],
    ['RS256', 'alg-not-allowed'],
    ['es256k', 'alg-not-allowed'],
    ...ALLOWED_JWT_ALGORITHMS.map((alg) => [alg, 'ok']),
  ])('alg %s → %s', (alg, code) => {
    expect(codeOf(jwt({ alg }, { iss: 'x' }))).toBe(code);
  });

  it('reports alg none with an empty signature as alg-not-allowed, not malformed', () => {
    expect(codeOf(`${b64({ alg: 'none' })}.${b64({ iss: 'x' })}.`)).toBe('alg-not-allowed');
  });

  it.each([
    ['not a string', 42],
    ['two parts', `${b64({ alg: 'ES256K' })}.${b64({})}`],
    ['four parts', `${jwt({ alg: 'ES256K' }, {})}.x`],
    ['bad base64 in the payload', `${b64({ alg: 'ES256K' })}.e*J9.c2ln`],
    ['padding', `${b64({ alg: 'ES256K' })}.${b64({})}=.c2ln`],
    ['standard base64 alphabet', `${b64({ alg: 'ES256K' })}.${b64({ a: '??>' })}+/.c2ln`],
    ['payload not JSON', `${b64({ alg: 'ES256K' })}.${b64('hello')}.c2ln`],
    ['payload a JSON array', jwt({ alg: 'ES256K' }, [1, 2])],
    ['header not UTF-8', `${Buffer.from([0xff, 0xfe]).toString('base64url')}.${b64({})}.c2ln`],
    ['no alg', jwt({ typ: 'JWT' }, {})],
    ['crit header', jwt({ alg: 'ES256K', crit: ['exp'] }, {})],
    ['b64 header', jwt({ alg: 'ES256K', b64: false }, {})],
    ['empty signature', jwt({ alg: 'ES256K' }, {}, '')],
    ['huge header', jwt({ alg: 'ES256K', pad: 'x'.repeat(5_000) }, {})],
    ['too long overall', jwt({ alg: 'ES256K' }, { pad: 'x'.repeat(70_000) })],
  ])('%s → malformed-jwt', (_name, input) => {
    expect(codeOf(input)).toBe('malformed-jwt');
  });

  it('never fails with anything but a coded VerificationCheckError (property)', () => {
    const part = fc.oneof(fc.string(), fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')), fc.json().map(b64));
    fc.assert(
      fc.property(fc.array(part, { minLength: 0, maxLength: 5 }), (parts) => {
        try {
          decodeCompactJwt(parts.join('.'));
        } catch (error) {
          expect(error).toBeInstanceOf(VerificationCheckError);
          expect(['malformed-jwt', 'alg-not-allowed']).toContain((error as VerificationCheckError).code);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('decodeBase64url', () => {
  it('agrees with Buffer on every canonical encoding (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = Buffer.from(bytes).toString('base64url');
        expect(Buffer.from(decodeBase64url(encoded)!)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('refuses impossible lengths, foreign characters and non-zero trailing bits', () => {
    expect(decodeBase64url('a')).toBeUndefined();
    expect(decodeBase64url('ab+c')).toBeUndefined();
    expect(decodeBase64url('ab=')).toBeUndefined();
    expect(decodeBase64url('QR')).toBeUndefined(); // "QQ" is the canonical encoding of "A"
    expect(decodeBase64url('QQ')).toEqual(new Uint8Array([0x41]));
  });
});
