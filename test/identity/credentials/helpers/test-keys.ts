// Fresh keys and DIDs made in tests, independent of the service's code: did:key (Ed25519) and did:ethr.
import { generateKeyPairSync } from 'node:crypto';
import { bytesToMultibase, EdDSASigner, ES256KSigner, hexToBytes, type Signer } from 'did-jwt';
import { Wallet } from 'ethers';

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
