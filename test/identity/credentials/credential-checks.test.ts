// Pure credential checks: validity window with skew, VC/VP payload reading, audience, types, issuers.
import { describe, expect, it } from 'vitest';
import { checkValidityWindow } from '../../../src/identity/credentials/verification/validity-window';
import { checkAudience, checkExpectedTypes, checkTrustedIssuer, readCredentialClaims, readPresentationClaims } from '../../../src/identity/credentials/verification/vc-payload';

const NOW = 1_800_000_000;

describe('checkValidityWindow with the credential\'s own dates', () => {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const codes = (payload: Record<string, unknown>, credential: Record<string, unknown>) => checkValidityWindow(payload, NOW, 60, credential).issues.map((i) => i.code);
  it.each([
    ['validUntil in the past', {}, { validUntil: iso(NOW - 3600) }, ['expired']],
    ['validFrom in the future', {}, { validFrom: iso(NOW + 3600) }, ['not-yet-valid']],
    ['expirationDate in the past, no exp', {}, { expirationDate: iso(NOW - 3600) }, ['expired']],
    ['issuanceDate in the future, no nbf', {}, { issuanceDate: iso(NOW + 3600) }, ['not-yet-valid']],
    ['a window that holds now', {}, { validFrom: iso(NOW - 3600), validUntil: iso(NOW + 3600) }, []],
    ['exp and expirationDate agree', { exp: NOW + 100 }, { expirationDate: iso(NOW + 100) }, []],
    ['exp and expirationDate disagree', { exp: NOW + 100 }, { expirationDate: iso(NOW + 99_999) }, ['invalid-credential']],
    ['nbf and validFrom disagree', { nbf: NOW - 100 }, { validFrom: iso(NOW - 5_000) }, ['invalid-credential']],
    ['a later exp does not lift an earlier validUntil', { exp: NOW + 3600 }, { validUntil: iso(NOW + 3600), expirationDate: iso(NOW + 3600) }, []],
    ['an unparsable date', {}, { validUntil: 'next tuesday' }, ['invalid-credential']],
    ['a date without a time zone', {}, { validUntil: '2030-01-01T00:00:00' }, ['invalid-credential']],
  ] as Array<[string, Record<string, unknown>, Record<string, unknown>, string[]]>)('%s → %j', (_what, payload, credential, expected) => {
    expect(codes(payload, credential)).toEqual(expected);
  });
});

describe('checkValidityWindow', () => {
  const codes = (payload: Record<string, unknown>) => checkValidityWindow(payload, NOW, 60).issues.map((i) => i.code);
  it.each([
    [{}, []],
    [{ nbf: NOW + 59, exp: NOW - 59 }, []],
    [{ nbf: NOW + 61 }, ['not-yet-valid']],
    [{ iat: NOW + 61 }, ['not-yet-valid']],
    [{ nbf: NOW - 10, iat: NOW + 600 }, []],
    [{ exp: NOW - 60 }, ['expired']],
    [{ exp: NOW - 61, nbf: NOW + 61 }, ['not-yet-valid', 'expired']],
    [{ exp: '2030-01-01' }, ['malformed-jwt']],
  ] as Array<[Record<string, unknown>, string[]]>)('%j → %j', (payload, expected) => {
    expect(codes(payload)).toEqual(expected);
  });
});

const V1 = 'https://www.w3.org/2018/credentials/v1';
const V2 = 'https://www.w3.org/ns/credentials/v2';
const vc = (overrides: Record<string, unknown> = {}, vcOverrides: Record<string, unknown> = {}) => ({
  iss: 'did:key:issuer',
  sub: 'did:key:subject',
  vc: { '@context': [V1], type: ['VerifiableCredential', 'Membership'], credentialSubject: { level: 'gold' }, ...vcOverrides },
  ...overrides,
});

