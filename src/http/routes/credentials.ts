// Credentials, status lists and presentations over HTTP. Handlers translate; the rules live in
// src/identity/credentials. Verification failures are 200 results with coded errors, not problems.
import type { Express, RequestHandler } from 'express';
import type { StatusAction } from '../../identity/credentials/issuance/credential-issuer';
import type { IdentityServices } from '../../identity/identity-services';
import type { CredentialVerificationRequest } from '../../identity/credentials/verification/credential-verifier';
import { CREDENTIAL_MEDIA_TYPES } from '../../identity/credentials/credential-formats';
import { STATUS_LIST_JWT_MEDIA_TYPE } from '../../identity/credentials/status-lists/token-status-list';
import { callerKey } from '../guards';

export interface CredentialRouteDependencies {
  identity: IdentityServices;
  /** Told each verification's outcome (metrics by code). */
  onVerification?: (kind: 'credential' | 'presentation', outcome: { verified: boolean; errors: ReadonlyArray<{ code: string }> }) => void;
}

/**
 * Registers POST /v1/credentials, /v1/credentials/verify, /v1/credentials/{id}/revoke|suspend|reinstate,
 * GET /v1/status-lists/{id}, POST /v1/presentations/challenges and /v1/presentations/verify.
 * `issue` is the middleware requiring the `issue` scope.
 */
export function credentialRoutes(app: Express, deps: CredentialRouteDependencies, issue: RequestHandler): void {
  const { identity } = deps;

  app.post('/v1/credentials', issue, async (req, res) => {
    const { result, replayed } = await identity.issuer.issue(callerKey(res).tenantId, req.body, req.get('idempotency-key'));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    // The credential itself, in its own media type, for a client that asks for it; else the JSON view.
    const mediaType = CREDENTIAL_MEDIA_TYPES[result.format];
    if (req.accepts(['application/json', mediaType]) === mediaType) res.status(201).type(mediaType).send(result.format === 'dc+sd-jwt' ? result.sdJwt : result.jwt);
    else res.status(201).json(result);
  });

  app.post('/v1/credentials/verify', async (req, res) => {
    const result = await identity.verifier.verify(req.body as CredentialVerificationRequest);
    deps.onVerification?.('credential', result);
    res.json(result);
  });

  for (const action of ['revoke', 'suspend', 'reinstate'] as const satisfies readonly StatusAction[]) {
    app.post(`/v1/credentials/:id/${action}`, issue, async (req, res) => {
      const key = callerKey(res);
      res.json(await identity.issuer.changeStatus({ tenantId: key.tenantId, admin: key.scopes.includes('admin') }, String(req.params.id), action));
    });
  }

  app.get('/v1/status-lists/:id', async (req, res) => {
    const list = await identity.statusLists.get(String(req.params.id));
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', `"${list.id}-${list.version}"`);
    // A W3C list is a credential (application/vc+jwt); a Token Status List is a statuslist+jwt.
    const mediaType = list.purpose === 'token' ? STATUS_LIST_JWT_MEDIA_TYPE : 'application/vc+jwt';
    if (req.accepts([mediaType, 'application/jwt', 'application/json']) === 'application/json') res.json(list);
    else res.type(mediaType).send(list.jwt);
  });

  app.post('/v1/presentations/challenges', issue, async (req, res) => {
    res.status(201).json(await identity.challenges.create(callerKey(res).tenantId, req.body as { domain?: string; ttlSeconds?: number }));
  });

  app.post('/v1/presentations/verify', issue, async (req, res) => {
    const body = req.body as { jwt: string; nonce?: string; domain?: string };
    const result = await identity.presentations.verify(callerKey(res).tenantId, body);
    deps.onVerification?.('presentation', result);
    res.json(result);
  });
}
