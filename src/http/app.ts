// The Express application: middleware order, the OpenAPI contract as request validator, routes, problems.
import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Config } from '../config/config';
import type { IdentityServices } from '../identity/identity-services';
import type { Notary } from '../notarization/notary';
import type { SignedCheckpoints } from '../notarization/log/signed-checkpoints';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';
import type { ApiKeyStore } from '../access/api-keys';
import type { WebhookEndpoints } from '../webhooks/endpoints';
import type { WalletServices } from '../wallets/wallet-services';
import { CHAIN_RPC_RELAY_PATH, webRoutes, type WebRouteOptions } from '../web/routes';
import { ClientLimiter, limitPerClient } from './client-limits';
import { requireScope, type RequestGuard } from './guards';
import { OPENAPI_PATH } from './openapi-document';
import { HttpProblem } from './problems';
import { problemErrorHandler } from './responses';
import { publicCors } from './public-cors';
import { jsonDepthLimit, requestShape } from './request-shape';
import { observeRequest } from './request-observation';
import { routeLabel } from './route-table';
import { memoizeRoutePatterns } from './route-regexp-cache';
import { credentialRoutes } from './routes/credentials';
import { didRoutes } from './routes/dids';
import { docsRoutes } from './routes/docs';
import { documentRoutes, multipartDocumentRoute } from './routes/documents';
import { keyRoutes } from './routes/keys';
import { logRoutes } from './routes/log';
import { notaryRoutes } from './routes/notary';
import type { HealthReport } from '../platform/observability/health';
import { serviceRoutes, type ServiceInfo } from './routes/service';
import { TIME_STAMP_QUERY_TYPE, timestampRoutes, type TimestampRouteDependencies } from './routes/timestamps';
import { MAX_QUERY_BYTES } from '../timestamping/time-stamp-request';
import { webhookRoutes } from './routes/webhooks';
import { walletRoutes } from './routes/wallets';
import { signingKeyRoutes } from './routes/signing-keys';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  keys: ApiKeyStore;
  /** Revokes a key on every replica (access/key-revocations.ts). */
  revokeKey: (keyId: string) => Promise<boolean>;
  notary: Notary;
  /** The log's signed checkpoints (GET /v1/log/checkpoint). */
  checkpoints: SignedCheckpoints;
  metrics: ServiceMetrics;
  identity: IdentityServices;
  /** Tenants' webhook endpoints and their delivery logs. */
  webhooks: WebhookEndpoints;
  /** The OpenID4VCI issuer and OpenID4VP verifier, and the public base URL wallets see. */
  wallets: WalletServices;
  baseUrl: () => string;
  info: () => ServiceInfo;
  health: () => Promise<HealthReport>;
  /** The verification page (GET /) and, for the embedded chain, its read-only chain relay. */
  web?: WebRouteOptions;
  /** Also check every response against openapi.yaml (tests). */
  validateResponses?: boolean;
  /** The API-key guard, shared with the fast lane in front of the app (server.ts). */
  guard: RequestGuard;
  /** The RFC 3161 time-stamp authority (POST /tsa) and its certificate chain. */
  tsa: TimestampRouteDependencies['tsa'];
  /** POST /tsa's per-client limiter, shared with its fast lane (server.ts); made here when absent. */
  tsaLimiter?: ClientLimiter;
}

/** Public requests one client may have open at once (each may wait seconds on a DID host or the chain). */
const MAX_PUBLIC_REQUESTS_IN_FLIGHT_PER_CLIENT = 16;

/** POST /tsa's limits per client address: TSA_RATE_LIMIT, and the public endpoints' in-flight bound. */
export function createTsaLimiter(config: Config): ClientLimiter {
  return new ClientLimiter({ perSecond: config.tsa.rateLimitPerSecond, maxInFlight: MAX_PUBLIC_REQUESTS_IN_FLIGHT_PER_CLIENT });
}

