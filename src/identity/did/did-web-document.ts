// The service's did:web document: every key the service signs or signed with, so that what an old key
// signed still verifies after a rotation. Each secp256k1 key is published two ways, so that did-jwt
// verifies ES256K (JsonWebKey2020) and ES256K-R (EcdsaSecp256k1RecoveryMethod2020) alike; each P-256 key
// (ES256) as a JsonWebKey2020 whose id is the `kid` of what it signs. The transparency log's key stands
// beside them, for checkpoints only.
import type { DIDDocument, VerificationMethod } from 'did-resolver';
import type { PublishedSigningKey } from '../keys/service-keys';

/** The transparency log's checkpoint key, published beside the signing keys (never for authentication). */
export interface PublishedLogKey {
  publicKeyJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  /** URL of the log's signed checkpoints. */
  checkpointUrl: string;
}

/** The verification method id of a key in the did:web document (`kid` of what it signs as did:web). */
export function didWebKeyId(didWeb: string, key: { id: string }): string {
  return `${didWeb}#${key.id}`;
}

/** The DID document served at `/.well-known/did.json` for `didWeb`, also known as `ethrDid`. */
export function serviceDidWebDocument(didWeb: string, ethrDid: string, chainId: number, keys: readonly PublishedSigningKey[], logKey?: PublishedLogKey): DIDDocument {
  const methods: VerificationMethod[] = [];
  for (const key of keys) {
    methods.push({ id: didWebKeyId(didWeb, key), type: 'JsonWebKey2020', controller: didWeb, publicKeyJwk: { ...key.publicJwk } });
    if (key.alg === 'ES256K' && key.address) {
      methods.push({ id: `${didWeb}#${key.address}-recovery`, type: 'EcdsaSecp256k1RecoveryMethod2020', controller: didWeb, blockchainAccountId: `eip155:${chainId}:${key.address}` });
    }
  }
  const ids = methods.map((method) => method.id);
  const document: DIDDocument = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1', 'https://w3id.org/security/suites/secp256k1recovery-2020/v2'],
    id: didWeb,
    alsoKnownAs: [ethrDid],
    verificationMethod: methods,
    authentication: ids,
    assertionMethod: ids,
  };
  if (logKey) {
    // The Ed25519 key that signs the log's checkpoints (C2SP signed notes): it signs nothing else, so
    // it is neither an authentication nor an assertion method.
    methods.push({ id: `${didWeb}#log-key`, type: 'JsonWebKey2020', controller: didWeb, publicKeyJwk: { ...logKey.publicKeyJwk } });
    document.service = [{ id: `${didWeb}#transparency-log`, type: 'TransparencyLogCheckpoint', serviceEndpoint: logKey.checkpointUrl }];
  }
  return document;
}
