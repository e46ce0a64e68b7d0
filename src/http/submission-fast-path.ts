// POST /v1/documents with one SHA-256 digest, the request an integration sends per document,
// answered without Express: its middleware chain, body parser and request validator cost about half
// the main thread of such a submission. The fast path takes only what it knows Express would accept
// and answer identically: `{"hash":"<64 hex digits>"}` as application/json (at most 200 bytes, not
// compressed), with a valid key of the notarize scope that is within its rate limit. Everything else
// (bad or missing keys, other bodies, limits reached) goes to the Express app, with the body it read
// put back into the stream and the key lookup's result noted, so Express validates and answers it
// as if the fast path did not exist.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Notary } from '../notarization/notary';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';
import type { ApiKeyRecord } from '../access/api-keys';
import { bearerToken, hasScope, noteAuthentication, type RequestGuards } from './auth';
import { JSON_CONTENT_TYPE, sendRawJson, sendRawProblem } from './raw-json-response';
import { logClosedBeforeAnswer, observeRequest } from './request-observation';

/** The Express route, for the metrics label. */
export const SUBMISSION_ROUTE = '/v1/documents';
/**
 * A JSON object holding only a hex SHA-256 digest (what `JSON.stringify({ hash })` sends). Only JSON's
 * own whitespace: `\s` would also take \v, \f and U+00A0, which Express's parser refuses.
 */
const SINGLE_DIGEST_BODY = /^\{[ \t\r\n]*"hash"[ \t\r\n]*:[ \t\r\n]*"([0-9a-fA-F]{64})"[ \t\r\n]*\}$/;
const MAX_BODY_BYTES = 200;
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export interface SubmissionFastPathDependencies {
  notary: Pick<Notary, 'parseIdentifiers' | 'submit'>;
  /** The same key cache and rate-limit buckets as the Express app's. */
  guards: RequestGuards;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** Wraps a listener (`fallback`) in one that answers plain single-digest submissions itself. */
export function withSubmissionFastPath(fallback: RequestListener, deps: SubmissionFastPathDependencies): RequestListener {
  return (req, res) => {
    const token = isPlainSmallJsonPost(req) ? bearerToken(req.headers.authorization) : undefined;
    if (token === undefined) {
      fallback(req, res);
      return;
    }
    const arrivedAt = process.hrtime.bigint();
    // Authentication has no side effect, so a key Express must refuse is handed over, with the
    // lookup's result noted so that Express does not repeat it.
    deps.guards.authenticator.authenticate(token).then(
      (key) => {
        if (!key || !hasScope(key, 'notarize')) {
          noteAuthentication(req, key);
          fallback(req, res);
        } else {
          readSmallBody(
            req,
            (body) => {
              try {
                decide(req, res, key, body, arrivedAt, fallback, deps);
              } catch (error) {
                dropRequest(req, res, error, deps.logger);
              }
            },
            () => logClosedBeforeAnswer(deps.logger, req, res, arrivedAt),
          );
        }
      },
      () => fallback(req, res),
    ).catch((error: unknown) => dropRequest(req, res, error, deps.logger));
  };
}

/** The last resort for a throw outside any answer (none is known): log it and close the exchange. */
function dropRequest(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  logger.error({ err: error, path: req.url }, 'submission fast path failed');
  res.destroy();
}

/**
 * Runs synchronously once the whole body is read: an unread body must be put back before the stream
 * ends, so whatever is handed to Express is handed over here, before any await.
 */
function decide(
  req: IncomingMessage,
  res: ServerResponse,
  key: ApiKeyRecord,
  body: Buffer,
  arrivedAt: bigint,
  fallback: RequestListener,
  deps: SubmissionFastPathDependencies,
): void {
  const digest = SINGLE_DIGEST_BODY.exec(body.toString('latin1'))?.[1];
  let handOver = digest === undefined;
  if (!handOver) {
    try {
      deps.guards.limit(key);
    } catch {
      // Over the limit (no token taken): Express answers with its 429 and Retry-After.
      handOver = true;
    }
  }
  if (handOver) {
    if (body.length > 0) req.unshift(body);
    noteAuthentication(req, key);
    fallback(req, res);
    return;
  }
  const observed = observeRequest(deps, req, res, arrivedAt);
  const submit = async () => deps.notary.submit(key.tenantId, deps.notary.parseIdentifiers([digest!]));
  submit().then(
    (receipts) => sendRawJson(req, res, { status: 202, contentType: JSON_CONTENT_TYPE, body: JSON.stringify({ receipts }), route: SUBMISSION_ROUTE }, observed, deps.logger),
    (error: unknown) => sendRawProblem(req, res, error, SUBMISSION_ROUTE, observed, deps.logger),
  );
}

/** A POST to exactly /v1/documents with a small, declared-length, uncompressed JSON body. */
function isPlainSmallJsonPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || req.url !== SUBMISSION_ROUTE) return false;
  const { headers } = req;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return false;
  const length = Number(headers['content-length']);
  return Number.isInteger(length) && length > 0 && length <= MAX_BODY_BYTES && JSON_TYPE.test(headers['content-type'] ?? '');
}

/**
 * Reads the whole body (bounded by its Content-Length) without letting the stream end, so that it can
 * still be put back with `unshift` for Express. A request that closes first is dropped (`closed`):
 * there is no one left to answer.
 */
function readSmallBody(req: IncomingMessage, done: (body: Buffer) => void, closed: () => void): void {
  const chunks: Buffer[] = [];
  const onReadable = () => {
    for (let chunk: Buffer | null; (chunk = req.read() as Buffer | null) !== null; ) chunks.push(chunk);
    if (!req.complete) return;
    req.removeListener('readable', onReadable);
    req.removeListener('close', onClose);
    done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  };
  const onClose = () => {
    req.removeListener('readable', onReadable);
    closed();
  };
  req.on('readable', onReadable);
  req.once('close', onClose);
  // A reset connection fails the stream; 'close' follows and drops the request.
  req.once('error', () => undefined);
}
