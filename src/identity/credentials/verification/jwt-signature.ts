// Checks a JWT's signature against its issuer's DID document. Resolution failures keep their own codes
// (unknown, unresolvable, unsupported method…) so a caller can tell "bad signature" from "no key".
import { verifyJWT, type JWTVerifyOptions } from 'did-jwt';
import type { DIDResolutionResult, Resolvable } from 'did-resolver';
import { resolutionProblem } from '../../did/did-resolution';
import { issue, type VerificationIssue } from './verification-errors';

/** The verification relationship a key must have: assertions for credentials, authentication for presentations. */
export type ProofPurpose = 'assertionMethod' | 'authentication';

/**
 * Resolves `issuerDid` and verifies the signature of `jwt` with a key from the document's
 * `proofPurpose` relationship. Time and audience claims are checked elsewhere (validity-window.ts).
 * Resolves with undefined when the signature is good.
 */
export async function checkJwtSignature(
  jwt: string,
  issuerDid: string,
  resolver: Resolvable,
  proofPurpose: ProofPurpose,
): Promise<VerificationIssue | undefined> {
  const resolution: DIDResolutionResult = await resolver.resolve(issuerDid);
  const problem = resolutionProblem(issuerDid, resolution);
  if (problem) return problem;
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
    return issue('invalid-signature', `the signature does not verify with any ${proofPurpose} key of ${issuerDid}`);
  }
}
