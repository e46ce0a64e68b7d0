// Verifies a credential of either format: an SD-JWT VC goes to sd-jwt-vc-verifier.ts; a W3C VC-JWT (2.0
// or 1.1) from any issuer with a resolvable DID is checked here: decoding limits and algorithm, signature
// via the issuer's DID document, validity window, audience, trusted issuers, expected types, status
// lists. Every failure is a coded issue in the result; nothing here throws for a bad credential.
import type { Resolvable } from 'did-resolver';
import { CREDENTIAL_JWT_LIMITS, decodeCompactJwt } from './compact-jwt';
import { checkJwtSignature } from './jwt-signature';
import { StatusUnavailableError, type StatusChecker } from '../status-lists/status-checker';
import { checkValidityWindow, DEFAULT_CLOCK_SKEW_SECONDS } from './validity-window';
import { checkAudience, checkExpectedTypes, checkTrustedIssuer, readCredentialClaims, type CredentialClaims, type VcDataModel } from './vc-payload';
import type { CredentialFormat } from '../credential-formats';
import type { ClaimPath } from '../sd-jwt/claim-paths';
import { looksLikeSdJwt } from '../sd-jwt/sd-jwt-decoding';
import type { SdJwtVcVerifier } from './sd-jwt-vc-verifier';
import { issue, VerificationCheckError, type VerificationIssue } from './verification-errors';

/** A credential to verify, in `credential` (either format) or, as before SD-JWT VCs, in `jwt`. */
export interface CredentialVerificationRequest {
  /** The credential: a VC-JWT (application/vc+jwt) or an SD-JWT VC (application/dc+sd-jwt). */
  credential?: string;
  /** The same as `credential`, for a VC-JWT (the field's name before SD-JWT VCs). */
  jwt?: string;
  /** When given, the issuer must be one of these (DIDs; for an SD-JWT VC, its `iss`). */
  trustedIssuers?: readonly string[];
  /** When given, the credential's `type` must include all of these (an SD-JWT VC's `vct` must be one of them). */
  expectedTypes?: readonly string[];
  /**
   * A VC-JWT: `aud` must include it, and one with an `aud` fails without it. An SD-JWT VC: the audience
   * its holder's key-binding JWT must name.
   */
  audience?: string;
  /** An SD-JWT VC: the nonce its holder's key-binding JWT must carry. */
  nonce?: string;
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
  /** SD-JWT VC: the holder's KB-JWT (signed by the `cnf` key, over this presentation, fresh). */
  keyBinding?: boolean | null;
  /** SD-JWT VC: the KB-JWT's nonce is the expected one. */
  nonce?: boolean | null;
  /** SD-JWT VC: every disclosure matches a digest of the credential, none twice. */
  disclosures?: boolean | null;
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
  /** SD-JWT VC: the paths of the claims that were selectively disclosed (the others were always visible). */
  disclosed?: ClaimPath[];
  checks: CredentialChecks;
  errors: VerificationIssue[];
}

export interface CredentialVerifierOptions {
  resolver: Resolvable;
  status: StatusChecker;
  sdJwtVc: SdJwtVcVerifier;
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

  /** Verifies `request.credential` (or `request.jwt`), of whichever format it is. */
  async verify(request: CredentialVerificationRequest): Promise<CredentialVerificationResult> {
    const credential = request.credential ?? request.jwt;
    if (typeof credential === 'string' && looksLikeSdJwt(credential)) return this.options.sdJwtVc.verify({ ...request, credential });
    return this.verifyJwtVc({ ...request, jwt: credential ?? '' });
  }

  private async verifyJwtVc(request: CredentialVerificationRequest & { jwt: string }): Promise<CredentialVerificationResult> {
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
