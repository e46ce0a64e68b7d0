// Checks a JWT's signature against its issuer's DID document. Resolution failures keep their own codes
// (unknown, unresolvable, unsupported method…) so a caller can tell "bad signature" from "no key".
// The signature itself is checked natively (native-signature.ts) over the keys did-jwt would try;
// what that does not decide goes through did-jwt's verifyJWT / verifyJWS unchanged.
import { verifyJWS, verifyJWT, type JWTVerifyOptions } from 'did-jwt';
import { parse, type DIDDocument, type DIDResolutionResult, type Resolvable, type VerificationMethod } from 'did-resolver';
import { resolutionProblem } from '../../did/did-resolution';
import { verifySignatureNatively } from './native-signature';
import { issue, type VerificationIssue } from './verification-errors';

/** The verification relationship a key must have: assertions for credentials, authentication for presentations. */
export type ProofPurpose = 'assertionMethod' | 'authentication';

/**
 * Resolves `issuerDid` and verifies the signature of `jwt` (whose decoded payload is `payload`) with a
 * key from the document's `proofPurpose` relationship. Time and audience claims are checked elsewhere
 * (validity-window.ts). Resolves with undefined when the signature is good.
 */
export async function checkJwtSignature(
  jwt: string,
  payload: Record<string, unknown>,
  issuerDid: string,
  resolver: Resolvable,
  proofPurpose: ProofPurpose,
): Promise<VerificationIssue | undefined> {
  const resolution: DIDResolutionResult = await resolver.resolve(issuerDid);
  const problem = resolutionProblem(issuerDid, resolution);
  if (problem) return problem;
  const document = resolution.didDocument!;
  const invalid = () => issue('invalid-signature', `the signature does not verify with any ${proofPurpose} key of ${issuerDid}`);
  const native = nativeVerdict(jwt, payload, issuerDid, document, proofPurpose);
  if (native === 'valid') return undefined;
  if (native === 'invalid') return invalid();
  if (typeof payload.iss !== 'string') {
    // A VC-JOSE-COSE credential may name its issuer only in the credential ("issuer"); did-jwt's
    // verifyJWT needs "iss", so the document's keys are handed to its verifyJWS directly.
    try {
      verifyJWS(jwt, methodsFor(document, proofPurpose));
      return undefined;
    } catch {
      return invalid();
    }
  }
  try {
    await verifyJWT(jwt, {
      // did-jwt bundles an older did-resolver: same shape, different declaration
      resolver: { resolve: async () => resolution } as unknown as JWTVerifyOptions['resolver'],
      proofPurpose,
      policies: { nbf: false, iat: false, exp: false, aud: false },
    });
    return undefined;
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (message.startsWith('invalid_jwt') && !message.includes('No authenticator')) return issue('malformed-jwt', message);
    if (message.startsWith('resolver_error')) return issue('unresolvable-did', message);
    return invalid();
  }
}

/**
 * The native verdict over the keys the did-jwt call below would try: verifyJWS's (every key of the
 * relationship) without "iss", verifyJWT's (resolveAuthenticator's) with an "iss" naming the DID itself.
 * An "iss" that is a DID URL (did-jwt then takes that one key) or another party is left to did-jwt.
 */
function nativeVerdict(jwt: string, payload: Record<string, unknown>, issuerDid: string, document: DIDDocument, purpose: ProofPurpose) {
  const lastDot = jwt.lastIndexOf('.');
  let header: { alg?: unknown };
  try {
    header = JSON.parse(Buffer.from(jwt.slice(0, jwt.indexOf('.')), 'base64url').toString('utf8')) as { alg?: unknown };
  } catch {
    return 'undecided'; // callers decode strictly first; did-jwt reports whatever this is
  }
  if (typeof header.alg !== 'string') return 'undecided';
  let methods: VerificationMethod[];
  if (typeof payload.iss !== 'string') methods = methodsFor(document, purpose);
  else if (payload.iss === issuerDid && parse(issuerDid)?.did === issuerDid) methods = authenticatorsFor(document, header.alg, purpose);
  else return 'undecided';
  return verifySignatureNatively(header.alg, jwt.slice(0, lastDot), jwt.slice(lastDot + 1), methods);
}

/** The document's verification methods in `purpose`, references resolved to their methods. */
function methodsFor(document: DIDDocument, purpose: ProofPurpose): VerificationMethod[] {
  const all = [...(document.verificationMethod ?? []), ...(document.publicKey ?? [])];
  return (document[purpose] ?? []).flatMap((entry) => {
    if (typeof entry !== 'string') return [entry];
    const id = entry.startsWith('#') ? `${document.id}${entry}` : entry;
    return all.filter((method) => method.id === id || `${document.id}${method.id}` === id);
  });
}

/** Method types did-jwt 8 tries for each algorithm (SUPPORTED_PUBLIC_KEY_TYPES in its util module). */
const DID_JWT_KEY_TYPES: Record<string, readonly string[]> = {
  ES256: ['JsonWebKey2020', 'Multikey', 'EcdsaSecp256r1VerificationKey2019'],
  ES256K: ['EcdsaSecp256k1VerificationKey2019', 'EcdsaSecp256k1RecoveryMethod2020', 'Secp256k1VerificationKey2018', 'Secp256k1SignatureVerificationKey2018', 'EcdsaPublicKeySecp256k1', 'JsonWebKey2020', 'Multikey'],
  'ES256K-R': ['EcdsaSecp256k1VerificationKey2019', 'EcdsaSecp256k1RecoveryMethod2020', 'Secp256k1VerificationKey2018', 'Secp256k1SignatureVerificationKey2018', 'EcdsaPublicKeySecp256k1', 'ConditionalProof2022', 'JsonWebKey2020', 'Multikey'],
  EdDSA: ['ED25519SignatureVerification', 'Ed25519VerificationKey2018', 'Ed25519VerificationKey2020', 'JsonWebKey2020', 'Multikey'],
};

/**
 * The keys did-jwt 8's resolveAuthenticator picks for `alg` and `purpose`: the relationship's entries
 * (references by exact id, legacy `{ publicKey }` entries, embedded methods; every key when a document
 * has no `assertionMethod` at all), of a type did-jwt supports for `alg`, in document order.
 */
function authenticatorsFor(document: DIDDocument, alg: string, purpose: ProofPurpose): VerificationMethod[] {
  const types = DID_JWT_KEY_TYPES[alg] ?? [];
  const all = [...(document.verificationMethod ?? []), ...(document.publicKey ?? [])];
  const byId = (id: string) => all.find((method) => method.id === id);
  const entries: Array<string | VerificationMethod> =
    purpose === 'assertionMethod' && !Object.getOwnPropertyNames(document).includes('assertionMethod') ? all.map((method) => method.id) : (document[purpose] ?? []);
  return entries
    .map((entry) => {
      if (typeof entry === 'string') return byId(entry);
      const legacy = (entry as { publicKey?: unknown }).publicKey;
      return typeof legacy === 'string' ? byId(legacy) : entry;
    })
    .filter((method): method is VerificationMethod => method !== undefined && types.includes(method.type));
}
