// The bookkeeping every request gets, whether Express or a fast path in front of it answers: an
// x-request-id header, the latency histogram by route pattern, and one access-log line (also for a
// request whose connection closed before it was answered).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';

const CALLER_REQUEST_ID = /^[\w.-]{1,100}$/;

export interface ObservedRequest {
  requestId: string;
}

/**
 * Starts observing a request: sets x-request-id (the caller's, if well-formed) and starts its clock,
 * or takes `startedAt` (process.hrtime.bigint() at arrival) when the request was already waited on.
 * Once answered, the request is recorded under `label()`, asked then (Express knows its route only
 * after routing).
 */
export function observeRequest(
  deps: { metrics: ServiceMetrics; logger: Logger },
  req: IncomingMessage,
  res: ServerResponse,
  label: () => string,
  startedAt: bigint = process.hrtime.bigint(),
): ObservedRequest {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && CALLER_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  res.once('finish', () => {
    const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
    deps.metrics.httpDuration.observe({ method: req.method ?? '', route: label(), status: String(res.statusCode) }, ms / 1000);
    deps.logger.info({ requestId, method: req.method, path: pathOf(req), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
  });
  // A connection closed before the answer was written (the client gave up, or the answer could not
  // be sent) never emits 'finish': without this it would leave no trace in the access log.
  res.once('close', () => {
    if (!res.writableFinished) logClosedBeforeAnswer(deps.logger, req, res, startedAt, requestId);
  });
  return { requestId };
}

/** The path of a request without its query string, as Express mounted it (`originalUrl`) or Node received it. */
export function pathOf(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * The access-log line of a request whose connection closed before its answer was written: there is
 * no status to report (or only the one already sent), but operators still see that it came and when
 * it went. `requestId` is absent when the request closed before anything observed it.
 */
export function logClosedBeforeAnswer(logger: Logger, req: IncomingMessage, res: ServerResponse, startedAt: bigint, requestId?: string): void {
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
  logger.info(
    {
      requestId,
      method: req.method,
      path: pathOf(req),
      status: res.headersSent ? res.statusCode : undefined,
      ms: Math.round(ms * 10) / 10,
      aborted: true,
    },
    'request closed before its answer was sent',
  );
}
