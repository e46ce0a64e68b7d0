// The RFC 3161 time-stamp authority over HTTP (RFC 3161 §3.4): POST /tsa answers a DER query with a
// DER reply, and GET /tsa/certificate hands out the certificate that verifies the tokens. Handlers
// translate; the protocol lives in src/timestamping.
import type { Express } from 'express';
import type { Logger } from '../../platform/observability/logger';
import type { ServiceMetrics } from '../../platform/observability/metrics';
import type { TimeStampAnswer } from '../../timestamping/time-stamp-authority';
import { certificatesPem } from '../../timestamping/tsa-credentials';

export const TIME_STAMP_QUERY_TYPE = 'application/timestamp-query';

export interface TimestampRouteDependencies {
  tsa: {
    answer(query: Uint8Array): Promise<TimeStampAnswer>;
    /** Leaf first (DER). */
    certificateChainDer: readonly Uint8Array[];
  };
  metrics: ServiceMetrics;
  logger: Logger;
}

export const TIME_STAMP_REPLY_TYPE = 'application/timestamp-reply';
export const TIME_STAMP_REPLY_CACHE_CONTROL = 'no-store';

/**
 * The HTTP answer to a time-stamp query, for the Express route and the fast lane in front of it
 * (timestamp-fast-path.ts) alike: the reply, its status, and the metric and log line it gives.
 */
export async function answerTimeStampQuery(deps: TimestampRouteDependencies, query: Uint8Array, requestId: unknown): Promise<{ status: number; body: Buffer }> {
  const { reply, outcome } = await deps.tsa.answer(query);
  deps.metrics.timeStamps.inc({ status: outcome.status, failure: outcome.status === 'rejection' ? outcome.failure : '' });
  if (outcome.status === 'rejection' && outcome.error !== undefined) {
    deps.logger.error({ err: outcome.error, requestId }, 'time-stamp query failed: answered systemFailure');
  }
  // A failure of the service is a 503 (monitors and proxies see it), with the reply clients read.
  const status = outcome.status === 'rejection' && outcome.failure === 'systemFailure' ? 503 : 200;
  return { status, body: Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength) };
}

/**
 * Registers POST /tsa and GET /tsa/certificate. POST /tsa's per-client limit and key check run before
 * its body is read, and its body arrives as raw bytes (both in app.ts).
 */
export function timestampRoutes(app: Express, deps: TimestampRouteDependencies): void {
  app.post('/tsa', async (req, res) => {
    // express.raw leaves no body for an empty request: an empty query, which the TSA rejects.
    const query = Buffer.isBuffer(req.body) ? new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength) : new Uint8Array(0);
    const { status, body } = await answerTimeStampQuery(deps, query, res.getHeader('x-request-id'));
    res.setHeader('Cache-Control', TIME_STAMP_REPLY_CACHE_CONTROL);
    res.status(status);
    res.type(TIME_STAMP_REPLY_TYPE).send(body);
  });

  const pem = certificatesPem(deps.tsa.certificateChainDer);
  const der = Buffer.from(deps.tsa.certificateChainDer[0]!);
  app.get('/tsa/certificate', (req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    if (req.accepts(['application/pem-certificate-chain', 'application/pkix-cert']) === 'application/pkix-cert') {
      res.type('application/pkix-cert').send(der);
      return;
    }
    res.type('application/pem-certificate-chain').send(pem);
  });
}
