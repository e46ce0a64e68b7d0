// Verifies a VC-JWT from any issuer with a resolvable DID: decoding limits and algorithm, signature via
// the issuer's DID document, validity window, audience, trusted issuers, expected types, status lists.
// Every failure is a coded issue in the result; nothing here throws for a bad credential.
import type { Resolvable } from 'did-resolver';
import { CREDENTIAL_JWT_LIMITS, decodeCompactJwt } from './compact-jwt';
import { checkJwtSignature } from './jwt-signature';
import { StatusUnavailableError, type StatusChecker } from '../status-lists/status-checker';
import { checkValidityWindow, DEFAULT_CLOCK_SKEW_SECONDS } from './validity-window';
import { checkAudience, checkExpectedTypes, checkTrustedIssuer, readCredentialClaims, type CredentialClaims, type VcDataModel } from './vc-payload';
import type { CredentialFormat } from '../credential-formats';
import { issue, VerificationCheckError, type VerificationIssue } from './verification-errors';

export interface CredentialVerificationRequest {
  jwt: string;
  /** When given, the issuer must be one of these DIDs. */
  trustedIssuers?: readonly string[];
  /** When given, the credential's `type` must include all of these. */
  expectedTypes?: readonly string[];
  /** When given, `aud` must include it; a credential with an `aud` fails without it. */
  audience?: string;
}

/** Each check: true passed, false failed, null not evaluated (not applicable, or an earlier step failed). */
export interface CredentialChecks {
  signature: boolean | null;
  notBefore: boolean | null;
  expiry: boolean | null;
  status: boolean | null;
  audience: boolean | null;
  trustedIssuer?: boolean | null;
  type?: boolean | null;
}

export interface CredentialVerificationResult {
  verified: boolean;
  issuer: string | null;
  subject: string | null;
  id?: string;
  types?: string[];
  /** The credential's format, as OpenID4VCI names it. */
  format: CredentialFormat;
  /** For a W3C credential (`jwt_vc_json`): the data model it follows. */
  dataModel?: VcDataModel;
  /** The claims about the subject the credential shows (for an SD-JWT VC: those it discloses). */
  claims?: Record<string, unknown>;
  checks: CredentialChecks;
  errors: VerificationIssue[];
}

export interface CredentialVerifierOptions {
  resolver: Resolvable;
  status: StatusChecker;
  /** Milliseconds clock. */
  now?: () => number;
  skewSeconds?: number;
}

export class CredentialVerifier {
  private readonly now: () => number;
  private readonly skewSeconds: number;

  constructor(private readonly options: CredentialVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.skewSeconds = options.skewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  }

  async verify(request: CredentialVerificationRequest): Promise<CredentialVerificationResult> {
    const checks: CredentialChecks = { signature: null, notBefore: null, expiry: null, status: null, audience: null };
    if (request.trustedIssuers) checks.trustedIssuer = null;
    if (request.expectedTypes) checks.type = null;
    const errors: VerificationIssue[] = [];
    const result = (claims?: Partial<CredentialClaims>): CredentialVerificationResult => ({
      verified: errors.length === 0,
      issuer: claims?.issuer ?? null,
      subject: claims?.subject ?? null,
      ...(claims?.id !== undefined ? { id: claims.id } : {}),
      ...(claims?.types !== undefined ? { types: claims.types } : {}),
      format: 'jwt_vc_json',
      ...(claims?.dataModel !== undefined ? { dataModel: claims.dataModel } : {}),
      ...(claims?.subjectClaims !== undefined ? { claims: claims.subjectClaims } : {}),
      checks,
      errors,
    });

    let payload: Record<string, unknown>;
    let claims: CredentialClaims;
    let typ: string | undefined;
    try {
      const decoded = decodeCompactJwt(request.jwt, CREDENTIAL_JWT_LIMITS);
      payload = decoded.payload;
      typ = typeof decoded.header.typ === 'string' ? decoded.header.typ : undefined;
    } catch (error) {
      errors.push(asIssue(error));
      return result();
    }
    try {
      claims = readCredentialClaims(payload, typ);
    } catch (error) {
      errors.push(asIssue(error));
      const iss = typeof payload.iss === 'string' ? payload.iss : undefined;
      return result(iss ? { issuer: iss } : undefined);
    }

    const signatureIssue = await checkJwtSignature(request.jwt, payload, claims.issuer, this.options.resolver, 'assertionMethod');
    checks.signature = signatureIssue === undefined;
    if (signatureIssue) errors.push(signatureIssue);

    const window = checkValidityWindow(payload, Math.floor(this.now() / 1000), this.skewSeconds, claims.credential);
    checks.notBefore = window.notBefore;
    checks.expiry = window.expiry;
    errors.push(...window.issues);

    const audienceIssue = checkAudience(payload.aud, request.audience);
    checks.audience = audienceIssue === undefined;
    if (audienceIssue) errors.push(audienceIssue);
    if (request.trustedIssuers) {
      const trustIssue = checkTrustedIssuer(claims.issuer, request.trustedIssuers);
      checks.trustedIssuer = trustIssue === undefined;
      if (trustIssue) errors.push(trustIssue);
    }
    if (request.expectedTypes) {
      const typeIssue = checkExpectedTypes(claims.types, request.expectedTypes);
      checks.type = typeIssue === undefined;
      if (typeIssue) errors.push(typeIssue);
    }

    // A status list only means something for a credential whose signature holds.
    if (checks.signature && (claims.statusEntries.length > 0 || claims.unsupportedStatusTypes.length > 0)) {
      const statusIssues = await this.checkStatus(claims);
      checks.status = statusIssues.length === 0;
      errors.push(...statusIssues);
    }
    return result(claims);
  }

  private async checkStatus(claims: CredentialClaims): Promise<VerificationIssue[]> {
    const issues: VerificationIssue[] = claims.unsupportedStatusTypes.map((type) =>
      issue('status-unavailable', `status entries of type ${type} are not supported`),
    );
    for (const entry of claims.statusEntries) {
      try {
        if (!(await this.options.status.isSet(entry, claims.issuer))) continue;
        if (entry.statusPurpose === 'revocation') issues.push(issue('revoked', 'the issuer has revoked this credential'));
        else if (entry.statusPurpose === 'suspension') issues.push(issue('suspended', 'the issuer has suspended this credential'));
      } catch (error) {
        if (!(error instanceof StatusUnavailableError)) throw error;
        issues.push(issue('status-unavailable', error.message));
      }
    }
    return issues;
  }
}

function asIssue(error: unknown): VerificationIssue {
  if (error instanceof VerificationCheckError) return error.toIssue();
  throw error;
}
