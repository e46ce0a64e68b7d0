// The service's signing keys over HTTP: the list anyone may read, and the rotation an admin asks for.
import type { Express, RequestHandler } from 'express';
import type { IdentityServices } from '../../identity/identity-services';

export interface SigningKeyRouteDependencies {
  identity: Pick<IdentityServices, 'keys' | 'rotateSigningKeys'>;
}

/** Registers GET /v1/signing-keys (public) and POST /v1/signing-keys/rotate (`admin`, the middleware given). */
export function signingKeyRoutes(app: Express, deps: SigningKeyRouteDependencies, admin: RequestHandler): void {
  app.get('/v1/signing-keys', (_req, res) => {
    res.json({ keys: deps.identity.keys.published() });
  });

  app.post('/v1/signing-keys/rotate', admin, async (req, res) => {
    res.json(await deps.identity.rotateSigningKeys(req.body ?? {}));
  });
}
