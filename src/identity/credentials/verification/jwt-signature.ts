// Checks a JWT's signature against its issuer's DID document. Resolution failures keep their own codes
// (unknown, unresolvable, unsupported method…) so a caller can tell "bad signature" from "no key".
import { verifyJWS, verifyJWT, type JWTVerifyOptions } from 'did-jwt';
import type { DIDDocument, DIDResolutionResult, Resolvable, VerificationMethod } from 'did-resolver';
import { resolutionProblem } from '../../did/did-resolution';
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
  const invalid = () => issue('invalid-signature', `the signature does not verify with any ${proofPurpose} key of ${issuerDid}`);
  if (typeof payload.iss !== 'string') {
    // A VC-JOSE-COSE credential may name its issuer only in the credential ("issuer"); did-jwt's
    // verifyJWT needs "iss", so the document's keys are handed to its verifyJWS directly.
    try {
      verifyJWS(jwt, methodsFor(resolution.didDocument!, proofPurpose));
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

/** The document's verification methods in `purpose`, references resolved to their methods. */
function methodsFor(document: DIDDocument, purpose: ProofPurpose): VerificationMethod[] {
  const all = [...(document.verificationMethod ?? []), ...(document.publicKey ?? [])];
  return (document[purpose] ?? []).flatMap((entry) => {
    if (typeof entry !== 'string') return [entry];
    const id = entry.startsWith('#') ? `${document.id}${entry}` : entry;
    return all.filter((method) => method.id === id || `${document.id}${method.id}` === id);
  });
}
