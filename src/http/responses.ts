// The one writer of JSON answers and problems, for Express's routes' errors and the fast lane in
// front of Express alike: the headers Express's `res.send` gives (type, length, weak ETag), CORS by
// the route table's rule, and problems logged by one rule, so a client cannot tell which lane
// answered and a header rule is written once.
import { hash } from 'node:crypto';
import type { ErrorRequestHandler } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../platform/observability/logger';
import { logProblem, toProblem } from './problems';
import { pathOf } from './request-observation';
import { isPublicCorsRequest } from './route-table';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Sends `body` (JSON text) as Express's `res.send` would, byte for byte (no body for HEAD). A
 * response that cannot be written is destroyed and logged.
 */
export function writeJson(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string, logger: Logger): void {
  writeBody(req, res, status, contentType, Buffer.from(body, 'utf8'), logger);
}

/**
 * Sends `bytes` as Express's `res.send(buffer)` would after the route set `headers` (CORS first, as
 * the publicCors middleware runs before any route): type, length, weak ETag, no body for HEAD.
 */
export function writeBody(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, bytes: Buffer, logger: Logger, headers: Record<string, string> = {}): void {
  try {
    if (isPublicCorsRequest(pathOf(req), req.headers.authorization)) res.setHeader('Access-Control-Allow-Origin', '*');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.statusCode = status;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', bytes.length);
    res.setHeader('ETag', weakEtag(bytes));
    res.end(req.method === 'HEAD' ? undefined : bytes);
  } catch (error) {
    logger.error({ err: error, requestId: res.getHeader('x-request-id'), path: pathOf(req) }, 'could not send an answer');
    res.destroy();
  }
}

/**
 * Sends the RFC 9457 problem for `error` (mapped in problems.ts), with `instance` set to the
 * request's URL and the problem's headers, and logs it by the shared rule.
 */
export function writeProblem(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  const { body, headers } = toProblem(error);
  body.instance = (req as { originalUrl?: string }).originalUrl ?? req.url;
  logProblem(logger, error, body, res.getHeader('x-request-id'), pathOf(req));
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  writeJson(req, res, body.status, PROBLEM_CONTENT_TYPE, JSON.stringify(body), logger);
}

/** Express's default ETag (the `etag` package, weak): W/"<length hex>-<first 27 base64 chars of SHA-1>". */
function weakEtag(body: Buffer): string {
  // One-shot hashing: a Hash object is a stream, heavier than the hashing of a receipt.
  return `W/"${body.length.toString(16)}-${hash('sha1', body, 'base64').substring(0, 27)}"`;
}

/** Express's error handler: every error a route or middleware passes on is answered as a problem. */
export function problemErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    writeProblem(req, res, error, logger);
  };
}
