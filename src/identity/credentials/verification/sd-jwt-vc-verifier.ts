// Verifies an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc), as issued or as presented by its holder: the
// issuer's signature with a key from its metadata or DID, the disclosures against their digests, the
// validity window, the Token Status List entry, and the holder's key binding (nonce, audience, iat,
// sd_hash). Returns the claims the presentation discloses. Every failure is a coded issue in the result.
import type { Resolvable } from 'did-resolver';
import type { ClaimPath } from '../sd-jwt/claim-paths';
import { revealClaims, splitSdJwt, type SplitSdJwt } from '../sd-jwt/sd-jwt-decoding';
import { StatusUnavailableError } from '../status-lists/status-checker';
import type { TokenStatusChecker } from '../status-lists/token-status-checker';
import type { CredentialChecks, CredentialVerificationResult } from './credential-verifier';
import { checkKeyBinding } from './key-binding';
import type { SdJwtIssuerKeys } from './sd-jwt-issuer-keys';
import { checkValidityWindow, DEFAULT_CLOCK_SKEW_SECONDS } from './validity-window';
import { checkTrustedIssuer } from './vc-payload';
import { issue, VerificationCheckError, type VerificationIssue } from './verification-errors';

/** The JOSE `typ` values of an SD-JWT VC: today's, and the one drafts before 2025 used. */
const SD_JWT_VC_TYPES = ['dc+sd-jwt', 'vc+sd-jwt'];

/** Claims of an SD-JWT VC that describe the credential rather than its subject; not among the `claims` returned. */
const REGISTERED_CLAIMS = new Set(['iss', 'iat', 'nbf', 'exp', 'vct', 'vct#integrity', 'cnf', 'status', 'sub', 'jti', 'aud']);

export interface SdJwtVcVerificationRequest {
  /** The SD-JWT VC: `<jwt>~<disclosures>~[<kb-jwt>]`. */
  credential: string;
  trustedIssuers?: readonly string[];
  /** When given, `vct` must be one of these. */
  expectedTypes?: readonly string[];
  /** The nonce the holder's KB-JWT must carry; when given (or `audience`), key binding is required. */
  nonce?: string;
  /** The audience the holder's KB-JWT must name. */
  audience?: string;
}

export interface SdJwtVcVerifierOptions {
  issuerKeys: SdJwtIssuerKeys;
  status: TokenStatusChecker;
  resolver: Resolvable;
  now?: () => number;
  skewSeconds?: number;
  keyBindingMaxAgeSeconds?: number;
}

export class SdJwtVcVerifier {
  private readonly now: () => number;
  private readonly skewSeconds: number;

  constructor(private readonly options: SdJwtVcVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.skewSeconds = options.skewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  }

