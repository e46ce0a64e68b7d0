// GET /v1/receipts/{id}, the public read that verifiers and batch jobs call most, answered in the
// fast lane in front of Express (server.ts): Express's middleware chain, router and request
// validator cost more main-thread time than the receipt itself. The lane takes only requests whose
// answer it knows to be identical to the Express route's (a plain alphanumeric id, no query string,
// no body, not conditional). It answers found receipts, and unknown documents with the shared
// writer's problem (responses.ts); everything else (malformed ids, failures, rare request shapes)
// goes to the Express app.
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Notary } from '../notarization/notary';
import type { Logger } from '../platform/observability/logger';
import type { ServiceMetrics } from '../platform/observability/metrics';
import { DomainError } from '../core/errors';
import { JSON_CONTENT_TYPE, writeBody, writeProblem } from './responses';
import { observeRequest } from './request-observation';
import { hasBody } from './request-shape';
import { routeLabel } from './route-table';

/**
 * The ids the fast path accepts: every identifier form (64-hex digest, hex or base58btc multihash,
 * base32 CIDv1) is alphanumeric, and openapi.yaml bounds the parameter at 200 characters. Anything
 * else (percent-escapes, a query, a trailing slash) is Express's to parse and validate.
 */
const RECEIPT_URL = /^\/v1\/receipts\/([A-Za-z0-9]{1,200})$/;

export interface ReceiptFastPathDependencies {
  notary: Pick<Notary, 'getReceiptJson'>;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** The route table's label of every receipt read. */
let label: string | undefined;
const receiptLabel = () => (label ??= routeLabel('GET', '/v1/receipts/any'));

/** Wraps the Express app (`fallback`) in a listener that answers plain receipt reads itself. */
export function withReceiptFastPath(fallback: RequestListener, deps: ReceiptFastPathDependencies): RequestListener {
  return (req, res) => {
    // A GET with a body is Express's: its JSON parser answers a malformed or oversized one.
    const match = req.method === 'GET' && !isConditional(req) && !hasBody(req) ? RECEIPT_URL.exec(req.url ?? '') : null;
    if (!match) {
      fallback(req, res);
      return;
    }
    const started = process.hrtime.bigint();
    deps.notary.getReceiptJson(match[1]!).then(
      (json) => {
        observeRequest(deps, req, res, () => receiptLabel(), started);
        writeBody(req, res, 200, JSON_CONTENT_TYPE, json, deps.logger);
      },
      (error: unknown) => {
        // An unknown document can be common (a typo, a scanner): answered here as Express's problem
        // handler answers it, without a second lookup there.
        if (error instanceof DomainError && error.code === 'DOCUMENT_NOT_FOUND') {
          observeRequest(deps, req, res, () => receiptLabel(), started);
          writeProblem(req, res, error, deps.logger);
          return;
        }
        // Malformed ids (no lookup made) and failures: Express answers, observes and logs them.
        fallback(req, res);
      },
    );
  };
}

/** Conditional requests need Express's freshness rules (304s); they are rare for receipts. */
function isConditional(req: IncomingMessage): boolean {
  return req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
}
