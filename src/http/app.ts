// The Express application: middleware order, the OpenAPI contract as request validator, routes, problems.
import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Config } from '../config/config';
import type { IdentityServices } from '../identity/identity-services';
import type { Notary } from '../notarization/notary';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';
import type { ApiKeyStore } from '../access/api-keys';
import { webRoutes, type WebRouteOptions } from '../web/routes';
import { createRequestGuards, requireScope, type RequestGuards } from './auth';
import { OPENAPI_PATH } from './openapi-document';
import { HttpProblem, problemErrorHandler } from './problems';
import { publicCors } from './public-cors';
import { jsonDepthLimit, requestShape } from './request-shape';
import { observeRequest } from './request-observation';
import { memoizeRoutePatterns } from './route-regexp-cache';
import { credentialRoutes } from './routes/credentials';
import { didRoutes } from './routes/dids';
import { docsRoutes } from './routes/docs';
import { documentRoutes, multipartDocumentRoute } from './routes/documents';
import { keyRoutes } from './routes/keys';
import { notaryRoutes } from './routes/notary';
import { serviceRoutes, type HealthReport, type ServiceInfo } from './routes/service';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  keys: ApiKeyStore;
  notary: Notary;
  metrics: ServiceMetrics;
  identity: IdentityServices;
  info: () => ServiceInfo;
  health: () => Promise<HealthReport>;
  /** The verification page (GET /) and, for the embedded chain, its read-only chain relay. */
  web?: WebRouteOptions;
  /** Also check every response against openapi.yaml (tests). */
  validateResponses?: boolean;
  /** Shared with the fast paths in front of the app (service.ts); absent → the app's own. */
  guards?: RequestGuards;
}

/** Builds the app; listening and shutdown belong to the caller. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const observed = observeRequest(deps, req, res);
    res.on('finish', () => {
      // Only patterns, never paths: an unmatched path (/v1/receipts/aaaa…) would grow the label set without bound.
      const route = (req.route as { path?: string } | undefined)?.path ?? (req.path.startsWith('/docs/assets/') ? '/docs/assets/*' : 'unmatched');
      observed.finish(String(route), req.path);
    });
    next();
  });

  app.use(publicCors());
  app.use(requestShape());

  const { authenticator, limit } = deps.guards ?? createRequestGuards(deps.keys, deps.config.rateLimitPerSecond);
  const auth = {
    notarize: requireScope(authenticator, 'notarize', limit),
    issue: requireScope(authenticator, 'issue', limit),
    admin: requireScope(authenticator, 'admin', limit),
  };

  // Multipart uploads are streamed and hashed before any body parser or validator buffers them.
  app.post('/v1/documents', auth.notarize, multipartDocumentRoute(deps));
  // Before the JSON parser (the relay keeps its own small body limit) and the validator (not API operations).
  webRoutes(app, deps.web);

  app.use(express.json({ limit: '4mb', strict: true, type: ['application/json', 'application/*+json'] }));
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
  notaryRoutes(app, deps, auth.admin);
  keyRoutes(app, deps, auth.admin, authenticator);

  app.use((req, _res, next) => next(new HttpProblem('not-found', `no route for ${req.method} ${req.path}`)));
  app.use(problemErrorHandler(deps.logger));
  return app;
}
