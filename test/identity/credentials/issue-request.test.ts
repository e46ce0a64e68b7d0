import { describe, expect, it } from 'vitest';
import { canonicalJson, validateIdempotencyKey, validateIssueRequest } from '../../../src/identity/credentials/issuance/issue-request';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const base = { subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', type: 'Membership', claims: { level: 'gold' } };

describe('validateIssueRequest', () => {
  it('normalises types and dates', () => {
    expect(validateIssueRequest({ ...base, type: ['VerifiableCredential', 'A', 'A'], expirationDate: '2027-01-01T00:00:00Z', validFrom: '2026-12-01T00:00:00+01:00' }, NOW)).toEqual({
      format: 'jwt_vc_json',
      dataModel: '2.0',
      alg: 'ES256K',
      subject: base.subject,
      types: ['A'],
      claims: base.claims,
      expiresAtSeconds: Date.parse('2027-01-01T00:00:00Z') / 1000,
      validFromSeconds: Date.parse('2026-11-30T23:00:00Z') / 1000,
    });
  });

  it.each([
    ['subject', { ...base, subject: 'alice' }],
    ['subject', { ...base, subject: 'did:key:' }],
    ['type', { ...base, type: [] }],
    ['type', { ...base, type: 'Has Space' }],
    ['type', { ...base, type: 'DocumentNotarization' }],
    ['type', { ...base, type: ['BitstringStatusListCredential'] }],
    ['claims', { ...base, claims: [1] }],
    ['claims', { ...base, claims: { id: 'did:key:other' } }],
    ['claims', { ...base, claims: { big: 'x'.repeat(40_000) } }],
    ['expirationDate', { ...base, expirationDate: 'tomorrow' }],
    ['expirationDate', { ...base, expirationDate: '2020-01-01T00:00:00Z' }],
    ['expirationDate', { ...base, validFrom: '2028-01-01T00:00:00Z', expirationDate: '2027-01-01T00:00:00Z' }],
    ['id', { ...base, id: 'no scheme' }],
    ['validUntil', { ...base, validUntil: '2027-01-01T00:00:00Z', expirationDate: '2027-02-01T00:00:00Z' }],
    ['validUntil', { ...base, validUntil: '2020-01-01T00:00:00Z' }],
    ['dataModel', { ...base, dataModel: '3.0' }],
    ['format', { ...base, format: 'ldp_vc' }],
    ['vct', { ...base, format: 'jwt_vc_json', vct: 'x' }],
  ])('refuses a bad %s', (field, request) => {
    expect(() => validateIssueRequest(request, NOW)).toThrow(expect.objectContaining({ code: 'INVALID_CREDENTIAL_REQUEST', details: { field } }));
  });

  it('checks Idempotency-Key values', () => {
    expect(validateIdempotencyKey('order-1')).toBe('order-1');
    expect(() => validateIdempotencyKey('')).toThrow();
    expect(() => validateIdempotencyKey('has space')).toThrow();
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { e: 1, f: 2 }] }, b: 1 }));
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
