// The bookkeeping every request gets, whether Express or a fast path in front of it answers: an
// x-request-id header, the latency histogram by route pattern, and one access-log line.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger';
import type { ServiceMetrics } from '../observability/metrics';

const CALLER_REQUEST_ID = /^[\w.-]{1,100}$/;

export interface ObservedRequest {
  requestId: string;
  /** Records the request once answered; `route` is the route pattern, never the path (ids would explode the label set). */
  finish(route: string, path: string): void;
}

/**
 * Starts observing a request: sets x-request-id (the caller's, if well-formed) and starts its clock,
 * or takes `startedAt` (process.hrtime.bigint() at arrival) when the request was already waited on.
 */
export function observeRequest(
  deps: { metrics: ServiceMetrics; logger: Logger },
  req: IncomingMessage,
  res: ServerResponse,
  startedAt: bigint = process.hrtime.bigint(),
): ObservedRequest {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && CALLER_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  const started = startedAt;
  return {
    requestId,
    finish(route, path) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.metrics.httpDuration.observe({ method: req.method ?? '', route, status: String(res.statusCode) }, ms / 1000);
      deps.logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    },
  };
}
