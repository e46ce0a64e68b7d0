// The service's did:web document: the same secp256k1 key as its did:ethr, published two ways so that
// did-jwt verifies ES256K (JsonWebKey2020) and ES256K-R (EcdsaSecp256k1RecoveryMethod2020) alike.
import type { DIDDocument } from 'did-resolver';
import type { ServiceIdentity } from './service-identity';

/** The transparency log's checkpoint key, published beside the signing key (never for authentication). */
export interface PublishedLogKey {
  publicKeyJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  /** URL of the log's signed checkpoints. */
  checkpointUrl: string;
}

/** The DID document served at `/.well-known/did.json` for `didWeb`. */
export function serviceDidWebDocument(identity: ServiceIdentity, didWeb: string, logKey?: PublishedLogKey): DIDDocument {
  const jwkKey = `${didWeb}#key-1`;
  const recoveryKey = `${didWeb}#controller`;
  const methods = [jwkKey, recoveryKey];
  const document: DIDDocument = {
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
  if (logKey) {
    // The Ed25519 key that signs the log's checkpoints (C2SP signed notes): it signs nothing else, so
    // it is neither an authentication nor an assertion method.
    document.verificationMethod!.push({ id: `${didWeb}#log-key`, type: 'JsonWebKey2020', controller: didWeb, publicKeyJwk: { ...logKey.publicKeyJwk } });
    document.service = [{ id: `${didWeb}#transparency-log`, type: 'TransparencyLogCheckpoint', serviceEndpoint: logKey.checkpointUrl }];
  }
  return document;
}
