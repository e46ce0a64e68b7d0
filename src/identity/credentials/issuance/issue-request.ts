// Validation of a request to issue a credential: the one place its rules live (the HTTP contract
// repeats the shape, this module owns the meaning). Throws INVALID_CREDENTIAL_REQUEST with the field.
import { DomainError } from '../../../core/errors';
import { SD_JWT_RESERVED_CLAIMS, type ClaimPath } from '../sd-jwt/claim-paths';
import type { VcDataModel } from '../verification/vc-payload';

/** The fields both formats share. */
interface CommonIssueFields {
  /** Claims about the subject. */
  claims: Record<string, unknown>;
  /** ISO 8601 date-time from which it is valid (default: now). */
  validFrom?: string;
  /** ISO 8601 date-time after which it is expired. */
  validUntil?: string;
  /** The former name of `validUntil` (VC Data Model 1.1); either may be given. */
  expirationDate?: string;
  /** The credential's id (a URI; default: a fresh urn:uuid). */
  id?: string;
}

/** A W3C credential as a JWT (`jwt_vc_json`), signed by the service's did:ethr (ES256K) or did:web (ES256). */
export interface IssueJwtVcRequest extends CommonIssueFields {
  format?: 'jwt_vc_json';
  /** The subject's DID (credentialSubject.id, JWT `sub`). */
  subject: string;
  /** Credential type(s) besides VerifiableCredential. */
  type: string | string[];
  /** VC Data Model version (default 2.0, VC-JOSE-COSE); 1.1 for verifiers that only read the `vc` claim. */
  dataModel?: VcDataModel;
  /** ES256K (default): signed by the service's did:ethr; ES256: by its did:web with a P-256 key. */
  alg?: JwtVcSigningAlgorithm;
}

/** An IETF SD-JWT VC (`dc+sd-jwt`), signed ES256 by the service as an HTTPS issuer. */
export interface IssueSdJwtVcRequest extends CommonIssueFields {
  format: 'dc+sd-jwt';
  /** The credential type (`vct`), e.g. `https://credentials.example.com/identity_credential`. */
  vct: string;
  /** An optional subject identifier (`sub`), always disclosed. */
  subject?: string;
  /**
   * The claims the holder may disclose one by one, as claim paths (`["address", "street"]`,
   * `["nationalities", null]` for every element). Default: every top-level claim.
   */
  disclosable?: ClaimPath[];
  /** The holder's key the credential is bound to (`cnf`): a public JWK, or a DID (URL) naming one. */
  holder?: { jwk: Record<string, unknown> } | { did: string };
}

/** What POST /v1/credentials takes, and what a protocol endpoint (OpenID4VCI) hands to the issuer. */
export type IssueCredentialRequest = IssueJwtVcRequest | IssueSdJwtVcRequest;

export type JwtVcSigningAlgorithm = 'ES256K' | 'ES256';

interface ValidatedCommon {
  claims: Record<string, unknown>;
  expiresAtSeconds?: number;
  validFromSeconds?: number;
  id?: string;
}

export interface ValidatedJwtVcRequest extends ValidatedCommon {
  format: 'jwt_vc_json';
  subject: string;
  types: string[];
  dataModel: VcDataModel;
  alg: JwtVcSigningAlgorithm;
}

export interface ValidatedSdJwtVcRequest extends ValidatedCommon {
  format: 'dc+sd-jwt';
  vct: string;
  subject?: string;
  disclosable: ClaimPath[];
  holder?: { jwk: HolderPublicJwk } | { did: string };
}

/** A validated request: what the issuer signs, and what an idempotency key is compared on. */
export type ValidatedIssueRequest = ValidatedJwtVcRequest | ValidatedSdJwtVcRequest;

/** A holder's public key as a JWK: EC P-256 or secp256k1, or OKP Ed25519. */
export type HolderPublicJwk = { kty: 'EC'; crv: 'P-256' | 'secp256k1'; x: string; y: string } | { kty: 'OKP'; crv: 'Ed25519'; x: string };

