// The service's identity as a signer: its did:ethr on the anchoring chain (named by its first key's
// address, which a rotation does not change) and the ES256K key that signs for it today.
import type { Signer } from 'did-jwt';
import type { Secp256k1PublicJwk } from '../keys/signing-keys';
import type { ServiceKeys } from '../keys/service-keys';

/** What signing as the service's did:ethr needs; the private key stays inside `signer`. Reads the active key on every use. */
export interface ServiceIdentity {
  /** `did:ethr:0x<chainId hex>:<lower-case identity address>`. */
  readonly did: string;
  /** The active ES256K key's address. */
  readonly address: string;
  readonly chainId: number;
  /** ES256K (RFC 8812): standard JOSE, and did-jwt verifies it against did:ethr by key recovery. */
  readonly alg: 'ES256K';
  readonly signer: Signer;
  readonly publicKeyJwk: Secp256k1PublicJwk;
}

/** The did:ethr of an address on a chain, as ethr-did-resolver names it. */
export function ethrDid(chainId: number, address: string): string {
  return `did:ethr:0x${chainId.toString(16)}:${address.toLowerCase()}`;
}

/** The service identity over its keys and the anchoring chain's id. */
export function createServiceIdentity(keys: ServiceKeys, chainId: number): ServiceIdentity {
  const did = ethrDid(chainId, keys.identityAddress);
  return {
    did,
    chainId,
    alg: 'ES256K',
    get address() {
      return keys.es256k().address;
    },
    get signer() {
      return keys.es256k().signer;
    },
    get publicKeyJwk() {
      return keys.es256k().publicJwk;
    },
  };
}