describe('readCredentialClaims', () => {
  it('reads issuer, subject, types and status entries', () => {
    const claims = readCredentialClaims(
      vc({ jti: 'urn:uuid:1' }, {
        credentialStatus: [
          { id: 'x#1', type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '94567', statusListCredential: 'https://example.com/lists/1' },
          { type: 'SomethingElse2099' },
        ],
      }),
    );
    expect(claims).toMatchObject({
      dataModel: '1.1',
      subjectClaims: { level: 'gold' },
      id: 'urn:uuid:1',
      issuer: 'did:key:issuer',
      subject: 'did:key:subject',
      types: ['VerifiableCredential', 'Membership'],
      statusEntries: [{ type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: 94567, statusListCredential: 'https://example.com/lists/1', statusSize: 1 }],
      unsupportedStatusTypes: ['SomethingElse2099'],
    });
  });

  const v2 = (overrides: Record<string, unknown> = {}) => ({
    '@context': [V2],
    id: 'urn:uuid:2',
    type: ['VerifiableCredential', 'Membership'],
    issuer: { id: 'did:key:issuer' },
    validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: { id: 'did:key:subject', level: 'gold' },
    ...overrides,
  });

  it('reads a VC Data Model 2.0 credential whose payload is the credential, JWT claims optional', () => {
    expect(readCredentialClaims(v2(), 'vc+jwt')).toMatchObject({
      dataModel: '2.0',
      id: 'urn:uuid:2',
      issuer: 'did:key:issuer',
      subject: 'did:key:subject',
      subjectClaims: { level: 'gold' },
      types: ['VerifiableCredential', 'Membership'],
      credential: { validFrom: '2026-01-01T00:00:00Z' },
    });
    expect(readCredentialClaims(v2({ iss: 'did:key:issuer', jti: 'urn:uuid:2', sub: 'did:key:subject' })).dataModel).toBe('2.0');
  });

  it.each([
    ['a 2.0 payload with a vc claim', v2({ vc: {} })],
    ['a 2.0 payload whose first context is not v2', v2({ '@context': [V1, V2] })],
    ['iss differing from issuer', v2({ iss: 'did:key:other' })],
    ['jti differing from id', v2({ jti: 'urn:uuid:3' })],
    ['an issuer that is not a DID', v2({ issuer: 'https://issuer.example' })],
    ['sub differing from the subject', v2({ sub: 'did:key:other' })],
  ])('refuses %s as invalid-credential', (_name, payload) => {
    expect(() => readCredentialClaims(payload, 'vc+jwt')).toThrow(expect.objectContaining({ code: 'invalid-credential' }));
  });

  it.each([
    ['no vc claim', { iss: 'did:key:x' }],
    ['issuer not a DID', vc({ iss: 'https://issuer.example' })],
    ['no VerifiableCredential type', vc({}, { type: ['Membership'] })],
    ['no known @context', vc({}, { '@context': ['https://example.com/ctx'] })],
    ['subject mismatch', vc({}, { credentialSubject: { id: 'did:key:other' } })],
    ['vc.issuer differs from iss', vc({}, { issuer: 'did:key:someone-else' })],
    ['bad status index', vc({}, { credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '-1', statusListCredential: 'https://x' } })],
    ['status list not a URL', vc({}, { credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '1', statusListCredential: 'ftp://x' } })],
  ])('refuses %s as invalid-credential', (_name, payload) => {
    expect(() => readCredentialClaims(payload)).toThrow(expect.objectContaining({ code: 'invalid-credential' }));
  });
});

describe('readPresentationClaims', () => {
  const vp = (overrides: Record<string, unknown> = {}) => ({
    iss: 'did:key:holder',
    aud: 'https://verifier.example',
    nonce: 'n-1',
    vp: { '@context': [V1], type: ['VerifiablePresentation'], verifiableCredential: ['a.b.c'] },
    ...overrides,
  });
  it('reads holder, audiences, nonce and credentials', () => {
    expect(readPresentationClaims(vp())).toEqual({ holder: 'did:key:holder', audiences: ['https://verifier.example'], nonce: 'n-1', credentials: ['a.b.c'] });
  });
  it('refuses embedded credentials that are not JWTs, and too many of them', () => {
    expect(() => readPresentationClaims(vp({ vp: { '@context': [V1], type: ['VerifiablePresentation'], verifiableCredential: [{}] } }))).toThrow(
      expect.objectContaining({ code: 'invalid-presentation' }),
    );
    const many = Array.from({ length: 11 }, () => 'a.b.c');
    expect(() => readPresentationClaims(vp({ vp: { '@context': [V1], type: ['VerifiablePresentation'], verifiableCredential: many } }))).toThrow(
      expect.objectContaining({ code: 'too-many-credentials' }),
    );
  });
});

describe('audience, types, issuers', () => {
  it('checks aud like did-jwt: a JWT with an aud needs a matching expected audience', () => {
    expect(checkAudience(undefined, undefined)).toBeUndefined();
    expect(checkAudience(['a', 'b'], 'b')).toBeUndefined();
    expect(checkAudience('a', 'b')?.code).toBe('wrong-audience');
    expect(checkAudience('a', undefined)?.code).toBe('wrong-audience');
    expect(checkAudience(undefined, 'a')?.code).toBe('wrong-audience');
  });
  it('checks expected types and trusted issuers', () => {
    expect(checkExpectedTypes(['VerifiableCredential', 'A'], ['A'])).toBeUndefined();
    expect(checkExpectedTypes(['VerifiableCredential', 'A'], ['A', 'B'])?.code).toBe('wrong-type');
    expect(checkTrustedIssuer('did:key:a', ['did:key:a'])).toBeUndefined();
    expect(checkTrustedIssuer('did:key:a', ['did:key:b'])?.code).toBe('untrusted-issuer');
  });
});
