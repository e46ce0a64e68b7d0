// JWS signatures checked against a public JWK with Node's native crypto: ES256 (P-256), ES256K
// (secp256k1) and EdDSA (Ed25519). Used where the key comes as a JWK (SD-JWT VC issuer metadata, a
// holder's `cnf.jwk`), which is the hot path of SD-JWT VC verification.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { decodeBase64url } from './compact-jwt';

/** The curve each algorithm needs: a key of another curve never verifies, whatever the signature. */
const CURVE_OF: Record<string, { kty: string; crv: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES256K: { kty: 'EC', crv: 'secp256k1' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/** Imported keys by their JWK: importing costs more than verifying. */
const keys = new LRUCache<string, KeyObject>({ max: 1_000 });

/** Whether `signature` (base64url) over `signingInput` verifies with `jwk` for `alg`; false for an unusable key. */
export function verifyWithJwk(signingInput: string, signature: string, alg: string, jwk: Record<string, unknown>): boolean {
  const curve = CURVE_OF[alg];
  if (!curve || jwk.kty !== curve.kty || jwk.crv !== curve.crv) return false;
  const key = importJwk(jwk);
  const bytes = decodeBase64url(signature);
  if (!key || !bytes) return false;
  try {
    const data = Buffer.from(signingInput, 'utf8');
    return alg === 'EdDSA' ? verify(null, data, key, bytes) : verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, bytes);
  } catch {
    return false;
  }
}

/** The algorithm a JWK signs with (its `alg`, else the one its curve implies). */
export function algorithmOfJwk(jwk: Record<string, unknown>): string | undefined {
  if (typeof jwk.alg === 'string') return jwk.alg;
  return Object.entries(CURVE_OF).find(([, curve]) => curve.kty === jwk.kty && curve.crv === jwk.crv)?.[0];
}

function importJwk(jwk: Record<string, unknown>): KeyObject | undefined {
  const publicPart = jwk.kty === 'OKP' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const cacheKey = JSON.stringify(publicPart);
  let key = keys.get(cacheKey);
  if (key) return key;
  try {
    key = createPublicKey({ key: publicPart as { kty: string }, format: 'jwk' });
  } catch {
    return undefined;
  }
  keys.set(cacheKey, key);
  return key;
}
