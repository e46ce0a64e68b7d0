// The callbacks the @openid4vc libraries call for cryptography: hashing and randomness from
// node:crypto, JWTs signed with the service's ES256 key, and JWTs of others (wallet proofs, access
// tokens, DPoP) checked natively against a JWK or against a key of a DID the service resolves.
import { createHash, randomBytes } from 'node:crypto';
import type { CallbackContext, Jwk, JwtSigner } from '@openid4vc/oauth2';
import type { Resolvable, VerificationMethod } from 'did-resolver';
import { base58btc } from 'multiformats/bases/base58';
import { verifyWithJwk } from '../identity/credentials/verification/jwk-signature';
import type { Es256SigningKey } from '../identity/keys/signing-keys';

/** The callbacks every role of the libraries shares on the service side. */
export type ServiceCallbacks = CallbackContext;

const HASHES: Record<string, string> = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

/** Builds the callbacks: `signingKey` signs (the active ES256 key), `jwks` lists every key access tokens may carry. */
export function serviceCallbacks(options: { signingKey: () => Es256SigningKey; jwks: () => Jwk[]; resolver: Resolvable }): ServiceCallbacks {
  return {
    hash: (data, alg) => new Uint8Array(createHash(HASHES[alg] ?? 'sha256').update(data).digest()),
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    // The service signs only as itself (access tokens, request objects): whatever signer the library
    // names was built from this key, so the active key signs and its JWK is returned.
    signJwt: (_signer, { header, payload }) => {
      const key = options.signingKey();
      const signingInput = `${base64urlJson({ ...header, alg: 'ES256' })}.${base64urlJson(payload)}`;
      return { jwt: `${signingInput}.${key.sign(signingInput)}`, signerJwk: { ...key.publicJwk, kid: key.id } as Jwk };
    },
    verifyJwt: async (signer, { header, compact }) => {
      const jwk = await signerJwk(signer, options.resolver);
      if (!jwk) return { verified: false };
      const [encodedHeader, encodedPayload, signature] = compact.split('.');
      const ok = verifyWithJwk(`${encodedHeader}.${encodedPayload}`, signature ?? '', String(header.alg), jwk as Record<string, unknown>);
      return ok ? { verified: true, signerJwk: jwk } : { verified: false, signerJwk: jwk };
    },
    getJwks: () => ({ keys: options.jwks() }),
    clientAuthentication: () => undefined,
    encryptJwe: () => {
      throw new Error('the service encrypts no JWE');
    },
    decryptJwe: () => {
      throw new Error('the service accepts no encrypted responses');
    },
  };
}

/** The public key a signer names: its JWK, or the key of its DID URL. */
async function signerJwk(signer: JwtSigner, resolver: Resolvable): Promise<Jwk | undefined> {
  if (signer.method === 'jwk') return signer.publicJwk;
  if (signer.method !== 'did') return undefined;
  const did = signer.didUrl.split('#')[0]!;
  const resolution = await resolver.resolve(did);
  const methods = resolution.didDocument?.verificationMethod ?? [];
  const method = methods.find((m) => m.id === signer.didUrl || `${did}${m.id}` === signer.didUrl);
  return method ? jwkOfMethod(method) : undefined;
}

/** A verification method's key as a JWK (publicKeyJwk, or an Ed25519 key in base58 or multibase). */
export function jwkOfMethod(method: VerificationMethod): Jwk | undefined {
  if (method.publicKeyJwk) return method.publicKeyJwk as Jwk;
  let bytes: Uint8Array | undefined;
  if (method.publicKeyBase58) bytes = base58btc.baseDecode(method.publicKeyBase58);
  else if (method.publicKeyMultibase) bytes = base58btc.decode(method.publicKeyMultibase).slice(2);
  if (!bytes || !/Ed25519/.test(method.type)) return undefined;
  return { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes).toString('base64url') };
}

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
