// Strict decoding of compact JWS/JWT strings, before any key or DID is looked at. Pure: no Node, no I/O,
// so the same checks run in the browser. Limits stop hostile inputs (huge headers, deep nesting) early.
import { VerificationCheckError } from './verification-errors';

/** Signature algorithms we verify; `none`, HMAC and everything else are refused before key lookup. */
export const ALLOWED_JWT_ALGORITHMS = ['ES256K', 'ES256K-R', 'EdDSA', 'ES256'] as const;
export type AllowedJwtAlgorithm = (typeof ALLOWED_JWT_ALGORITHMS)[number];

export interface JwtDecodingLimits {
  /** Longest accepted compact JWT, in characters. */
  maxLength: number;
  /** Longest accepted encoded header, in characters. */
  maxHeaderLength: number;
}

/** Enough for a credential with generous claims; a presentation gets more (it embeds credentials). */
export const CREDENTIAL_JWT_LIMITS: JwtDecodingLimits = { maxLength: 64 * 1024, maxHeaderLength: 2048 };
export const PRESENTATION_JWT_LIMITS: JwtDecodingLimits = { maxLength: 512 * 1024, maxHeaderLength: 2048 };

export interface JwtHeader {
  alg: AllowedJwtAlgorithm;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface DecodedJwt {
  header: JwtHeader;
  payload: Record<string, unknown>;
  /** `<header>.<payload>`: the bytes the signature covers. */
  signingInput: string;
  signature: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Splits and decodes a compact JWT, checking size limits, strict base64url, JSON objects, and the
 * algorithm allow-list. Throws VerificationCheckError `malformed-jwt` or `alg-not-allowed`.
 */
export function decodeCompactJwt(jwt: unknown, limits: JwtDecodingLimits = CREDENTIAL_JWT_LIMITS): DecodedJwt {
  if (typeof jwt !== 'string') throw malformed('the JWT is not a string');
  if (jwt.length > limits.maxLength) throw malformed(`the JWT is longer than ${limits.maxLength} characters`);
  const parts = jwt.split('.');
  if (parts.length !== 3) throw malformed(`a compact JWT has 3 dot-separated parts, this one has ${parts.length}`);
  const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
  if (encodedHeader.length > limits.maxHeaderLength) {
    throw malformed(`the JWT header is longer than ${limits.maxHeaderLength} characters`);
  }
  const header = decodeJsonPart(encodedHeader, 'header');
  const alg = header.alg;
  if (typeof alg !== 'string') throw malformed('the JWT header has no "alg"');
  if (!(ALLOWED_JWT_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new VerificationCheckError(
      'alg-not-allowed',
      `algorithm ${JSON.stringify(alg.slice(0, 40))} is not allowed; accepted: ${ALLOWED_JWT_ALGORITHMS.join(', ')}`,
    );
  }
  if (header.crit !== undefined) throw malformed('the JWT header lists "crit" extensions, none of which are supported');
  if (header.b64 !== undefined) throw malformed('unencoded payloads ("b64") are not supported');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw malformed('the JWT header "kid" is not a string');
  const payload = decodeJsonPart(encodedPayload, 'payload');
  if (signature === '' || !BASE64URL.test(signature) || signature.length % 4 === 1) {
    throw malformed('the JWT signature is empty or not base64url');
  }
  return { header: header as JwtHeader, payload, signingInput: `${encodedHeader}.${encodedPayload}`, signature };
}

function decodeJsonPart(encoded: string, part: 'header' | 'payload'): Record<string, unknown> {
  if (encoded === '') throw malformed(`the JWT ${part} is empty`);
  const bytes = decodeBase64url(encoded);
  if (!bytes) throw malformed(`the JWT ${part} is not base64url`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed(`the JWT ${part} is not UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed(`the JWT ${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`the JWT ${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE_TABLE = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * Strict unpadded base64url (RFC 4648 §5): rejects padding, other alphabets, impossible lengths and
 * non-zero trailing bits, so one token has exactly one encoding. Undefined when invalid.
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE_TABLE[code]! : -1;
    if (value < 0) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >> bits) & 0xff;
      buffer &= (1 << bits) - 1;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out.subarray(0, written);
}

function malformed(message: string): VerificationCheckError {
  return new VerificationCheckError('malformed-jwt', message);
}
