// The two kinds of key the service signs with, as in-memory signers: secp256k1 (ES256K, its did:ethr and
// anchoring account) and P-256 (ES256, SD-JWT VCs and Token Status Lists, required by high-assurance
// wallet profiles). Private keys never leave these objects except to be written to their key file.
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { hexToBytes, type Signer } from 'did-jwt';
import { computeAddress, SigningKey } from 'ethers';
import { createEs256kSigner } from '../did/es256k-signer';

/** A secp256k1 public key as a JWK (RFC 8812). */
export interface Secp256k1PublicJwk {
  kty: 'EC';
  crv: 'secp256k1';
  x: string;
  y: string;
}

/** A P-256 public key as a JWK (RFC 7518). */
export interface P256PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** An ES256K key: the service's Ethereum account and its did:ethr key. Its id is the address. */
export interface Es256kSigningKey {
  alg: 'ES256K';
  /** The lower-case 0x address. */
  id: string;
  address: string;
  /** 0x-hex, for the anchoring wallet. */
  privateKey: string;
  /** A did-jwt Signer (deterministic, RFC 6979). */
  signer: Signer;
  publicJwk: Secp256k1PublicJwk;
}

/** An ES256 key; its id is its JWK thumbprint (RFC 7638), used as `kid`. */
export interface Es256SigningKey {
  alg: 'ES256';
  id: string;
  publicJwk: P256PublicJwk;
  /** Signs a JWS signing input: the base64url signature (r ‖ s). Synchronous, native. */
  sign(signingInput: string | Uint8Array): string;
  /** The private key as a JWK, for its key file. */
  privateJwk(): Record<string, string>;
}

export type SigningKeyPair = Es256kSigningKey | Es256SigningKey;

/** The ES256K key of a 0x-hex private key. */
export function es256kKey(privateKey: string): Es256kSigningKey {
  const signingKey = new SigningKey(privateKey);
  const uncompressed = hexToBytes(signingKey.publicKey); // 0x04 ‖ x ‖ y
  const address = computeAddress(signingKey.publicKey).toLowerCase();
  return {
    alg: 'ES256K',
    id: address,
    address,
    privateKey: signingKey.privateKey,
    signer: createEs256kSigner(hexToBytes(privateKey)),
    publicJwk: {
      kty: 'EC',
      crv: 'secp256k1',
      x: Buffer.from(uncompressed.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(uncompressed.subarray(33, 65)).toString('base64url'),
    },
  };
}

/** A fresh P-256 key. */
export function generateEs256Key(): Es256SigningKey {
  return es256KeyFromObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** The ES256 key of a private P-256 JWK (as its key file holds it). */
export function es256KeyFromJwk(jwk: Record<string, unknown>): Es256SigningKey {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new Error('not a private P-256 JWK');
  return es256KeyFromObject(createPrivateKey({ key: jwk as { kty: string }, format: 'jwk' }));
}

function es256KeyFromObject(privateKey: KeyObject): Es256SigningKey {
  const jwk = privateKey.export({ format: 'jwk' }) as { x: string; y: string; d: string };
  const publicJwk: P256PublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  return {
    alg: 'ES256',
    id: jwkThumbprint(publicJwk),
    publicJwk,
    sign: (signingInput) =>
      sign('sha256', typeof signingInput === 'string' ? Buffer.from(signingInput, 'utf8') : signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
    privateJwk: () => ({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }),
  };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC public key. */
export function jwkThumbprint(jwk: { kty: 'EC'; crv: string; x: string; y: string }): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
}

/** A did-jwt Signer over an ES256 key (for code that signs through did-jwt's interface). */
export function es256Signer(key: Es256SigningKey): Signer {
  return async (data) => key.sign(data);
}
