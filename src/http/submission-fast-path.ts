// POST /v1/documents with one SHA-256 digest, the request an integration sends per document,
// answered in the fast lane in front of Express (server.ts): Express's middleware chain, body
// parser and request validator cost about half the main thread of such a submission. The lane takes
// only `{"hash":"<64 hex digits>"}` as application/json (at most 200 bytes, not compressed), which
// it knows Express would accept; the shared guard (guards.ts) and writer (responses.ts) give it the
// same key check, rate limit, answers and problems as Express. Any other body is handed to Express
// before anything is decided about it, put back into the stream unread.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Notary } from '../notarization/notary';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';
import type { RequestGuard } from './guards';
import { HttpProblem } from './problems';
import { JSON_CONTENT_TYPE, writeJson, writeProblem } from './responses';
import { logClosedBeforeAnswer, observeRequest } from './request-observation';
import { isDeclaredLengthPost, readDeclaredBody } from './request-shape';
import { routeLabel } from './route-table';

const SUBMISSION_PATH = '/v1/documents';
/**
 * A JSON object holding only a hex SHA-256 digest (what `JSON.stringify({ hash })` sends). Only JSON's
 * own whitespace: `\s` would also take \v, \f and U+00A0, which Express's parser refuses.
 */
const SINGLE_DIGEST_BODY = /^\{[ \t\r\n]*"hash"[ \t\r\n]*:[ \t\r\n]*"([0-9a-fA-F]{64})"[ \t\r\n]*\}$/;
const MAX_BODY_BYTES = 200;
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export interface SubmissionFastPathDependencies {
  notary: Pick<Notary, 'parseIdentifiers' | 'submit'>;
  /** The same guard as the Express routes': one key cache, one set of rate-limit buckets. */
  guard: Pick<RequestGuard, 'authorize'>;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** The route table's label of every submission. */
let label: string | undefined;
const submissionLabel = () => (label ??= routeLabel('POST', SUBMISSION_PATH));

/** Wraps a listener (`fallback`) in one that answers plain single-digest submissions itself. */
export function withSubmissionFastPath(fallback: RequestListener, deps: SubmissionFastPathDependencies): RequestListener {
  return (req, res) => {
    // Without credentials, Express's multipart-or-JSON route answers: nothing to win here.
    if (!isPlainSmallJsonPost(req) || req.headers.authorization === undefined) {
      fallback(req, res);
      return;
    }
    const arrivedAt = process.hrtime.bigint();
    readDeclaredBody(
      req,
      (body) => {
        const digest = SINGLE_DIGEST_BODY.exec(body.toString('latin1'))?.[1];
        if (digest === undefined) {
          // Synchronously, before the stream ends: the body goes back for Express's parser.
          req.unshift(body);
          fallback(req, res);
          return;
        }
        answer(req, res, digest, arrivedAt, deps).catch((error: unknown) => dropRequest(req, res, error, deps.logger));
      },
      () => logClosedBeforeAnswer(deps.logger, req, res, arrivedAt),
    );
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, digest: string, arrivedAt: bigint, deps: SubmissionFastPathDependencies): Promise<void> {
  observeRequest(deps, req, res, submissionLabel, arrivedAt);
  try {
    const key = await deps.guard.authorize(req.headers.authorization, 'notarize');
    if (key instanceof HttpProblem) {
      writeProblem(req, res, key, deps.logger);
      return;
    }
    const receipts = await deps.notary.submit(key.tenantId, deps.notary.parseIdentifiers([digest]));
    writeJson(req, res, 202, JSON_CONTENT_TYPE, JSON.stringify({ receipts }), deps.logger);
  } catch (error) {
    writeProblem(req, res, error, deps.logger);
  }
}

/** The last resort for a throw outside any answer (none is known): log it and close the exchange. */
function dropRequest(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  logger.error({ err: error, path: req.url }, 'submission fast path failed');
  res.destroy();
}

/** A POST to exactly /v1/documents with a small, declared-length, uncompressed JSON body. */
function isPlainSmallJsonPost(req: IncomingMessage): boolean {
  return isDeclaredLengthPost(req, SUBMISSION_PATH, MAX_BODY_BYTES) && JSON_TYPE.test(req.headers['content-type'] ?? '');
}
