// Answers written straight to Node's response by the fast paths in front of Express (receipt reads,
// single-document submissions), with the headers Express's `res.json`/`res.send` would give them,
// so a client cannot tell which one answered.
import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../platform/observability/logger';
import { logProblem, toProblem } from './problems';
import { isPublicCorsRequest } from './public-cors';
import type { ObservedRequest } from './request-observation';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Sends `body` (JSON text) as Express's `res.send` would, byte for byte: type, length, weak ETag, CORS
 * for public reads; the request is observed (metrics, access log) under `route` once finished. A
 * response that cannot be written is destroyed and logged.
 */
export function sendRawJson(
  req: IncomingMessage,
  res: ServerResponse,
  answer: { status: number; contentType: string; body: string; route: string },
  observed: ObservedRequest,
  logger: Logger,
): void {
  const path = req.url!;
  try {
    if (isPublicCorsRequest(path, req.headers.authorization)) res.setHeader('Access-Control-Allow-Origin', '*');
    res.statusCode = answer.status;
    res.setHeader('Content-Type', answer.contentType);
    const bytes = Buffer.from(answer.body, 'utf8');
    res.setHeader('Content-Length', bytes.length);
    res.setHeader('ETag', weakEtag(bytes));
    res.once('finish', () => observed.finish(answer.route, path));
    res.end(bytes);
  } catch (error) {
    logger.error({ err: error, requestId: observed.requestId, path }, 'could not send an answer');
    res.destroy();
  }
}

/**
 * Sends the problem for `error` as the Express problem handler does (problems.ts): the same body with
 * `instance`, its headers, a 5xx logged with the error and anything else as a debug line.
 */
export function sendRawProblem(req: IncomingMessage, res: ServerResponse, error: unknown, route: string, observed: ObservedRequest, logger: Logger): void {
  const { body, headers } = toProblem(error);
  body.instance = req.url;
  logProblem(logger, error, body, observed.requestId, req.url);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendRawJson(req, res, { status: body.status, contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(body), route }, observed, logger);
}

/** Express's default ETag (the `etag` package, weak): W/"<length hex>-<first 27 base64 chars of SHA-1>". */
function weakEtag(body: Buffer): string {
  // One-shot hashing: a Hash object is a stream, heavier than the hashing of a receipt.
  return `W/"${body.length.toString(16)}-${hash('sha1', body, 'base64').substring(0, 27)}"`;
}