/**
 * Types only the service itself issues: a tenant minting one under the service DID could forge a
 * notarization statement or a status list.
 */
export const RESERVED_CREDENTIAL_TYPES = [
  'VerifiablePresentation',
  'DocumentNotarization',
  'BitstringStatusListCredential',
  'StatusList2021Credential',
];

export const MAX_CLAIMS_JSON_BYTES = 32 * 1024;
/** Selectively disclosable claims per credential: each is a disclosure the holder carries. */
export const MAX_DISCLOSABLE_CLAIMS = 100;

const DID = /^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$/;
const DID_URL = /^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+(?:#[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{1,200})?$/;
const TYPE = /^[A-Za-z][A-Za-z0-9_.:/#-]{0,199}$/;
const VCT = /^[\x21-\x7e]{1,500}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>\\^`{|}]{1,250}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const BASE64URL_COORDINATE = /^[A-Za-z0-9_-]{43}$/;

const JWT_VC_FIELDS = new Set(['format', 'subject', 'type', 'claims', 'validFrom', 'validUntil', 'expirationDate', 'id', 'dataModel', 'alg']);
const SD_JWT_VC_FIELDS = new Set(['format', 'vct', 'subject', 'claims', 'validFrom', 'validUntil', 'expirationDate', 'id', 'disclosable', 'holder']);

/** Checks and normalises an issue request of either format; `nowMs` bounds the expiry. */
export function validateIssueRequest(input: unknown, nowMs: number): ValidatedIssueRequest {
  if (!isObject(input)) throw invalid('body', 'the request must be a JSON object');
  const format = input.format ?? 'jwt_vc_json';
  if (format !== 'jwt_vc_json' && format !== 'dc+sd-jwt') throw invalid('format', 'must be jwt_vc_json or dc+sd-jwt');
  const allowed = format === 'jwt_vc_json' ? JWT_VC_FIELDS : SD_JWT_VC_FIELDS;
  const unknown = Object.keys(input).filter((field) => !allowed.has(field));
  if (unknown.length > 0) throw invalid(unknown[0]!, `is not a field of a ${format} request`);
  const common = validateCommon(input, nowMs);
  return format === 'jwt_vc_json' ? validateJwtVc(input, common) : validateSdJwtVc(input, common);
}

function validateJwtVc(input: Record<string, unknown>, common: ValidatedCommon): ValidatedJwtVcRequest {
  const { subject, type, dataModel = '2.0', alg = 'ES256K' } = input;
  if (typeof subject !== 'string' || subject.length > 500 || !DID.test(subject)) throw invalid('subject', 'must be a DID, e.g. did:key:z6Mk…');
  const rawTypes = Array.isArray(type) ? type : [type];
  if (rawTypes.length === 0 || rawTypes.length > 10 || !rawTypes.every((t): t is string => typeof t === 'string' && TYPE.test(t))) {
    throw invalid('type', 'must be a type name or a list of 1 to 10 of them (letters, digits, _.:/#-)');
  }
  const types = [...new Set(rawTypes.filter((t) => t !== 'VerifiableCredential'))];
  const reserved = types.filter((t) => RESERVED_CREDENTIAL_TYPES.includes(t));
  if (reserved.length > 0) throw invalid('type', `${reserved.join(', ')} is reserved for credentials the service issues itself`);
  if ('id' in common.claims) throw invalid('claims', 'must not contain "id": the subject DID goes in "subject"');
  if (dataModel !== '2.0' && dataModel !== '1.1') throw invalid('dataModel', 'must be 2.0 or 1.1');
  if (alg !== 'ES256K' && alg !== 'ES256') throw invalid('alg', 'must be ES256K (did:ethr) or ES256 (did:web)');
  return { format: 'jwt_vc_json', subject, types, dataModel, alg, ...common };
}

function validateSdJwtVc(input: Record<string, unknown>, common: ValidatedCommon): ValidatedSdJwtVcRequest {
  const { vct, subject, disclosable, holder } = input;
  if (typeof vct !== 'string' || !VCT.test(vct)) throw invalid('vct', 'must be the credential type: 1 to 500 visible characters, e.g. a URL');
  if (subject !== undefined && (typeof subject !== 'string' || subject.length > 500 || !URI.test(subject))) {
    throw invalid('subject', 'must be a URI (a DID, for instance)');
  }
  const reserved = Object.keys(common.claims).filter((name) => SD_JWT_RESERVED_CLAIMS.includes(name));
  if (reserved.length > 0) throw invalid('claims', `must not contain ${reserved.join(', ')}: the service sets these claims itself`);
  const misplaced = findSdJwtSyntaxKey(common.claims);
  if (misplaced) throw invalid('claims', `must not contain the SD-JWT keyword ${JSON.stringify(misplaced)}`);
  const paths = disclosable === undefined ? Object.keys(common.claims).map((name) => [name]) : validateClaimPaths(disclosable, common.claims);
  return {
    format: 'dc+sd-jwt',
    vct,
    ...(subject !== undefined ? { subject: subject as string } : {}),
    disclosable: paths,
    ...(holder !== undefined ? { holder: validateHolder(holder) } : {}),
    ...common,
  };
}

function validateCommon(input: Record<string, unknown>, nowMs: number): ValidatedCommon {
  const { claims, validFrom, validUntil, expirationDate, id } = input;
  if (!isObject(claims)) throw invalid('claims', 'must be a JSON object of claims about the subject');
  if (new TextEncoder().encode(JSON.stringify(claims)).length > MAX_CLAIMS_JSON_BYTES) {
    throw invalid('claims', `must be at most ${MAX_CLAIMS_JSON_BYTES} bytes of JSON`);
  }
  const validFromSeconds = validFrom === undefined ? undefined : isoSeconds(validFrom, 'validFrom');
  const untilSeconds = validUntil === undefined ? undefined : isoSeconds(validUntil, 'validUntil');
  const expirationSeconds = expirationDate === undefined ? undefined : isoSeconds(expirationDate, 'expirationDate');
  if (untilSeconds !== undefined && expirationSeconds !== undefined && untilSeconds !== expirationSeconds) {
    throw invalid('validUntil', 'and expirationDate name the same bound: give one of them');
  }
  const expiresAtSeconds = untilSeconds ?? expirationSeconds;
  const expiryField = untilSeconds !== undefined ? 'validUntil' : 'expirationDate';
  if (expiresAtSeconds !== undefined) {
    if (expiresAtSeconds * 1000 <= nowMs) throw invalid(expiryField, 'is in the past');
    if (validFromSeconds !== undefined && expiresAtSeconds <= validFromSeconds) throw invalid(expiryField, 'must be after validFrom');
  }
  if (id !== undefined && (typeof id !== 'string' || !URI.test(id))) throw invalid('id', 'must be a URI such as urn:uuid:…');
  return {
    claims,
    ...(expiresAtSeconds !== undefined ? { expiresAtSeconds } : {}),
    ...(validFromSeconds !== undefined ? { validFromSeconds } : {}),
    ...(id !== undefined ? { id: id as string } : {}),
  };
}

/** Claim paths that each name an existing claim; `null` steps into every element of an array. */
function validateClaimPaths(value: unknown, claims: Record<string, unknown>): ClaimPath[] {
  if (!Array.isArray(value) || value.length > MAX_DISCLOSABLE_CLAIMS) {
    throw invalid('disclosable', `must be a list of at most ${MAX_DISCLOSABLE_CLAIMS} claim paths`);
  }
  const seen = new Set<string>();
  return value.map((path, index) => {
    const where = `disclosable[${index}]`;
    if (!Array.isArray(path) || path.length === 0 || path.length > 16) throw invalid('disclosable', `${where} must be a non-empty list of at most 16 steps`);
    if (!path.every((step) => step === null || (typeof step === 'string' && step.length > 0 && step.length <= 200) || (Number.isSafeInteger(step) && (step as number) >= 0))) {
      throw invalid('disclosable', `${where} steps must be claim names, array indices or null (every element)`);
    }
    if (typeof path[0] !== 'string') throw invalid('disclosable', `${where} must start with a claim name`);
    if (path.length === 1 && SD_JWT_RESERVED_CLAIMS.includes(path[0])) throw invalid('disclosable', `${where}: ${path[0]} is never selectively disclosable`);
    const key = JSON.stringify(path);
    if (seen.has(key)) throw invalid('disclosable', `${where} appears twice`);
    seen.add(key);
    if (!claimPathExists(claims, path as ClaimPath)) throw invalid('disclosable', `${where} ${key} names no claim of the request`);
    return path as ClaimPath;
  });
}

function claimPathExists(value: unknown, path: ClaimPath): boolean {
  if (path.length === 0) return true;
  const [step, ...rest] = path;
  if (step === null) return Array.isArray(value) && value.length > 0 && value.every((element) => claimPathExists(element, rest));
  if (typeof step === 'number') return Array.isArray(value) && step < value.length && claimPathExists(value[step], rest);
  return isObject(value) && Object.hasOwn(value, step) && claimPathExists(value[step], rest);
}

function validateHolder(value: unknown): { jwk: HolderPublicJwk } | { did: string } {
  if (isObject(value) && Object.keys(value).length === 1 && typeof value.did === 'string') {
    if (value.did.length > 700 || !DID_URL.test(value.did)) throw invalid('holder', 'did must be a DID or a DID URL naming one of its keys');
    return { did: value.did };
  }
  if (isObject(value) && Object.keys(value).length === 1 && isObject(value.jwk)) return { jwk: validatePublicJwk(value.jwk) };
  throw invalid('holder', 'must be {"jwk": <public JWK>} or {"did": <DID or DID URL>}');
}

function validatePublicJwk(jwk: Record<string, unknown>): HolderPublicJwk {
  if ('d' in jwk) throw invalid('holder', 'jwk must be a public key: it holds a private part ("d")');
  if (jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'secp256k1')) {
    if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || !BASE64URL_COORDINATE.test(jwk.x) || !BASE64URL_COORDINATE.test(jwk.y)) {
      throw invalid('holder', 'jwk x and y must be 32-byte base64url coordinates');
    }
    return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    if (typeof jwk.x !== 'string' || !BASE64URL_COORDINATE.test(jwk.x)) throw invalid('holder', 'jwk x must be a 32-byte base64url key');
    return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  }
  throw invalid('holder', 'jwk must be an EC P-256 or secp256k1 key, or an OKP Ed25519 key');
}

/** `_sd`, `_sd_alg` and `...` anywhere in the claims would be read as SD-JWT syntax by a verifier. */
function findSdJwtSyntaxKey(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const element of value) {
      const found = findSdJwtSyntaxKey(element);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  for (const [key, nested] of Object.entries(value)) {
    if (key === '_sd' || key === '_sd_alg' || key === '...') return key;
    const found = findSdJwtSyntaxKey(nested);
    if (found) return found;
  }
  return undefined;
}

/** An Idempotency-Key header value: 1 to 200 visible ASCII characters. */
export function validateIdempotencyKey(key: string): string {
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) throw invalid('Idempotency-Key', 'must be 1 to 200 visible ASCII characters');
  return key;
}

/** JSON with object keys sorted: equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isoSeconds(value: unknown, field: string): number {
  const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalid(field, 'must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z');
  return Math.floor(ms / 1000);
}

function invalid(field: string, message: string): DomainError<'INVALID_CREDENTIAL_REQUEST'> {
  return new DomainError('INVALID_CREDENTIAL_REQUEST', `${field} ${message}`, { field });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
