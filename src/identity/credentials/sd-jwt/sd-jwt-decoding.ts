// Strict reading of a presented SD-JWT (RFC 9901): split it into the issuer-signed JWT, its disclosures and
// the optional key-binding JWT, and rebuild the claims the disclosures reveal (SD-JWT §7.1). Every way
// it can be wrong throws a VerificationCheckError with its own code; signatures are checked elsewhere.
import { CREDENTIAL_JWT_LIMITS, decodeBase64url, decodeCompactJwt, type DecodedJwt } from '../verification/compact-jwt';
import { VerificationCheckError } from '../verification/verification-errors';
import type { ClaimPath } from './claim-paths';
import { SD_HASH_ALGORITHM, sdDigest } from './disclosures';

/** A presented SD-JWT, taken apart. */
export interface SplitSdJwt {
  issuerJwt: DecodedJwt;
  /** The compact issuer-signed JWT. */
  jwt: string;
  /** The encoded disclosures, in the order presented. */
  disclosures: string[];
  /** The key-binding JWT, when the holder added one. */
  keyBindingJwt?: string;
  /** `<jwt>~<disclosures>~`: what a KB-JWT's `sd_hash` covers. */
  presentedWithoutKeyBinding: string;
}

/** The claims an SD-JWT shows once its disclosures are applied. */
export interface RevealedClaims {
  /** The payload with disclosed claims in place and `_sd`, `_sd_alg` and undisclosed elements removed. */
  claims: Record<string, unknown>;
  /** The path of each claim a disclosure revealed. */
  disclosed: ClaimPath[];
}

/** Longest SD-JWT accepted, disclosures and key binding included. */
export const MAX_SD_JWT_LENGTH = 256 * 1024;
/** Most disclosures in one SD-JWT: each costs a digest and a JSON parse. */
export const MAX_DISCLOSURES = 500;
/** Nesting depth the rebuild follows; deeper payloads are refused rather than walked. */
const MAX_DEPTH = 32;

/** Whether `text` has the shape of an SD-JWT (a JWT followed by `~`), as opposed to a plain JWT. */
export function looksLikeSdJwt(text: string): boolean {
  return text.includes('~');
}

/** Splits a compact SD-JWT; throws `malformed-sd-jwt`, or the JWT's own `malformed-jwt` / `alg-not-allowed`. */
export function splitSdJwt(text: string): SplitSdJwt {
  if (text.length > MAX_SD_JWT_LENGTH) throw malformed(`the SD-JWT is longer than ${MAX_SD_JWT_LENGTH} characters`);
  const parts = text.split('~');
  if (parts.length < 2) throw malformed('an SD-JWT is a JWT followed by "~"');
  const jwt = parts[0]!;
  const last = parts[parts.length - 1]!;
  const disclosures = parts.slice(1, -1);
  if (disclosures.length > MAX_DISCLOSURES) throw malformed(`at most ${MAX_DISCLOSURES} disclosures are accepted, this one has ${disclosures.length}`);
  if (disclosures.some((disclosure) => disclosure === '')) throw malformed('an empty disclosure (two "~" in a row)');
  const issuerJwt = decodeCompactJwt(jwt, CREDENTIAL_JWT_LIMITS);
  const presentedWithoutKeyBinding = `${parts.slice(0, -1).join('~')}~`;
  return { issuerJwt, jwt, disclosures, ...(last !== '' ? { keyBindingJwt: last } : {}), presentedWithoutKeyBinding };
}

/**
 * Applies the disclosures to the issuer's payload. Throws `invalid-disclosure` for a disclosure that is
 * not valid or that no digest of the payload refers to (tampered, or from another credential), and
 * `duplicate-disclosure` for a disclosure presented twice or a digest that appears twice.
 */
