// Validation of a request to issue a credential: the one place its rules live (the HTTP contract
// repeats the shape, this module owns the meaning). Throws INVALID_CREDENTIAL_REQUEST with the field.
import { DomainError } from '../../../core/errors';

export interface IssueCredentialRequest {
  /** The subject's DID (credentialSubject.id, JWT `sub`). */
  subject: string;
  /** Credential type(s) besides VerifiableCredential. */
  type: string | string[];
  /** Claims about the subject. */
  claims: Record<string, unknown>;
  /** ISO 8601 date-time after which the credential is expired (JWT `exp`). */
  expirationDate?: string;
  /** ISO 8601 date-time from which it is valid (JWT `nbf`; default: now). */
  validFrom?: string;
  /** The credential's id (a URI; default: a fresh urn:uuid). */
  id?: string;
}

/** A validated request: what the issuer signs, and what an idempotency key is compared on. */
export interface ValidatedIssueRequest {
  subject: string;
  types: string[];
  claims: Record<string, unknown>;
  expiresAtSeconds?: number;
  validFromSeconds?: number;
  id?: string;
}

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

const DID = /^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$/;
const TYPE = /^[A-Za-z][A-Za-z0-9_.:/#-]{0,199}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>\\^`{|}]{1,250}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Checks and normalises an issue request; `nowMs` bounds the expiry. */
export function validateIssueRequest(input: unknown, nowMs: number): ValidatedIssueRequest {
  if (!isObject(input)) throw invalid('body', 'the request must be a JSON object');
  const { subject, type, claims, expirationDate, validFrom, id } = input;
  if (typeof subject !== 'string' || subject.length > 500 || !DID.test(subject)) throw invalid('subject', 'must be a DID, e.g. did:key:z6Mk…');
  const rawTypes = Array.isArray(type) ? type : [type];
  if (rawTypes.length === 0 || rawTypes.length > 10 || !rawTypes.every((t): t is string => typeof t === 'string' && TYPE.test(t))) {
    throw invalid('type', 'must be a type name or a list of 1 to 10 of them (letters, digits, _.:/#-)');
  }
  const types = [...new Set(rawTypes.filter((t) => t !== 'VerifiableCredential'))];
  const reserved = types.filter((t) => RESERVED_CREDENTIAL_TYPES.includes(t));
  if (reserved.length > 0) throw invalid('type', `${reserved.join(', ')} is reserved for credentials the service issues itself`);
  if (!isObject(claims)) throw invalid('claims', 'must be a JSON object of claims about the subject');
  if ('id' in claims) throw invalid('claims', 'must not contain "id": the subject DID goes in "subject"');
  if (new TextEncoder().encode(JSON.stringify(claims)).length > MAX_CLAIMS_JSON_BYTES) {
    throw invalid('claims', `must be at most ${MAX_CLAIMS_JSON_BYTES} bytes of JSON`);
  }
  const validFromSeconds = validFrom === undefined ? undefined : isoSeconds(validFrom, 'validFrom');
  const expiresAtSeconds = expirationDate === undefined ? undefined : isoSeconds(expirationDate, 'expirationDate');
  if (expiresAtSeconds !== undefined) {
    if (expiresAtSeconds * 1000 <= nowMs) throw invalid('expirationDate', 'is in the past');
    if (validFromSeconds !== undefined && expiresAtSeconds <= validFromSeconds) throw invalid('expirationDate', 'must be after validFrom');
  }
  if (id !== undefined && (typeof id !== 'string' || !URI.test(id))) throw invalid('id', 'must be a URI such as urn:uuid:…');
  return {
    subject,
    types,
    claims,
    ...(expiresAtSeconds !== undefined ? { expiresAtSeconds } : {}),
    ...(validFromSeconds !== undefined ? { validFromSeconds } : {}),
    ...(id !== undefined ? { id: id as string } : {}),
  };
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
