// Verifies a VP-JWT: holder signature (authentication key), validity window, audience (domain), the
// single-use nonce, and every embedded credential, each of whose subject must be the holder.
import type { Resolvable } from 'did-resolver';
import { DomainError } from '../../../core/errors';
import { decodeCompactJwt, PRESENTATION_JWT_LIMITS } from './compact-jwt';
import type { CredentialVerificationResult, CredentialVerifier } from './credential-verifier';
import { checkJwtSignature } from './jwt-signature';
import type { PresentationChallenges } from './presentation-challenges';
import { checkValidityWindow, DEFAULT_CLOCK_SKEW_SECONDS } from './validity-window';
import { checkAudience, readPresentationClaims, type PresentationClaims } from './vc-payload';
import { issue, VerificationCheckError, type VerificationIssue } from './verification-errors';

export interface PresentationVerificationRequest {
  jwt: string;
  /** The nonce the relying party expects; when absent, the VP's own nonce must be a live challenge. */
  nonce?: string;
  /** The audience the VP must name; default: the domain the challenge was created with. */
  domain?: string;
}

export interface PresentationChecks {
  signature: boolean | null;
  notBefore: boolean | null;
  expiry: boolean | null;
  audience: boolean | null;
  nonce: boolean | null;
  holder: boolean | null;
  credentials: boolean | null;
}

export interface PresentationVerificationResult {
  verified: boolean;
  holder: string | null;
  checks: PresentationChecks;
  credentials: CredentialVerificationResult[];
  errors: VerificationIssue[];
}

export interface PresentationVerifierOptions {
  resolver: Resolvable;
  credentials: CredentialVerifier;
  challenges: PresentationChallenges;
  now?: () => number;
  skewSeconds?: number;
}

export class PresentationVerifier {
  private readonly now: () => number;

  constructor(private readonly options: PresentationVerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  async verify(tenantId: string, request: PresentationVerificationRequest): Promise<PresentationVerificationResult> {
    if (typeof request.jwt !== 'string') throw new DomainError('INVALID_PRESENTATION_REQUEST', 'jwt must be a string', { field: 'jwt' });
    const checks: PresentationChecks = { signature: null, notBefore: null, expiry: null, audience: null, nonce: null, holder: null, credentials: null };
    const errors: VerificationIssue[] = [];
    const credentials: CredentialVerificationResult[] = [];
    const result = (holder: string | null): PresentationVerificationResult => ({ verified: errors.length === 0, holder, checks, credentials, errors });

    let payload: Record<string, unknown>;
    let claims: PresentationClaims;
    try {
      payload = decodeCompactJwt(request.jwt, PRESENTATION_JWT_LIMITS).payload;
      claims = readPresentationClaims(payload);
    } catch (error) {
      if (!(error instanceof VerificationCheckError)) throw error;
      errors.push(error.toIssue());
      return result(null);
    }

    const signatureIssue = await checkJwtSignature(request.jwt, payload, claims.holder, this.options.resolver, 'authentication');
    checks.signature = signatureIssue === undefined;
    if (signatureIssue) errors.push(signatureIssue);

    const window = checkValidityWindow(payload, Math.floor(this.now() / 1000), this.options.skewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS);
    checks.notBefore = window.notBefore;
    checks.expiry = window.expiry;
    errors.push(...window.issues);

    // The nonce is consumed only once the holder's signature holds: nobody else can burn it.
    let challengeDomain: string | null = null;
    if (claims.nonce === undefined) {
      checks.nonce = false;
      errors.push(issue('nonce-missing', 'the presentation carries no nonce; ask for a challenge first'));
    } else if (request.nonce !== undefined && request.nonce !== claims.nonce) {
      checks.nonce = false;
      errors.push(issue('nonce-mismatch', 'the presentation was made for another nonce'));
    } else if (checks.signature) {
      const consumption = await this.options.challenges.consume(tenantId, claims.nonce);
      checks.nonce = consumption.outcome === 'consumed';
      if (consumption.outcome !== 'unknown') challengeDomain = consumption.domain;
      if (consumption.outcome === 'replayed') errors.push(issue('nonce-replayed', 'this nonce was already used: the presentation is a replay'));
      else if (consumption.outcome === 'expired') errors.push(issue('nonce-expired', 'the challenge expired'));
      else if (consumption.outcome === 'unknown') errors.push(issue('nonce-unknown', 'this nonce was not issued by this service for this tenant'));
    }

    const domain = request.domain ?? challengeDomain ?? undefined;
    if (domain !== undefined) {
      const audienceIssue = checkAudience(claims.audiences, domain);
      checks.audience = audienceIssue === undefined;
      if (audienceIssue) errors.push(audienceIssue);
    } else if (checks.signature && checks.nonce) {
      // Nothing names the expected audience: refuse rather than accept a VP made for anyone.
      checks.audience = false;
      errors.push(issue('wrong-audience', 'no domain to check "aud" against: give one in the challenge or the request'));
    }

    checks.holder = true;
    for (const [index, jwt] of claims.credentials.entries()) {
      const verification = await this.options.credentials.verify({ jwt });
      credentials.push(verification);
      for (const failure of verification.errors) errors.push({ ...failure, credentialIndex: index });
      if (verification.subject !== claims.holder) {
        checks.holder = false;
        errors.push({ ...issue('holder-mismatch', `credential ${index} is about ${verification.subject ?? 'no subject'}, not the holder ${claims.holder}`), credentialIndex: index });
      }
    }
    if (claims.credentials.length > 0) checks.credentials = credentials.every((c) => c.verified);
    return result(claims.holder);
  }
}
