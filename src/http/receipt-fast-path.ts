// GET /v1/receipts/{id}, the public read that verifiers and batch jobs call most, answered without
// Express: its middleware chain, router and request validator cost more main-thread time than the
// receipt itself. The fast path takes only requests whose answer it knows to be identical to the
// Express route's (a plain alphanumeric id, no query string, no body, not conditional). It answers
// found receipts, and unknown documents with the problem the shared mapping (problems.ts) gives;
// everything else (malformed ids, failures, rare request shapes) goes to the Express app.
import { hash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Notary } from '../notary/notary';
import type { Logger } from '../observability/logger';
import type { ServiceMetrics } from '../observability/metrics';
import { DomainError } from '../core/errors';
import { toProblem } from './problems';
import { isPublicCorsRequest } from './public-cors';
import { observeRequest, type ObservedRequest } from './request-observation';

/**
 * The ids the fast path accepts: every identifier form (64-hex digest, hex or base58btc multihash,
 * base32 CIDv1) is alphanumeric, and openapi.yaml bounds the parameter at 200 characters. Anything
 * else (percent-escapes, a query, a trailing slash) is Express's to parse and validate.
 */
const RECEIPT_URL = /^\/v1\/receipts\/([A-Za-z0-9]{1,200})$/;

/** The Express route's pattern, so both paths share one metrics label. */
export const RECEIPT_ROUTE = '/v1/receipts/:id';

export interface ReceiptFastPathDependencies {
  notary: Pick<Notary, 'getReceipt'>;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** Wraps the Express app (`fallback`) in a listener that answers plain receipt reads itself. */
export function withReceiptFastPath(fallback: RequestListener, deps: ReceiptFastPathDependencies): RequestListener {
  return (req, res) => {
    const match = req.method === 'GET' && !isConditional(req) && !hasBody(req) ? RECEIPT_URL.exec(req.url ?? '') : null;
    if (!match) {
      fallback(req, res);
      return;
    }
    const observed = observeRequest(deps, req, res);
    const send = (status: number, contentType: string, body: string) => {
      try {
        sendJson(req, res, status, contentType, body, observed);
      } catch (error) {
        deps.logger.error({ err: error, requestId: observed.requestId, path: req.url }, 'could not send a receipt');
        res.destroy();
      }
    };
    deps.notary.getReceipt(match[1]!).then(
      (receipt) => send(200, 'application/json; charset=utf-8', JSON.stringify(receipt)),
      (error: unknown) => {
        // An unknown document can be common (a typo, a scanner): answered here as Express's problem
        // handler answers it, without a second lookup there.
        if (error instanceof DomainError && error.code === 'DOCUMENT_NOT_FOUND') {
          const { body } = toProblem(error);
          body.instance = req.url;
          deps.logger.debug({ requestId: observed.requestId, path: req.url, type: body.type }, body.detail);
          send(body.status, 'application/problem+json; charset=utf-8', JSON.stringify(body));
          return;
        }
        // Malformed ids (no lookup made) and failures: Express answers, observes and logs them.
        fallback(req, res);
      },
    );
  };
}

/** What Express's `res.send` sends for this JSON text, byte for byte (headers included). */
function sendJson(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string, observed: ObservedRequest): void {
  const path = req.url!;
  if (isPublicCorsRequest(path, req.headers.authorization)) res.setHeader('Access-Control-Allow-Origin', '*');
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  const bytes = Buffer.from(body, 'utf8');
  res.setHeader('Content-Length', bytes.length);
  res.setHeader('ETag', weakEtag(bytes));
  res.once('finish', () => observed.finish(RECEIPT_ROUTE, path));
  res.end(bytes);
}

/** A GET with a body is Express's: its JSON parser answers a malformed or oversized one. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Conditional requests need Express's freshness rules (304s); they are rare for receipts. */
function isConditional(req: IncomingMessage): boolean {
  return req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
}

/** Express's default ETag (the `etag` package, weak): W/"<length hex>-<first 27 base64 chars of SHA-1>". */
function weakEtag(body: Buffer): string {
  // One-shot hashing: a Hash object is a stream, heavier than the hashing of a receipt.
  return `W/"${body.length.toString(16)}-${hash('sha1', body, 'base64').substring(0, 27)}"`;
}
