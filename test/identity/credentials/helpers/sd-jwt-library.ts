// The other side of SD-JWT VCs in tests, none of it this project's code: @sd-jwt/sd-jwt-vc (issuer,
// holder and verifier) with @sd-jwt/crypto-nodejs (ES256 keys, signer, verifier, digest, salts).
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance, type SDJWTVCConfig } from '@sd-jwt/sd-jwt-vc';

export interface LibraryKey {
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
  signer: (data: string) => Promise<string>;
}

/** A fresh P-256 key pair made by @sd-jwt/crypto-nodejs, with its ES256 signer. */
export async function libraryKey(): Promise<LibraryKey> {
  const { publicKey, privateKey } = await ES256.generateKeyPair();
  return { publicJwk: publicKey as Record<string, unknown>, privateJwk: privateKey as Record<string, unknown>, signer: await ES256.getSigner(privateKey) };
}

/** An Ed25519 signer (EdDSA) over a raw private key, for holders bound through a did:key. */
export function ed25519Signer(privateJwk: { d: string; x: string }): (data: string) => Promise<string> {
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', ...privateJwk }, format: 'jwk' });
  return async (data) => nodeSign(null, Buffer.from(data), key).toString('base64url');
}

/** An @sd-jwt/sd-jwt-vc instance with the library's own hasher and salts. */
export function sdJwtVc(config: Partial<SDJWTVCConfig> = {}): SDJwtVcInstance {
  return new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt, ...config });
}

/** A holder that presents with key binding signed by `key` (ES256 unless said otherwise). */
export function libraryHolder(signer: (data: string) => Promise<string>, alg = 'ES256'): SDJwtVcInstance {
  return sdJwtVc({ kbSigner: signer, kbSignAlg: alg });
}

/**
 * A verifier given only the issuer's JWT VC Issuer Metadata, fetched over HTTP: it picks the key by the
 * JWT's `kid` and checks the signature with @sd-jwt/crypto-nodejs. Status lists are fetched by the
 * library itself and checked with the same keys.
 */
export async function metadataVerifier(issuerUrl: string, kbVerifier?: SDJWTVCConfig['kbVerifier']): Promise<SDJwtVcInstance> {
  const metadata = (await (await fetch(`${new URL(issuerUrl).origin}/.well-known/jwt-vc-issuer`)).json()) as { issuer: string; jwks: { keys: Array<Record<string, unknown>> } };
  if (metadata.issuer !== issuerUrl) throw new Error(`metadata of ${metadata.issuer}, expected ${issuerUrl}`);
  const verifier = async (data: string, signature: string) => {
    const header = JSON.parse(Buffer.from(data.split('.')[0]!, 'base64url').toString()) as { kid?: string };
    const jwk = metadata.jwks.keys.find((key) => key.kid === header.kid);
    if (!jwk) return false;
    return (await ES256.getVerifier(jwk))(data, signature);
  };
  return sdJwtVc({ verifier, ...(kbVerifier ? { kbVerifier } : {}) });
}
