// Decodes a compact JWT (VC-JWT or VP-JWT), or an SD-JWT VC with its disclosures and key-binding JWT,
// for display: base64url header, payload and disclosures as JSON. No signature or digest check here;
// that is the service's job (POST /v1/credentials/verify).
import { DomainError } from '../../core/errors';

/** `MALFORMED_JWT`: the text is not a compact JWT with JSON header and payload; the message says why. */
export class MalformedJwtError extends DomainError<'MALFORMED_JWT'> {
  constructor(message: string) {
    super('MALFORMED_JWT', message);
  }
}

export interface DecodedJwt {
  /** The compact form, whitespace removed. */
  compact: string;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** What the JWT carries, by its did-jwt-vc claim: `vc` (credential) or `vp` (presentation). */
export type JwtKind = 'credential' | 'presentation' | 'other';

const MAX_JWT_LENGTH = 1_048_576;

/** Decodes `text` (whitespace and line breaks ignored). */
export function decodeJwt(text: string): DecodedJwt {
  const compact = text.replace(/\s+/g, '');
  if (compact === '') throw new MalformedJwtError('nothing was pasted');
  if (compact.length > MAX_JWT_LENGTH) throw new MalformedJwtError(`it is ${compact.length} characters long, at most ${MAX_JWT_LENGTH} are accepted`);
  const parts = compact.split('.');
  if (parts.length !== 3) throw new MalformedJwtError(`a JWT has three parts separated by dots, this text has ${parts.length}`);
  return { compact, header: jsonPart(parts[0]!, 'header'), payload: jsonPart(parts[1]!, 'payload') };
}

/** An SD-JWT as pasted: the issuer-signed JWT, the disclosures the holder kept, its key-binding JWT. */
export interface DecodedSdJwt {
  /** The SD-JWT, whitespace removed. */
  compact: string;
  issuerJwt: DecodedJwt;
  /** Each disclosure: `[salt, name, value]` for a property, `[salt, value]` for an array element. */
  disclosures: Array<{ name?: string; value: unknown }>;
  keyBinding?: DecodedJwt;
}

/** Whether the pasted text is an SD-JWT (a JWT followed by "~"), not a plain JWT. */
export function isSdJwt(text: string): boolean {
  return text.includes('~');
}

/** Decodes an SD-JWT (whitespace and line breaks ignored); throws MalformedJwtError. */
export function decodeSdJwt(text: string): DecodedSdJwt {
  const compact = text.replace(/\s+/g, '');
  if (compact.length > MAX_JWT_LENGTH) throw new MalformedJwtError(`it is ${compact.length} characters long, at most ${MAX_JWT_LENGTH} are accepted`);
  const parts = compact.split('~');
  const last = parts[parts.length - 1]!;
  const disclosures = parts.slice(1, -1).map((part, index) => {
    const value = jsonValue(part, `disclosure ${index + 1}`);
    if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3)) throw new MalformedJwtError(`its disclosure ${index + 1} is not [salt, name, value] or [salt, value]`);
    return value.length === 3 ? { name: String(value[1]), value: value[2] } : { value: value[1] };
  });
  return {
    compact,
    issuerJwt: decodeJwt(parts[0]!),
    disclosures,
    ...(last !== '' ? { keyBinding: decodeJwt(last) } : {}),
  };
}

/** Whether the payload holds a credential (`vc`) or a presentation (`vp`). */
export function jwtKind(payload: Record<string, unknown>): JwtKind {
  if (isObject(payload.vp)) return 'presentation';
  if (isObject(payload.vc)) return 'credential';
  return 'other';
}

/** The JWT-encoded credentials inside a presentation's `vp.verifiableCredential`. */
export function embeddedCredentialJwts(payload: Record<string, unknown>): string[] {
  const vp = payload.vp;
  if (!isObject(vp)) return [];
  const embedded = vp.verifiableCredential;
  const list = Array.isArray(embedded) ? embedded : embedded === undefined ? [] : [embedded];
  return list.filter((item): item is string => typeof item === 'string');
}

function jsonPart(part: string, name: string): Record<string, unknown> {
  const value = jsonValue(part, name);
  if (!isObject(value)) throw new MalformedJwtError(`its ${name} is not a JSON object`);
  return value;
}

function jsonValue(part: string, name: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new MalformedJwtError(`its ${name} is not base64url text`);
  let text: string;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    throw new MalformedJwtError(`its ${name} is not base64url-encoded UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedJwtError(`its ${name} is not JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
