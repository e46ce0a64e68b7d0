// The service's ES256K signer (libsecp256k1 in WebAssembly) signs exactly as did-jwt's own signer:
// same key, same input, same bytes (RFC 6979, low S); and did-jwt verifies what it signs.
import { randomBytes } from 'node:crypto';
import { createJWT, ES256KSigner, hexToBytes, verifyJWT, type JWTVerifyOptions } from 'did-jwt';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { createEs256kSigner } from '../../../src/identity/did/es256k-signer';

describe('ES256K signer', () => {
  it('gives did-jwt ES256KSigner’s signature for every input, text or bytes', async () => {
    for (let k = 0; k < 5; k++) {
      const key = hexToBytes(Wallet.createRandom().privateKey);
      const ours = createEs256kSigner(key);
      const didJwt = ES256KSigner(key, false);
      const inputs: Array<string | Uint8Array> = [
        '',
        'eyJhbGciOiJFUzI1NksiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0',
        'non-ASCII: ü, 中文, 🙂',
        new Uint8Array(0),
        ...Array.from({ length: 40 }, (_, i) => (i % 2 ? randomBytes(i * 7) : randomBytes(i * 5).toString('base64url'))),
      ];
      for (const input of inputs) expect(await ours(input)).toBe(await didJwt(input));
    }
  });

  it('refuses a key that is not a secp256k1 private key', () => {
    expect(() => createEs256kSigner(new Uint8Array(32))).toThrow(/private key/);
    expect(() => createEs256kSigner(randomBytes(31))).toThrow(/private key/);
    expect(() => createEs256kSigner(hexToBytes('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'))).toThrow(/private key/);
  });

  it('signs JWTs that did-jwt verifies against a did:ethr account', async () => {
    const wallet = Wallet.createRandom();
    const did = `did:ethr:0x7a69:${wallet.address.toLowerCase()}`;
    const didDocument = {
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: did,
      verificationMethod: [{ id: `${did}#controller`, type: 'EcdsaSecp256k1RecoveryMethod2020', controller: did, blockchainAccountId: `eip155:31337:${wallet.address}` }],
      assertionMethod: [`${did}#controller`],
    };
    const resolver = { resolve: async () => ({ didDocument, didDocumentMetadata: {}, didResolutionMetadata: {} }) } as unknown as JWTVerifyOptions['resolver'];
    const jwt = await createJWT({ sub: 'did:key:z6Mk', claim: 'x' }, { issuer: did, signer: createEs256kSigner(hexToBytes(wallet.privateKey)), alg: 'ES256K' });
    const verified = await verifyJWT(jwt, { resolver, proofPurpose: 'assertionMethod', policies: { aud: false } });
    expect(verified.issuer).toBe(did);
  });
});
