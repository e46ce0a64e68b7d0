// A compact JWS signature checked against DID document keys with native code: ES256K with libsecp256k1
// compiled to WebAssembly (tiny-secp256k1), EdDSA and ES256 with node:crypto (cached KeyObjects, via
// jwk-signature.ts). did-jwt does the same curve arithmetic in JavaScript (@noble/curves), 5–15x slower.
// It is a drop-in for did-jwt 8's per-algorithm verifiers (its VerifierAlgorithm module): given the keys did-jwt
// would try, its verdict is did-jwt's, and where that cannot be promised it answers `undecided` so the
// caller runs did-jwt itself. What did-jwt accepts, and how this matches it (tested against did-jwt in
// test/identity/credentials/native-signature.test.ts):
// - ES256K: a 64-byte r ‖ s with 0 < r, s < n; S is normalized (high S accepted). Keys with key material
//   are verified; keys that are only an address (did:ethr's EcdsaSecp256k1RecoveryMethod2020 with a
//   `blockchainAccountId`) match when recovery with bit 0 or 1 gives a key of that address.
// - ES256K-R: 65 bytes (recovery bit 0–3 given) or 64 (both bits tried); the recovered key must equal a
//   key of the document or hash to its address.
// - ES256: 64 bytes, high S accepted (P-256 has no low-S rule).
// - EdDSA: did-jwt follows ZIP-215, which accepts a few non-canonical encodings that OpenSSL (RFC 8032)
//   refuses; so only a success is final here, a failure is left to did-jwt.
import { hash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { VerificationMethod } from 'did-resolver';
import { LRUCache } from 'lru-cache';
import { base58btc } from 'multiformats/bases/base58';
import { pointCompress, recover, verify as verifySecp256k1, type RecoveryIdType } from 'tiny-secp256k1';
import { decodeBase64url } from './compact-jwt';
import { verifyWithJwk } from './jwk-signature';

/** `valid` and `invalid` are what did-jwt would answer; `undecided`: ask did-jwt (a key form or case not covered here). */
export type NativeVerdict = 'valid' | 'invalid' | 'undecided';

/**
 * did-jwt's verdict on `signature` (base64url) over `signingInput` for `alg` with any of `methods` (the
 * keys did-jwt would try, in its order), computed natively, or `undecided`.
 */
export function verifySignatureNatively(alg: string, signingInput: string, signature: string, methods: readonly VerificationMethod[]): NativeVerdict {
  if (methods.some((method) => method.type === 'ConditionalProof2022')) return 'undecided';
  const bytes = decodeBase64url(signature);
  if (!bytes) return 'undecided';
  switch (alg) {
    case 'ES256K':
      return verifyEs256k(signingInput, bytes, methods);
    case 'ES256K-R':
      return verifyEs256kRecoverable(signingInput, bytes, methods);
    case 'ES256':
      return verifyEs256(signingInput, signature, bytes, methods);
    case 'EdDSA':
      return verifyEd25519(signingInput, signature, methods);
    default:
      return 'undecided';
  }
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function verifyEs256k(signingInput: string, signature: Uint8Array, methods: readonly VerificationMethod[]): NativeVerdict {
  if (signature.length !== 64 || !scalarsInRange(signature, SECP256K1_N)) return 'invalid';
  const digest = sha256(signingInput);
  let undecided = false;
  const addressMethods: VerificationMethod[] = [];
  for (const method of methods) {
    if (method.ethereumAddress || method.blockchainAccountId) {
      addressMethods.push(method);
      continue;
    }
    const key = publicKeyOf(method);
    if (key === 'unsupported') undecided = true;
    else if (key !== 'none' && isSecp256k1Encoding(key.bytes) && verifySecp256k1Safely(digest, key.bytes, signature)) return 'valid';
  }
  if (addressMethods.length > 0) {
    // An address's key, once recovered from a good signature, is simply verified with: one operation
    // instead of up to two recoveries. It is the same verdict: a signature verifies with Q exactly when
    // recovery with one of the two bits gives Q (the 2^-128 case of an R whose x is ≥ n aside).
    for (const method of addressMethods) {
      const known = knownKeyOf(method);
      if (known && verifySecp256k1Safely(digest, known, signature)) return 'valid';
    }
    const verdict = matchRecoveredKey(digest, [{ signature, recoveryId: 0 }, { signature, recoveryId: 1 }], addressMethods);
    if (verdict !== 'invalid') return verdict;
  }
  return undecided ? 'undecided' : 'invalid';
}

function verifyEs256kRecoverable(signingInput: string, signature: Uint8Array, methods: readonly VerificationMethod[]): NativeVerdict {
  if (signature.length !== 64 && signature.length !== 65) return 'invalid';
  const compact = signature.subarray(0, 64);
  if (!scalarsInRange(compact, SECP256K1_N)) return 'invalid';
  const candidates: Array<{ signature: Uint8Array; recoveryId: RecoveryIdType }> = [];
  if (signature.length === 65) {
    const recoveryId = signature[64]!;
    // did-jwt (noble) throws for any other recovery id, which fails the verification.
    if (recoveryId > 3) return 'invalid';
    candidates.push({ signature: compact, recoveryId: recoveryId as RecoveryIdType });
  } else {
    candidates.push({ signature: compact, recoveryId: 0 }, { signature: compact, recoveryId: 1 });
  }
  return matchRecoveredKey(sha256(signingInput), candidates, methods);
}

/** Address (lower case, 0x…) → uncompressed public key, learned from signatures that recovered to it. */
const recoveredKeys = new LRUCache<string, Uint8Array>({ max: 10_000 });

/**
 * Recovers the signer's key from each candidate and looks for a method it matches the way did-jwt's
 * verifyRecoverableES256K does: the method's key bytes (compressed or not), `ethereumAddress`, a
 * legacy `<address>@eip155…` or a CAIP-10 `eip155:<chain>:<address>` account id.
 */
function matchRecoveredKey(
  digest: Uint8Array,
  candidates: ReadonlyArray<{ signature: Uint8Array; recoveryId: RecoveryIdType }>,
  methods: readonly VerificationMethod[],
): NativeVerdict {
  let undecided = false;
  for (const candidate of candidates) {
    const recovered = recoverSafely(digest, candidate.signature, candidate.recoveryId);
    if (!recovered) continue;
    const address = ethereumAddressOf(recovered);
    for (const method of methods) {
      const match = recoveredMatches(recovered, address, method);
      if (match === 'unsupported') undecided = true;
      else if (match) {
        recoveredKeys.set(address, recovered);
        return 'valid';
      }
    }
  }
  return undecided ? 'undecided' : 'invalid';
}

function recoveredMatches(recovered: Uint8Array, address: string, method: VerificationMethod): boolean | 'unsupported' {
  const key = publicKeyOf(method);
  if (key === 'unsupported') return 'unsupported';
  if (key !== 'none') {
    // did-jwt parses these bytes as it goes; a key that is not a point makes it throw, so leave it to did-jwt.
    if (!isSecp256k1Encoding(key.bytes) || !isOnCurve(key.bytes)) return 'unsupported';
    if (equalBytes(key.bytes, recovered) || equalBytes(key.bytes, pointCompress(recovered, true))) return true;
  }
  if (method.ethereumAddress?.toLowerCase() === address) return true;
  const accountId = method.blockchainAccountId;
  if (accountId === undefined) return false;
  if (accountId.split('@eip155')[0]!.toLowerCase() === address) return true;
  const parts = accountId.split(':');
  if (parts[0] === 'eip155') {
    parts[parts.length - 1] = address;
    return parts.join(':').toLowerCase() === accountId.toLowerCase();
  }
  // Bitcoin and Cosmos account ids (did-jwt derives their addresses too): not covered here.
  return parts[0] === 'bip122' || parts[0] === 'cosmos' ? 'unsupported' : false;
}

/** The cached key of a recovery-only method's address, when a past signature revealed it. */
function knownKeyOf(method: VerificationMethod): Uint8Array | undefined {
  if (method.publicKeyBase58 || method.publicKeyBase64 || method.publicKeyHex || method.publicKeyJwk || method.publicKeyMultibase) return undefined;
  if (method.ethereumAddress) return recoveredKeys.get(method.ethereumAddress.toLowerCase());
  const accountId = method.blockchainAccountId ?? '';
  const parts = accountId.split(':');
  if (parts.length === 3 && parts[0] === 'eip155') return recoveredKeys.get(parts[2]!.toLowerCase());
  if (/^0x[0-9a-fA-F]{40}@eip155/.test(accountId)) return recoveredKeys.get(accountId.slice(0, 42).toLowerCase());
  return undefined;
}

function verifyEs256(signingInput: string, encoded: string, signature: Uint8Array, methods: readonly VerificationMethod[]): NativeVerdict {
  if (signature.length !== 64 || !scalarsInRange(signature, P256_N)) return 'invalid';
  let undecided = false;
  for (const method of methods) {
    if (method.ethereumAddress || method.blockchainAccountId) continue;
    const key = publicKeyOf(method);
    if (key === 'unsupported') undecided = true;
    else if (key !== 'none') {
      const jwk = uncompressedToJwk(key.bytes, 'P-256');
      // A compressed P-256 key would need decompressing first: left to did-jwt.
      if (!jwk) undecided ||= key.bytes.length === 33;
      else if (verifyWithJwk(signingInput, encoded, 'ES256', jwk)) return 'valid';
    }
  }
  return undecided ? 'undecided' : 'invalid';
}

function verifyEd25519(signingInput: string, encoded: string, methods: readonly VerificationMethod[]): NativeVerdict {
  const keys: Uint8Array[] = [];
  for (const method of methods) {
    const key = publicKeyOf(method);
    if (key === 'unsupported') return 'undecided';
    if (key === 'none' || key.keyType !== 'Ed25519') continue;
    // noble throws on a key of another length, which fails did-jwt's whole verification.
    if (key.bytes.length !== 32) return 'undecided';
    keys.push(key.bytes);
  }
  for (const key of keys) {
    if (verifyWithJwk(signingInput, encoded, 'EdDSA', { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key).toString('base64url') })) return 'valid';
  }
  return 'undecided';
}

/** did-jwt's key types by verification method type (VM_TO_KEY_TYPE in its util module), for keys whose encoding does not say. */
const KEY_TYPE_OF_METHOD: Record<string, string> = {
  Secp256k1SignatureVerificationKey2018: 'Secp256k1',
  Secp256k1VerificationKey2018: 'Secp256k1',
  EcdsaSecp256k1VerificationKey2019: 'Secp256k1',
  EcdsaPublicKeySecp256k1: 'Secp256k1',
  EcdsaSecp256k1RecoveryMethod2020: 'Secp256k1',
  EcdsaSecp256r1VerificationKey2019: 'P-256',
  Ed25519VerificationKey2018: 'Ed25519',
  Ed25519VerificationKey2020: 'Ed25519',
  ED25519SignatureVerification: 'Ed25519',
  X25519KeyAgreementKey2019: 'X25519',
  X25519KeyAgreementKey2020: 'X25519',
};

/** Multicodec prefixes (varint) of the public keys did-jwt knows in a multibase key. */
const MULTICODEC_KEY_TYPES: Array<{ prefix: number[]; keyType: string }> = [
  { prefix: [0xed, 0x01], keyType: 'Ed25519' },
  { prefix: [0xe7, 0x01], keyType: 'Secp256k1' },
  { prefix: [0x80, 0x24], keyType: 'P-256' },
  { prefix: [0xec, 0x01], keyType: 'X25519' },
];

type PublicKey = { bytes: Uint8Array; keyType: string | undefined };

/**
 * A method's key bytes as did-jwt's extractPublicKeyBytes reads them (the same precedence of fields):
 * `none` when did-jwt finds no key material (no key verifies), `unsupported` for an encoding not read here.
 */
function publicKeyOf(method: VerificationMethod): PublicKey | 'none' | 'unsupported' {
  const typeOfMethod = KEY_TYPE_OF_METHOD[method.type];
  if (method.publicKeyBase58) return decodeOr(() => base58btc.baseDecode(method.publicKeyBase58!), typeOfMethod);
  if (method.publicKeyBase64) return 'unsupported';
  if (method.publicKeyHex) {
    const hex = method.publicKeyHex.startsWith('0x') ? method.publicKeyHex.slice(2) : method.publicKeyHex;
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return 'unsupported';
    return { bytes: Uint8Array.from(Buffer.from(hex, 'hex')), keyType: typeOfMethod };
  }
  const jwk = method.publicKeyJwk;
  if (jwk && (jwk.crv === 'secp256k1' || jwk.crv === 'P-256') && jwk.x && jwk.y) {
    const x = decodeBase64url(jwk.x);
    const y = decodeBase64url(jwk.y);
    if (x?.length !== 32 || y?.length !== 32) return 'unsupported';
    return { bytes: Uint8Array.from([4, ...x, ...y]), keyType: jwk.crv === 'secp256k1' ? 'Secp256k1' : 'P-256' };
  }
  if (jwk && jwk.kty === 'OKP' && (jwk.crv === 'Ed25519' || jwk.crv === 'X25519') && jwk.x) {
    const x = decodeBase64url(jwk.x);
    return x ? { bytes: x, keyType: jwk.crv } : 'unsupported';
  }
  if (method.publicKeyMultibase) {
    if (!method.publicKeyMultibase.startsWith('z')) return 'unsupported';
    const bytes = decodeOr(() => base58btc.decode(method.publicKeyMultibase!), typeOfMethod);
    if (bytes === 'unsupported' || [32, 33, 48, 64, 65, 96].includes(bytes.bytes.length)) return bytes;
    const codec = MULTICODEC_KEY_TYPES.find(({ prefix }) => prefix.every((byte, i) => bytes.bytes[i] === byte));
    return codec ? { bytes: bytes.bytes.subarray(codec.prefix.length), keyType: codec.keyType } : 'unsupported';
  }
  return 'none';
}

function decodeOr(decode: () => Uint8Array, keyType: string | undefined): PublicKey | 'unsupported' {
  try {
    return { bytes: decode(), keyType };
  } catch {
    return 'unsupported';
  }
}

/** The encodings noble accepts for a secp256k1 point (libsecp256k1 would also take the "hybrid" 0x06/0x07 ones). */
function isSecp256k1Encoding(key: Uint8Array): boolean {
  return (key.length === 33 && (key[0] === 2 || key[0] === 3)) || (key.length === 65 && key[0] === 4);
}

function isOnCurve(key: Uint8Array): boolean {
  try {
    pointCompress(key, true);
    return true;
  } catch {
    return false;
  }
}

function verifySecp256k1Safely(digest: Uint8Array, key: Uint8Array, signature: Uint8Array): boolean {
  try {
    // strict = false: a high S is normalized first, as did-jwt does (`normalizeS()` before verifying).
    return verifySecp256k1(digest, key, signature, false);
  } catch {
    return false; // not a point of the curve: noble fails the same key
  }
}

function recoverSafely(digest: Uint8Array, signature: Uint8Array, recoveryId: RecoveryIdType): Uint8Array | undefined {
  try {
    return recover(digest, signature, recoveryId, false) ?? undefined;
  } catch {
    return undefined; // r is no x coordinate of the curve (for this recovery id): nothing recovers
  }
}

/** `0x` + the last 20 bytes of keccak256 of the uncompressed key without its 0x04 prefix, lower case. */
function ethereumAddressOf(uncompressed: Uint8Array): string {
  return `0x${Buffer.from(keccak_256(uncompressed.subarray(1)).subarray(12)).toString('hex')}`;
}

function uncompressedToJwk(key: Uint8Array, crv: string): Record<string, unknown> | undefined {
  if (key.length !== 65 || key[0] !== 4) return undefined;
  return { kty: 'EC', crv, x: Buffer.from(key.subarray(1, 33)).toString('base64url'), y: Buffer.from(key.subarray(33)).toString('base64url') };
}

/** 0 < r < n and 0 < s < n: noble's Signature.fromCompact throws otherwise, failing did-jwt's verification. */
function scalarsInRange(compact: Uint8Array, n: bigint): boolean {
  const r = BigInt(`0x${Buffer.from(compact.subarray(0, 32)).toString('hex')}`);
  const s = BigInt(`0x${Buffer.from(compact.subarray(32, 64)).toString('hex')}`);
  return r > 0n && r < n && s > 0n && s < n;
}

function sha256(text: string): Uint8Array {
  return hash('sha256', Buffer.from(text, 'utf8'), 'buffer');
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
