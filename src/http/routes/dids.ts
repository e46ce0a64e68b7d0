// DID resolution over HTTP, the service's own did:web document and its JWT VC Issuer Metadata.
import type { Express } from 'express';
import { DomainError } from '../../core/errors';
import type { IdentityServices } from '../../identity/identity-services';
import { resolutionProblem, type ResolutionProblem } from '../../identity/did/did-resolution';

export interface DidRouteDependencies {
  identity: Pick<IdentityServices, 'resolver' | 'didWebDocument' | 'jwtVcIssuerMetadata'>;
}

/** Domain error codes (mapped to problems in problems.ts) of the resolution failures that have no result to show. */
const PROBLEM_CODES: Record<Exclude<ResolutionProblem['code'], 'deactivated-did'>, string> = {
  'invalid-did': 'INVALID_DID',
  'unsupported-did-method': 'UNSUPPORTED_DID_METHOD',
  'unknown-did': 'DID_NOT_FOUND',
  'unresolvable-did': 'DID_UNRESOLVABLE',
};

/** Registers GET /.well-known/did.json, /.well-known/jwt-vc-issuer and /v1/dids/{did} (public, no API key). */
export function didRoutes(app: Express, deps: DidRouteDependencies): void {
  app.get('/.well-known/did.json', (_req, res) => {
    res.type('application/did+json').send(JSON.stringify(deps.identity.didWebDocument()));
  });

  // Where SD-JWT VC verifiers look for the keys of an HTTPS issuer (SD-JWT VC §4).
  app.get('/.well-known/jwt-vc-issuer', (_req, res) => {
    res.setHeader('Cache-Control', 'max-age=60');
    res.json(deps.identity.jwtVcIssuerMetadata());
  });

  app.get('/v1/dids/:did', async (req, res) => {
    const did = String(req.params.did);
    const result = await deps.identity.resolver.resolve(did);
    const problem = resolutionProblem(did, result);
    // A deactivated DID still has a resolution result (metadata says so): return it.
    if (problem && problem.code !== 'deactivated-did') {
      throw new DomainError(PROBLEM_CODES[problem.code], problem.message, { didResolutionMetadata: result.didResolutionMetadata });
    }
    res.json(result);
  });
}
