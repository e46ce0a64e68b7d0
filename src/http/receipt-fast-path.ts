// GET /v1/receipts/{id}, the public read that verifiers and batch jobs call most, answered without
// Express: its middleware chain, router and request validator cost more main-thread time than the
// receipt itself. The fast path takes only requests whose answer it knows to be identical to the
// Express route's (a plain alphanumeric id, no query string, no body, not conditional). It answers
// found receipts, and unknown documents with the problem the shared mapping (problems.ts) gives;
// everything else (malformed ids, failures, rare request shapes) goes to the Express app.
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Notary } from '../notarization/notary';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';
import { DomainError } from '../core/errors';
import { JSON_CONTENT_TYPE, sendRawJson, sendRawProblem } from './raw-json-response';
import { observeRequest } from './request-observation';

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
    deps.notary.getReceipt(match[1]!).then(
      (receipt) => sendRawJson(req, res, { status: 200, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(receipt), route: RECEIPT_ROUTE }, observed, deps.logger),
      (error: unknown) => {
        // An unknown document can be common (a typo, a scanner): answered here as Express's problem
        // handler answers it, without a second lookup there.
        if (error instanceof DomainError && error.code === 'DOCUMENT_NOT_FOUND') {
          sendRawProblem(req, res, error, RECEIPT_ROUTE, observed, deps.logger);
          return;
        }
        // Malformed ids (no lookup made) and failures: Express answers, observes and logs them.
        fallback(req, res);
      },
    );
  };
}

/** A GET with a body is Express's: its JSON parser answers a malformed or oversized one. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Conditional requests need Express's freshness rules (304s); they are rare for receipts. */
function isConditional(req: IncomingMessage): boolean {
  return req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
}
