// The service's identity as a signer: its did:ethr on the anchoring chain and the secp256k1 key behind
// it, which also backs the service's did:web document.
import { hexToBytes, type Signer } from 'did-jwt';
import { computeAddress, SigningKey } from 'ethers';
import { createEs256kSigner } from './es256k-signer';

/** A secp256k1 public key as a JWK (RFC 8812). */
export interface Secp256k1PublicJwk {
  kty: 'EC';
  crv: 'secp256k1';
  x: string;
  y: string;
}

/** What signing as the service needs; the private key stays inside `signer`. */
export interface ServiceIdentity {
  /** `did:ethr:0x<chainId hex>:<lower-case address>`. */
  did: string;
  address: string;
  chainId: number;
  /** ES256K (RFC 8812): standard JOSE, and did-jwt verifies it against did:ethr by key recovery. */
  alg: 'ES256K';
  signer: Signer;
  publicKeyJwk: Secp256k1PublicJwk;
}

/** The did:ethr of an address on a chain, as ethr-did-resolver names it. */
export function ethrDid(chainId: number, address: string): string {
  return `did:ethr:0x${chainId.toString(16)}:${address.toLowerCase()}`;
}

/** Builds the service identity from its 0x-hex private key and the anchoring chain's id. */
export function createServiceIdentity(privateKey: string, chainId: number): ServiceIdentity {
  const signingKey = new SigningKey(privateKey);
  const uncompressed = hexToBytes(signingKey.publicKey); // 0x04 ‖ x ‖ y
  const address = computeAddress(signingKey.publicKey).toLowerCase();
  return {
    did: ethrDid(chainId, address),
    address,
    chainId,
    alg: 'ES256K',
    signer: createEs256kSigner(hexToBytes(privateKey)),
    publicKeyJwk: {
      kty: 'EC',
      crv: 'secp256k1',
      x: Buffer.from(uncompressed.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(uncompressed.subarray(33, 65)).toString('base64url'),
    },
  };
}
