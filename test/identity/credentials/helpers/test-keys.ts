// Fresh keys and DIDs made in tests, independent of the service's code: did:key (Ed25519) and did:ethr.
import { generateKeyPairSync } from 'node:crypto';
import { bytesToMultibase, EdDSASigner, ES256KSigner, hexToBytes, type Signer } from 'did-jwt';
import { Wallet } from 'ethers';
import type { ServiceIdentity } from '../../../../src/identity/did/service-identity';
import { ServiceKeys } from '../../../../src/identity/keys/service-keys';
import { es256kKey, es256Signer, generateEs256Key } from '../../../../src/identity/keys/signing-keys';

export interface TestIssuer {
  did: string;
  alg: string;
  signer: Signer;
}

/** A fresh Ed25519 did:key (multicodec ed25519-pub, base58btc). */
export function freshDidKey(): TestIssuer {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  const did = `did:key:${bytesToMultibase(Buffer.from(jwk.x, 'base64url'), 'base58btc', 'ed25519-pub')}`;
  return { did, alg: 'EdDSA', signer: EdDSASigner(Buffer.from(jwk.d, 'base64url')) };
}

/** A fresh did:ethr on `chainId`, signing ES256K-R (recoverable, the did:ethr habit). */
export function freshDidEthr(chainId: number, alg: 'ES256K' | 'ES256K-R' = 'ES256K-R'): TestIssuer & { privateKey: string } {
  const wallet = Wallet.createRandom();
  return {
    did: `did:ethr:0x${chainId.toString(16)}:${wallet.address.toLowerCase()}`,
    alg,
    signer: ES256KSigner(hexToBytes(wallet.privateKey), alg === 'ES256K-R'),
    privateKey: wallet.privateKey,
  };
}

/** The service's keys without a database: a given (or fresh) ES256K key and a fresh ES256 key. */
export function inMemoryServiceKeys(privateKey: string = Wallet.createRandom().privateKey): ServiceKeys {
  const es256k = es256kKey(privateKey);
  const es256 = generateEs256Key();
  const createdAt = new Date().toISOString();
  return new ServiceKeys({
    identityAddress: es256k.address,
    es256k,
    es256,
    retiredEs256k: [],
    published: [
      { id: es256k.id, alg: 'ES256K', publicJwk: es256k.publicJwk, address: es256k.address, state: 'active', createdAt },
      { id: es256.id, alg: 'ES256', publicJwk: es256.publicJwk, state: 'active', createdAt },
    ],
  });
}

/** The signers an issuer and its status lists need, over `identity` and `keys` (did:web and issuer URL made up). */
export function testSigners(identity: ServiceIdentity, keys: ServiceKeys) {
  const es256 = () => ({ did: 'did:web:notary.example', alg: 'ES256', signer: es256Signer(keys.es256()), kid: `did:web:notary.example#${keys.es256().id}` });
  const token = () => ({ iss: 'https://notary.example', kid: keys.es256().id, alg: 'ES256' as const, sign: (input: string) => keys.es256().sign(input) });
  return {
    statusListSigners: { es256k: () => identity, es256, token },
    issuerSigners: { didWebSigner: es256, sdJwtVcKey: token, resolver: { resolve: async () => ({ didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error: 'notFound' } }) } },
  };
}
