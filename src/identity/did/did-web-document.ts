// The service's did:web document: the same secp256k1 key as its did:ethr, published two ways so that
// did-jwt verifies ES256K (JsonWebKey2020) and ES256K-R (EcdsaSecp256k1RecoveryMethod2020) alike.
import type { DIDDocument } from 'did-resolver';
import type { ServiceIdentity } from './service-identity';

/** The DID document served at `/.well-known/did.json` for `didWeb`. */
export function serviceDidWebDocument(identity: ServiceIdentity, didWeb: string): DIDDocument {
  const jwkKey = `${didWeb}#key-1`;
  const recoveryKey = `${didWeb}#controller`;
  const methods = [jwkKey, recoveryKey];
  return {
    '@context': [
      'https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/suites/jws-2020/v1',
      'https://w3id.org/security/suites/secp256k1recovery-2020/v2',
    ],
    id: didWeb,
    alsoKnownAs: [identity.did],
    verificationMethod: [
      { id: jwkKey, type: 'JsonWebKey2020', controller: didWeb, publicKeyJwk: { ...identity.publicKeyJwk } },
      {
        id: recoveryKey,
        type: 'EcdsaSecp256k1RecoveryMethod2020',
        controller: didWeb,
        blockchainAccountId: `eip155:${identity.chainId}:${identity.address}`,
      },
    ],
    authentication: methods,
    assertionMethod: methods,
  };
}
