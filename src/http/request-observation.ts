// The bookkeeping every request gets, whether Express or the receipt fast path answers it: an
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

/** Starts observing a request: sets x-request-id (the caller's, if well-formed) and starts its clock. */
export function observeRequest(deps: { metrics: ServiceMetrics; logger: Logger }, req: IncomingMessage, res: ServerResponse): ObservedRequest {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && CALLER_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  const started = process.hrtime.bigint();
  return {
    requestId,
    finish(route, path) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.metrics.httpDuration.observe({ method: req.method ?? '', route, status: String(res.statusCode) }, ms / 1000);
      deps.logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    },
  };
}