/** Builds the app; listening and shutdown belong to the caller. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    observeRequest(deps, req, res, () => routeLabel(req.method, req.path, (req.route as { path?: string } | undefined)?.path));
    next();
  });

  app.use(publicCors());
  app.use(requestShape());

  const auth = {
    notarize: requireScope(deps.guard, 'notarize'),
    issue: requireScope(deps.guard, 'issue'),
    admin: requireScope(deps.guard, 'admin'),
    // RFC 3161 clients send a user and password: the key is also taken as the Basic password.
    timestamp: requireScope(deps.guard, 'timestamp', { basicPassword: true }),
    webhooks: requireScope(deps.guard, 'webhooks'),
  };
  const tsaGuards = [
    limitPerClient(deps.tsaLimiter ?? createTsaLimiter(deps.config)),
    ...(deps.config.tsa.auth === 'api-key' ? [auth.timestamp] : []),
  ];

  // Multipart uploads are streamed and hashed before any body parser or validator buffers them.
  app.post('/v1/documents', auth.notarize, multipartDocumentRoute(deps));
  // Public endpoints that cost upstream work (chain calls, DID fetches) or a scrape: limited per client.
  app.use(
    ['/v1/receipts/verify', '/v1/credentials/verify', '/v1/dids', '/metrics', CHAIN_RPC_RELAY_PATH],
    limitPerClient({ perSecond: deps.config.publicRateLimitPerSecond, maxInFlight: MAX_PUBLIC_REQUESTS_IN_FLIGHT_PER_CLIENT }),
  );
  // The TSA's limit per client address and, with TSA_AUTH=api-key, its key: before its body is read.
  app.post('/tsa', ...tsaGuards);
  // Before the JSON parser (the relay keeps its own small body limit) and the validator (not API operations).
  webRoutes(app, deps.web);

  app.use(express.json({ limit: '4mb', strict: true, type: ['application/json', 'application/*+json'] }));
  // Time-stamp queries are DER: kept as bytes, for the validator (binary body) and POST /tsa.
  app.use('/tsa', express.raw({ type: TIME_STAMP_QUERY_TYPE, limit: MAX_QUERY_BYTES }));
  // OAuth's token request and OpenID4VP's direct_post answer are form-encoded.
  app.use(['/oid4vci/token', '/oid4vp/responses'], express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 100 }));
  app.use(jsonDepthLimit());
  serviceRoutes(app, deps);
  docsRoutes(app);
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await deps.metrics.render();
    res.type(contentType).send(body);
  });
  memoizeRoutePatterns();
  app.use(
    OpenApiValidator.middleware({
      apiSpec: OPENAPI_PATH,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses: deps.validateResponses ? { onError: (error) => { throw error; } } : false,
      validateSecurity: false,
      fileUploader: false,
      ignoreUndocumented: false,
      ignorePaths: /^\/(health|openapi\.yaml)?$/,
    }),
  );
  documentRoutes(app, deps, auth.notarize);
  credentialRoutes(
    app,
    {
      identity: deps.identity,
      onVerification: (kind, outcome) =>
        deps.metrics.verifications.inc({ kind, outcome: outcome.verified ? 'valid' : (outcome.errors[0]?.code ?? 'invalid') }),
    },
    auth.issue,
  );
  didRoutes(app, deps);
  notaryRoutes(app, deps, auth.admin, auth.notarize);
  logRoutes(app, deps);
  signingKeyRoutes(app, deps, auth.admin);
  keyRoutes(app, deps, auth.admin, deps.guard.authenticator);
  timestampRoutes(app, deps);
  webhookRoutes(app, deps, auth.webhooks);
  walletRoutes(app, deps, auth.issue);

  app.use((req, _res, next) => next(new HttpProblem('not-found', `no route for ${req.method} ${req.path}`)));
  app.use(problemErrorHandler(deps.logger));
  return app;
}