  async verify(request: SdJwtVcVerificationRequest): Promise<CredentialVerificationResult> {
    const checks: CredentialChecks = { signature: null, notBefore: null, expiry: null, status: null, audience: null, keyBinding: null, nonce: null, disclosures: null };
    if (request.trustedIssuers) checks.trustedIssuer = null;
    if (request.expectedTypes) checks.type = null;
    const errors: VerificationIssue[] = [];
    const result = (found: { issuer?: string; subject?: string; id?: string; vct?: string; claims?: Record<string, unknown>; disclosed?: ClaimPath[] } = {}): CredentialVerificationResult => ({
      verified: errors.length === 0,
      issuer: found.issuer ?? null,
      subject: found.subject ?? null,
      ...(found.id !== undefined ? { id: found.id } : {}),
      ...(found.vct !== undefined ? { types: [found.vct] } : {}),
      format: 'dc+sd-jwt',
      ...(found.claims !== undefined ? { claims: found.claims } : {}),
      ...(found.disclosed !== undefined ? { disclosed: found.disclosed } : {}),
      checks,
      errors,
    });

    let presented: SplitSdJwt;
    try {
      presented = splitSdJwt(request.credential);
    } catch (error) {
      errors.push(asIssue(error));
      return result();
    }
    const { header, payload } = presented.issuerJwt;
    const iss = payload.iss;
    if (typeof iss !== 'string' || iss === '') {
      errors.push(issue('invalid-credential', 'an SD-JWT VC names its issuer in "iss"'));
      return result();
    }
    if (!SD_JWT_VC_TYPES.includes(String(header.typ))) {
      errors.push(issue('invalid-credential', `the JWT's typ is ${JSON.stringify(header.typ)}, not "dc+sd-jwt": it is not an SD-JWT VC`));
      return result({ issuer: iss });
    }
    const vct = payload.vct;
    if (typeof vct !== 'string' || vct === '') {
      errors.push(issue('invalid-credential', 'an SD-JWT VC names its type in "vct"'));
      return result({ issuer: iss });
    }
    const found = {
      issuer: iss,
      vct,
      ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
      ...(typeof payload.jti === 'string' ? { id: payload.jti } : {}),
    };

    const signatureIssue = await this.options.issuerKeys.checkSignature(presented.jwt, presented.issuerJwt, iss);
    checks.signature = signatureIssue === undefined;
    if (signatureIssue) errors.push(signatureIssue);

    let revealed: { claims: Record<string, unknown>; disclosed: ClaimPath[] } | undefined;
    try {
      revealed = revealClaims(payload, presented.disclosures);
      checks.disclosures = true;
    } catch (error) {
      checks.disclosures = false;
      errors.push(asIssue(error));
    }

    const nowSeconds = Math.floor(this.now() / 1000);
    const window = checkValidityWindow(payload, nowSeconds, this.skewSeconds);
    checks.notBefore = window.notBefore;
    checks.expiry = window.expiry;
    errors.push(...window.issues);

    const binding = await checkKeyBinding(presented, payload.cnf, request, {
      resolver: this.options.resolver,
      nowSeconds,
      skewSeconds: this.skewSeconds,
      ...(this.options.keyBindingMaxAgeSeconds !== undefined ? { maxAgeSeconds: this.options.keyBindingMaxAgeSeconds } : {}),
    });
    checks.keyBinding = binding.keyBinding;
    checks.nonce = binding.nonce;
    checks.audience = binding.audience;
    errors.push(...binding.issues);

    if (request.trustedIssuers) {
      const trustIssue = checkTrustedIssuer(iss, request.trustedIssuers);
      checks.trustedIssuer = trustIssue === undefined;
      if (trustIssue) errors.push(trustIssue);
    }
    if (request.expectedTypes) {
      const typeIssue = request.expectedTypes.includes(vct) ? undefined : issue('wrong-type', `the credential's type (vct) is ${vct}, not one of ${request.expectedTypes.join(', ')}`);
      checks.type = typeIssue === undefined;
      if (typeIssue) errors.push(typeIssue);
    }

    // A status list only means something for a credential whose signature holds.
    if (checks.signature && payload.status !== undefined) {
      const statusIssue = await this.checkStatus(payload.status, iss);
      checks.status = statusIssue === undefined;
      if (statusIssue) errors.push(statusIssue);
    }
    return result({
      ...found,
      ...(revealed ? { claims: Object.fromEntries(Object.entries(revealed.claims).filter(([name]) => !REGISTERED_CLAIMS.has(name))), disclosed: revealed.disclosed } : {}),
    });
  }

  private async checkStatus(status: unknown, issuer: string): Promise<VerificationIssue | undefined> {
    const reference = (status as { status_list?: { idx?: unknown; uri?: unknown } } | null)?.status_list;
    if (!reference || !Number.isSafeInteger(reference.idx) || (reference.idx as number) < 0 || typeof reference.uri !== 'string' || !/^https?:\/\/\S+$/.test(reference.uri)) {
      return issue('status-unavailable', 'the status claim is not a Token Status List reference {status_list: {idx, uri}}');
    }
    try {
      const state = await this.options.status.status({ idx: reference.idx as number, uri: reference.uri }, issuer);
      if (state === 'valid') return undefined;
      if (state === 'revoked') return issue('revoked', 'the issuer has revoked this credential');
      if (state === 'suspended') return issue('suspended', 'the issuer has suspended this credential');
      return issue('status-unavailable', `the status list holds the application-specific status ${state} for this credential`);
    } catch (error) {
      if (!(error instanceof StatusUnavailableError)) throw error;
      return issue('status-unavailable', error.message);
    }
  }
}

function asIssue(error: unknown): VerificationIssue {
  if (error instanceof VerificationCheckError) return error.toIssue();
  throw error;
}