export function revealClaims(payload: Record<string, unknown>, encodedDisclosures: readonly string[]): RevealedClaims {
  const alg = payload._sd_alg ?? SD_HASH_ALGORITHM;
  if (alg !== SD_HASH_ALGORITHM) throw new VerificationCheckError('invalid-disclosure', `_sd_alg ${JSON.stringify(alg)} is not supported (only sha-256)`);
  const byDigest = new Map<string, { decoded: unknown[]; used: boolean }>();
  for (const encoded of encodedDisclosures) {
    const digest = sdDigest(encoded);
    if (byDigest.has(digest)) throw new VerificationCheckError('duplicate-disclosure', 'the same disclosure is presented twice');
    byDigest.set(digest, { decoded: decodeDisclosure(encoded), used: false });
  }
  const seenDigests = new Set<string>();
  const disclosed: ClaimPath[] = [];

  const rebuild = (value: unknown, path: ClaimPath, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new VerificationCheckError('invalid-disclosure', `claims nest deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const element of value) {
        if (isObject(element) && '...' in element) {
          if (Object.keys(element).length !== 1 || typeof element['...'] !== 'string') {
            throw new VerificationCheckError('invalid-disclosure', 'an array element digest must be an object holding only "..."');
          }
          const found = take(element['...']);
          if (!found) continue; // not disclosed: the element is left out
          if (found.length !== 2) throw new VerificationCheckError('invalid-disclosure', 'an array element disclosure has 2 members');
          const elementPath = [...path, out.length];
          disclosed.push(elementPath);
          out.push(rebuild(found[1], elementPath, depth + 1));
        } else {
          out.push(rebuild(element, [...path, out.length], depth + 1));
        }
      }
      return out;
    }
    if (!isObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [name, claim] of Object.entries(value)) {
      if (name === '_sd' || (depth === 0 && name === '_sd_alg')) continue;
      setClaim(out, name, rebuild(claim, [...path, name], depth + 1));
    }
    const digests = value._sd;
    if (digests !== undefined) {
      if (!Array.isArray(digests) || !digests.every((d): d is string => typeof d === 'string')) {
        throw new VerificationCheckError('invalid-disclosure', '"_sd" must be a list of digests');
      }
      for (const digest of digests) {
        const found = take(digest);
        if (!found) continue; // a claim the holder did not disclose, or a decoy
        if (found.length !== 3 || typeof found[1] !== 'string') throw new VerificationCheckError('invalid-disclosure', 'an object property disclosure has 3 members');
        const name = found[1];
        if (name === '_sd' || name === '...' || name === '_sd_alg') throw new VerificationCheckError('invalid-disclosure', `a disclosure may not name ${JSON.stringify(name)}`);
        if (Object.hasOwn(out, name)) throw new VerificationCheckError('invalid-disclosure', `the claim ${JSON.stringify(name)} is both visible and disclosed`);
        const claimPath = [...path, name];
        disclosed.push(claimPath);
        setClaim(out, name, rebuild(found[2], claimPath, depth + 1));
      }
    }
    return out;
  };

  const take = (digest: string): unknown[] | undefined => {
    if (seenDigests.has(digest)) throw new VerificationCheckError('duplicate-disclosure', 'a digest appears more than once in the credential');
    seenDigests.add(digest);
    const entry = byDigest.get(digest);
    if (!entry) return undefined;
    entry.used = true;
    return entry.decoded;
  };

  const claims = rebuild(payload, [], 0) as Record<string, unknown>;
  if ([...byDigest.values()].some((entry) => !entry.used)) {
    throw new VerificationCheckError('invalid-disclosure', 'a disclosure matches no digest of the credential: it was altered, or belongs to another credential');
  }
  return { claims, disclosed };
}

/** Sets an own property, whatever its name: a claim named "__proto__" stays a claim, not a prototype. */
function setClaim(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function decodeDisclosure(encoded: string): unknown[] {
  const bytes = decodeBase64url(encoded);
  if (!bytes) throw new VerificationCheckError('invalid-disclosure', 'a disclosure is not base64url');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new VerificationCheckError('invalid-disclosure', 'a disclosure is not UTF-8 JSON');
  }
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3) || typeof value[0] !== 'string') {
    throw new VerificationCheckError('invalid-disclosure', 'a disclosure is a JSON array [salt, name, value] or [salt, value]');
  }
  return value;
}

function malformed(message: string): VerificationCheckError {
  return new VerificationCheckError('malformed-sd-jwt', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
