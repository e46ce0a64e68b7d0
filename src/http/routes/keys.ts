// Admin routes for API keys; the CLI uses them when the service is running.
import type { Express, RequestHandler } from 'express';
import { createApiKey, type ApiKeyAuthenticator, type ApiKeyStore } from '../../access/api-keys';
import type { ApiKeyRecord, Scope } from '../../access/api-keys';
import { HttpProblem } from '../problems';

/** The public view of a key: never its hash or secret. */
export function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    tenant: key.tenantId,
    scopes: key.scopes,
    label: key.label,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt ? key.revokedAt.toISOString() : null,
  };
}

export function keyRoutes(app: Express, deps: { keys: ApiKeyStore; revokeKey: (keyId: string) => Promise<boolean> }, admin: RequestHandler, authenticator: Pick<ApiKeyAuthenticator, 'forget'>): void {
  app.get('/v1/keys', admin, async (_req, res) => {
    res.json({ keys: (await deps.keys.listApiKeys()).map(apiKeyView) });
  });
  app.post('/v1/keys', admin, async (req, res) => {
    const body = req.body as { tenant: string; scopes: Scope[]; label?: string };
    const created = await createApiKey(deps.keys, { tenantId: body.tenant, scopes: body.scopes, label: body.label });
    res.status(201).json({ ...apiKeyView(created.record), secret: created.secret });
  });
  app.delete('/v1/keys/:id', admin, async (req, res) => {
    const id = String(req.params.id);
    if (!(await deps.revokeKey(id))) throw new HttpProblem('api-key-not-found', `no active API key ${id}`);
    // This replica forgets it now; the others when the announcement reaches them (key-revocations.ts).
    authenticator.forget(id);
    res.status(204).end();
  });
}
