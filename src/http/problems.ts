// The one place where errors are mapped to RFC 9457 problems, each kind with a stable `type` URI
// (written to the client by responses.ts).
import { DomainError } from '../core/errors';
import type { Logger } from '../platform/observability/logger';

/** Stable problem kinds; the `type` URI is `urn:did-notary:problem:<kind>`. Never rename one. */
export const PROBLEM_KINDS = {
  'invalid-json': { status: 400, title: 'Malformed JSON body' },
  'validation-failed': { status: 400, title: 'Request does not match the API contract' },
  'invalid-document-id': { status: 400, title: 'Invalid document identifier' },
  'duplicate-documents': { status: 400, title: 'The same document appears more than once in the request' },
  'invalid-receipt': { status: 400, title: 'Malformed receipt' },
  'invalid-credential-request': { status: 400, title: 'Invalid credential request' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  forbidden: { status: 403, title: 'The API key lacks the required scope' },
  'not-found': { status: 404, title: 'No such resource' },
  'document-not-found': { status: 404, title: 'Unknown document' },
  'batch-not-found': { status: 404, title: 'Unknown batch' },
  'batch-not-anchored': { status: 409, title: 'The batch is not anchored yet' },
  'api-key-not-found': { status: 404, title: 'Unknown API key' },
  'method-not-allowed': { status: 405, title: 'Method not allowed on this resource' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'too-many-documents': { status: 413, title: 'Too many documents in one request' },
  'unsupported-media-type': { status: 415, title: 'Unsupported content type' },
  'headers-too-large': { status: 431, title: 'Request line or headers too large' },
  'request-timeout': { status: 408, title: 'The request did not arrive in time' },
  'malformed-request': { status: 400, title: 'Malformed HTTP request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'chain-unavailable': { status: 503, title: 'The chain could not be reached' },
  'anchored-by-another-replica': { status: 409, title: 'Another replica seals and anchors' },
  'not-ready': { status: 503, title: 'The service is starting or stopping' },
  internal: { status: 500, title: 'Internal error' },
  'credential-not-found': { status: 404, title: 'Unknown credential' },
  'credential-exists': { status: 409, title: 'A credential with this id already exists' },
  'credential-revoked': { status: 409, title: 'The credential is revoked; revocation is final' },
  'idempotency-key-mismatch': { status: 422, title: 'The Idempotency-Key was used with a different request' },
  'idempotency-key-in-use': { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  'status-list-not-found': { status: 404, title: 'Unknown status list' },
  'invalid-did': { status: 400, title: 'Not a valid DID' },
  'unsupported-did-method': { status: 400, title: 'DID method not supported' },
  'did-not-found': { status: 404, title: 'The DID does not exist' },
  'did-unresolvable': { status: 502, title: 'The DID could not be resolved' },
  'invalid-presentation-request': { status: 400, title: 'Invalid presentation request' },
  'receipt-not-anchored': { status: 409, title: 'The receipt is not anchored yet' },
  'invalid-cursor': { status: 400, title: 'The paging cursor is not valid' },
  'webhook-not-found': { status: 404, title: 'Unknown webhook endpoint' },
  'webhook-url-refused': { status: 400, title: 'The webhook URL may not be reached' },
  'invalid-webhook-request': { status: 400, title: 'Invalid webhook request' },
  'too-many-webhooks': { status: 409, title: 'The tenant has as many webhook endpoints as allowed' },
  'webhook-disabled': { status: 409, title: 'The webhook endpoint is turned off' },
  'webhook-delivery-not-found': { status: 404, title: 'Unknown webhook delivery' },
  'invalid-log-range': { status: 400, title: 'The log holds no such size or entry (yet)' },
  'invalid-rotation-request': { status: 400, title: 'Invalid key rotation request' },
  'key-rotation-refused': { status: 409, title: 'The signing keys cannot be rotated' },
  'anchoring-account-unfunded': { status: 503, title: 'The anchoring account cannot pay for transactions' },
  'invalid-credential-offer-request': { status: 400, title: 'Invalid credential offer request' },
  'credential-offer-not-found': { status: 404, title: 'Unknown credential offer' },
  'credential-offer-used': { status: 410, title: 'The credential offer was already accepted' },
  'credential-offer-expired': { status: 410, title: 'The credential offer expired' },
  'presentation-request-not-found': { status: 404, title: 'Unknown presentation request' },
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export const PROBLEM_TYPE_PREFIX = 'urn:did-notary:problem:';

/** An error that already knows its problem kind; thrown by handlers and middleware. */
export class HttpProblem extends Error {
  readonly kind: ProblemKind;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'HttpProblem';
    this.kind = kind;
    this.extensions = extensions;
    this.headers = headers;
  }
}

/** Domain error codes (core and use cases) and the problem kind each maps to. */
const DOMAIN_CODE_TO_KIND: Record<string, ProblemKind> = {
  INVALID_DOCUMENT_ID: 'invalid-document-id',
  INVALID_RECEIPT: 'invalid-receipt',
  DUPLICATE_DOCUMENTS: 'duplicate-documents',
  TOO_MANY_DOCUMENTS: 'too-many-documents',
  DOCUMENT_NOT_FOUND: 'document-not-found',
  BATCH_NOT_FOUND: 'batch-not-found',
  BATCH_NOT_ANCHORED: 'batch-not-anchored',
  CHAIN_UNAVAILABLE: 'chain-unavailable',
  ANCHORED_BY_ANOTHER_REPLICA: 'anchored-by-another-replica',
  INVALID_CREDENTIAL_REQUEST: 'invalid-credential-request',
  CREDENTIAL_NOT_FOUND: 'credential-not-found',
  CREDENTIAL_ALREADY_EXISTS: 'credential-exists',
  CREDENTIAL_REVOKED: 'credential-revoked',
  IDEMPOTENCY_KEY_MISMATCH: 'idempotency-key-mismatch',
  IDEMPOTENCY_KEY_IN_USE: 'idempotency-key-in-use',
  STATUS_LIST_NOT_FOUND: 'status-list-not-found',
  INVALID_DID: 'invalid-did',
  UNSUPPORTED_DID_METHOD: 'unsupported-did-method',
  DID_NOT_FOUND: 'did-not-found',
  DID_UNRESOLVABLE: 'did-unresolvable',
  INVALID_PRESENTATION_REQUEST: 'invalid-presentation-request',
  RECEIPT_NOT_ANCHORED: 'receipt-not-anchored',
  INVALID_CURSOR: 'invalid-cursor',
  WEBHOOK_NOT_FOUND: 'webhook-not-found',
  WEBHOOK_URL_REFUSED: 'webhook-url-refused',
  INVALID_WEBHOOK_REQUEST: 'invalid-webhook-request',
  TOO_MANY_WEBHOOKS: 'too-many-webhooks',
  WEBHOOK_DISABLED: 'webhook-disabled',
  WEBHOOK_DELIVERY_NOT_FOUND: 'webhook-delivery-not-found',
  INVALID_LOG_RANGE: 'invalid-log-range',
  INVALID_ROTATION_REQUEST: 'invalid-rotation-request',
  KEY_ROTATION_REFUSED: 'key-rotation-refused',
  ANCHORING_ACCOUNT_UNFUNDED: 'anchoring-account-unfunded',
  INVALID_CREDENTIAL_OFFER_REQUEST: 'invalid-credential-offer-request',
  CREDENTIAL_OFFER_NOT_FOUND: 'credential-offer-not-found',
  CREDENTIAL_OFFER_USED: 'credential-offer-used',
  CREDENTIAL_OFFER_EXPIRED: 'credential-offer-expired',
  PRESENTATION_REQUEST_NOT_FOUND: 'presentation-request-not-found',
};

/** The problem kind for a 4xx status of an http-errors error (Express's router, serve-static). */
const HTTP_ERROR_STATUS_TO_KIND: Record<number, ProblemKind> = {
  400: 'validation-failed',
  403: 'not-found',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  431: 'headers-too-large',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Maps any thrown value to a problem; unknown errors become `internal` without leaking internals. */
export function toProblem(error: unknown): { body: ProblemBody; headers: Record<string, string> } {
  // Extensions first: a detail named like a member of RFC 9457 (type, title, status, detail) or
  // `code` never overwrites it.
  const make = (kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}, code?: string) => ({
    body: {
      ...extensions,
      type: PROBLEM_TYPE_PREFIX + kind,
      title: PROBLEM_KINDS[kind].title,
      status: PROBLEM_KINDS[kind].status,
      detail,
      ...(code === undefined ? {} : { code }),
    },
    headers,
  });
  if (error instanceof HttpProblem) return make(error.kind, error.message, error.extensions, error.headers);
  if (error instanceof DomainError) {
    const kind = DOMAIN_CODE_TO_KIND[error.code];
    if (kind) return make(kind, error.message, error.details ?? {}, {}, error.code);
  }
  const e = error as { type?: string; status?: number; statusCode?: number; errors?: unknown[]; message?: string; path?: string; code?: unknown };
  // The database refuses text it cannot store (a NUL character, invalid UTF-8): that text came from
  // the request, so it is the request that is wrong.
  if (e?.code === '22021' || e?.code === '22P05') return make('validation-failed', 'the request holds text the service cannot store (a NUL character or invalid UTF-8)');
  // body-parser errors (express.json, express.raw)
  if (e?.type === 'entity.parse.failed') return make('invalid-json', `the body is not valid JSON: ${e.message ?? ''}`.trim());
  if (e?.type === 'entity.too.large') return make('payload-too-large', 'the request body exceeds the size limit');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return make('unsupported-media-type', e.message ?? 'unsupported encoding');
  // express-openapi-validator errors carry a status and a list of errors
  if (Array.isArray(e?.errors) && typeof e.status === 'number') {
    const errors = (e.errors as Array<{ path?: string; message?: string; errorCode?: string }>).map((x) => ({
      path: x.path,
      message: x.message,
    }));
    const detail = errors.map((x) => `${x.path ?? ''} ${x.message ?? ''}`.trim()).join('; ') || e.message || 'invalid request';
    if (e.status === 415) return make('unsupported-media-type', detail);
    if (e.status === 404) return make('not-found', detail);
    if (e.status === 405) return make('method-not-allowed', detail);
    if (e.status === 413) return make('payload-too-large', detail);
    if (e.status === 401) return make('unauthorized', detail);
    if (e.status >= 400 && e.status < 500) return make('validation-failed', detail, { errors });
  }
  // http-errors from Express's own stack (the router's undecodable path parameter, serve-static's
  // missing or refused file): a client error with a status, whose message is safe to show.
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    const kind = HTTP_ERROR_STATUS_TO_KIND[status] ?? 'validation-failed';
    // serve-static answers a path outside its root with 403; to a client it is simply not there.
    return make(kind, status === 403 ? 'no such resource' : (e.message ?? PROBLEM_KINDS[kind].title));
  }
  return make('internal', 'an internal error occurred; it has been logged');
}

/**
 * Problems that report a system outside the service (a DID host, the chain) or the service starting
 * or stopping: anyone can cause them by asking, so they are one warning line without a stack, not an
 * error report per request.
 */
const UPSTREAM_PROBLEMS = new Set<string>((['did-unresolvable', 'chain-unavailable', 'not-ready'] as const).map((kind) => PROBLEM_TYPE_PREFIX + kind));

/**
 * How an answered problem is logged, wherever it is answered: an internal 5xx with the error and its
 * stack, an upstream one as a warning line, anything else as a debug line.
 */
export function logProblem(logger: Logger, error: unknown, problem: ProblemBody, requestId: unknown, path: string | undefined): void {
  if (UPSTREAM_PROBLEMS.has(problem.type)) logger.warn({ requestId, path, type: problem.type }, problem.detail);
  else if (problem.status >= 500) logger.error({ err: error, requestId, path }, 'request failed');
  else logger.debug({ requestId, path, type: problem.type }, problem.detail);
}
