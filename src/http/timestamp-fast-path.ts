// POST /tsa with a plain DER query, the request every RFC 3161 client (openssl ts, PDF and code
// signers) sends, answered in the fast lane in front of Express (server.ts): Express's middleware
// chain, body parser and request validator cost about a fifth of the main thread of a token. The
// lane takes only what it knows Express would take the same way: exactly `POST /tsa`,
// `Content-Type: application/timestamp-query`, a declared length within the query limit, not
// compressed, and clients named by their socket address (TRUST_PROXY off). It runs the same per-client
// limit (one ClientLimiter), the same optional key check (authorizeWithScope), the same answer
// (answerTimeStampQuery) and the same writers (responses.ts). Any other request (another type, no or
// a too large length, chunked, behind a trusted proxy) goes to Express untouched, body unread.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MAX_QUERY_BYTES } from '../timestamping/time-stamp-request';
import type { ClientLimiter } from './client-limits';
import { authorizeWithScope, type RequestGuard } from './guards';
import { HttpProblem } from './problems';
import { logClosedBeforeAnswer, observeRequest } from './request-observation';
import { isDeclaredLengthPost, readDeclaredBody } from './request-shape';
import { writeBody, writeProblem } from './responses';
import { routeLabel } from './route-table';
import {
  answerTimeStampQuery,
  TIME_STAMP_QUERY_TYPE,
  TIME_STAMP_REPLY_CACHE_CONTROL,
  TIME_STAMP_REPLY_TYPE,
  type TimestampRouteDependencies,
} from './routes/timestamps';

const TSA_PATH = '/tsa';

export interface TimeStampFastPathDependencies extends TimestampRouteDependencies {
  /** The Express route's per-client limiter itself: one set of buckets and in-flight counts. */
  limiter: ClientLimiter;
  /** The same guard as the Express routes'; undefined: POST /tsa takes no key (TSA_AUTH=none). */
  guard: Pick<RequestGuard, 'authorize'> | undefined;
}

let label: string | undefined;
const tsaLabel = () => (label ??= routeLabel('POST', TSA_PATH));

/**
 * Wraps a listener (`fallback`) in one that answers plain time-stamp queries itself. `trustProxy`
 * is the service's TRUST_PROXY: under any trusted proxy the client address is Express's to work out,
 * so every query goes to Express.
 */
export function withTimeStampFastPath(fallback: RequestListener, deps: TimeStampFastPathDependencies, trustProxy: unknown): RequestListener {
  if (trustProxy !== false) return fallback;
  return (req, res) => {
    if (!isPlainQuery(req)) {
      fallback(req, res);
      return;
    }
    answer(req, res, deps).catch((error: unknown) => {
      deps.logger.error({ err: error, path: req.url }, 'time-stamp fast path failed');
      res.destroy();
    });
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, deps: TimeStampFastPathDependencies): Promise<void> {
  const arrivedAt = process.hrtime.bigint();
  const { requestId } = observeRequest(deps, req, res, tsaLabel, arrivedAt);
  try {
    // As in the Express app: the client's limit, then its key, before the body is read.
    const limited = await deps.limiter.admit(req.socket.remoteAddress ?? 'unknown', res);
    if (limited) {
      writeProblem(req, res, limited, deps.logger);
      return;
    }
    if (deps.guard) {
      const key = await authorizeWithScope(deps.guard, req.headers.authorization, 'timestamp', { basicPassword: true });
      if (key instanceof HttpProblem) {
        writeProblem(req, res, key, deps.logger);
        return;
      }
    }
    const query = await new Promise<Buffer | undefined>((resolve) => readDeclaredBody(req, resolve, () => resolve(undefined)));
    if (query === undefined) {
      logClosedBeforeAnswer(deps.logger, req, res, arrivedAt, requestId);
      return;
    }
    const { status, body } = await answerTimeStampQuery(deps, query, requestId);
    writeBody(req, res, status, TIME_STAMP_REPLY_TYPE, body, deps.logger, { 'Cache-Control': TIME_STAMP_REPLY_CACHE_CONTROL });
  } catch (error) {
    writeProblem(req, res, error, deps.logger);
  }
}

/** Exactly POST /tsa with a DER query of declared length within the limit, not compressed. */
function isPlainQuery(req: IncomingMessage): boolean {
  return isDeclaredLengthPost(req, TSA_PATH, MAX_QUERY_BYTES) && req.headers['content-type']?.toLowerCase() === TIME_STAMP_QUERY_TYPE;
}
