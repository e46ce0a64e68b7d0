// The service's one HTTP entry point: Node's server, the per-request error boundary, the fast lane
// (receipt reads, single-digest submissions and time-stamp queries answered without Express's middleware chain) and the
// Express app behind it. Both lanes share one API-key guard (guards.ts), one response writer
// (responses.ts), one route table for labels and CORS (route-table.ts) and one request
// observation, so a new rule is written once, here or in those modules.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, createTsaLimiter, type AppDependencies } from './app';
import { answerClientError, MAX_HEADER_BYTES } from './client-errors';
import { withReceiptFastPath } from './receipt-fast-path';
import { withRequestBoundary } from './request-boundary';
import { withSubmissionFastPath } from './submission-fast-path';
import { withTimeStampFastPath } from './timestamp-fast-path';

/** What the app needs; its `guard` is also the fast lane's (one key cache, one set of rate-limit buckets). */
export type HttpServerDependencies = AppDependencies;

/** The server, not yet listening: listening and closing belong to the caller. */
export function createHttpServer(deps: HttpServerDependencies): http.Server {
  const tsaLimiter = deps.tsaLimiter ?? createTsaLimiter(deps.config);
  const app = createApp({ ...deps, tsaLimiter });
  const { notary, metrics, logger, guard, tsa, config } = deps;
  const tsaLane = { tsa, metrics, logger, limiter: tsaLimiter, guard: config.tsa.auth === 'api-key' ? guard : undefined };
  const lanes = withTimeStampFastPath(
    withSubmissionFastPath(withReceiptFastPath(app, { notary, metrics, logger }), { notary, guard, metrics, logger }),
    tsaLane,
    config.trustProxy,
  );
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, withRequestBoundary(lanes, logger));
  server.keepAliveTimeout = 5_000;
  server.on('clientError', answerClientError);
  return server;
}

/** Grace given to in-flight requests at close; then their connections are closed. */
const CLOSE_GRACE_MS = 5_000;

/** Listens on `host:port` (0: any free port); `close` lets in-flight requests finish, for a while. */
export async function listen(server: http.Server, port: number, host: string): Promise<{ port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      await closed;
    },
  };
}
