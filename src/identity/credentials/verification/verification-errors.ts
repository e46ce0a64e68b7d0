// The stable codes of credential and presentation verification failures. Pure: runs in the browser too.
// A failed verification is a result (HTTP 200, `verified: false`), never an HTTP problem, so these codes
// are public identifiers of the API: never rename one, only add.
import { DomainError } from '../../../core/errors';

/** Every reason a credential or presentation can fail verification. */
export const VERIFICATION_ERROR_CODES = [
  'malformed-jwt',
  'alg-not-allowed',
  'invalid-credential',
  'invalid-presentation',
  'invalid-signature',
  'invalid-did',
  'unsupported-did-method',
  'unknown-did',
  'unresolvable-did',
  'deactivated-did',
  'expired',
  'not-yet-valid',
  'wrong-audience',
  'untrusted-issuer',
  'wrong-type',
  'revoked',
  'suspended',
  'status-unavailable',
  'nonce-missing',
  'nonce-mismatch',
  'nonce-unknown',
  'nonce-expired',
  'nonce-replayed',
  'holder-mismatch',
  'too-many-credentials',
  'malformed-sd-jwt',
  'invalid-disclosure',
  'duplicate-disclosure',
  'unknown-issuer-key',
  'issuer-metadata-unavailable',
  'key-binding-missing',
  'invalid-key-binding',
  'stale-key-binding',
  'sd-hash-mismatch',
] as const;

export type VerificationErrorCode = (typeof VERIFICATION_ERROR_CODES)[number];

/** One failed check; `credentialIndex` locates a credential inside a presentation. */
export interface VerificationIssue {
  code: VerificationErrorCode;
  message: string;
  credentialIndex?: number;
}

/**
 * Thrown by the pure decoding steps and caught by the verifiers, which turn it into a
 * VerificationIssue. Never reaches the HTTP layer.
 */
export class VerificationCheckError extends DomainError<VerificationErrorCode> {
  toIssue(): VerificationIssue {
    return { code: this.code, message: this.message };
  }
}

/** Shorthand for building an issue. */
export function issue(code: VerificationErrorCode, message: string): VerificationIssue {
  return { code, message };
}
