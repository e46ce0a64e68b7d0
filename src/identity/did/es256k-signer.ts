// The service key's ES256K signer. did-jwt's own ES256KSigner does the curve arithmetic in JavaScript
// (noble secp256k1): about 0.45–0.55 ms a signature here, 70 % of the main thread when issuing
// credentials. This one hands it to libsecp256k1 compiled to WebAssembly (tiny-secp256k1): about
// 0.15 ms. Both sign deterministically (RFC 6979) with low S, so for the same key and input they give
// the same signature, byte for byte: JWTs stay exactly what did-jwt would have made.
import { hash } from 'node:crypto';
import type { Signer } from 'did-jwt';
import { isPrivate, sign } from 'tiny-secp256k1';

/** A did-jwt Signer for ES256K (not recoverable: r ‖ s, base64url) with a 32-byte private key. */
export function createEs256kSigner(privateKey: Uint8Array): Signer {
  if (!isPrivate(privateKey)) throw new Error('an ES256K private key is 32 bytes and within the curve order');
  const key = Uint8Array.from(privateKey);
  return async (data) => {
    const digest = hash('sha256', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 'buffer');
    return Buffer.from(sign(digest, key)).toString('base64url');
  };
}
