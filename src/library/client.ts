// The `did-notary/client` package entry: a typed client of the HTTP API, its types generated from
// openapi.yaml (openapi-typescript, at build time: generated/ is never edited by hand) and its calls
// made by openapi-fetch, with 429 answers retried after the time the service names in Retry-After.
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './generated/openapi-types';

export type { components, operations, paths } from './generated/openapi-types';

/** A receipt as the API sends it. */
export type ApiReceipt = components['schemas']['Receipt'];
/** An RFC 9457 problem, the body of every error answer. */
export type ApiProblem = components['schemas']['Problem'];
/** A page of GET /v1/documents. */
export type DocumentPage = components['schemas']['DocumentPage'];
/** A batch as GET /v1/batches/{id} answers it. */
export type ApiBatch = components['schemas']['Batch'];

/** When and how often a 429 answer is tried again. */
export interface RetryOptions {
  /** Attempts after the first (default 3). */
  maxRetries?: number;
  /** The longest wait accepted; a Retry-After beyond it returns the 429 at once (default 30 s). */
  maxDelayMs?: number;
  /** First wait without a Retry-After header, doubled each time, with full jitter (default 500 ms). */
  baseDelayMs?: number;
}

export interface NotaryClientOptions {
  /** The service's base URL, e.g. `https://notary.example`. */
  baseUrl: string;
  /** An API key (`Authorization: Bearer …`), for the operations that need one. */
  apiKey?: string;
  /** Retries of 429 answers; `false` for none. */
  retry?: RetryOptions | false;
  /** The fetch to send requests with (default: the global fetch). */
  fetch?: (request: Request) => Promise<Response>;
  headers?: ClientOptions['headers'];
}

/** A typed client of the did-notary API: `client.GET('/v1/receipts/{id}', { params: { path: { id } } })`. */
export type NotaryClient = Client<paths>;

/**
 * A client for the service at `baseUrl`. Each call answers `{ data }` on success or `{ error }` (the
 * problem) on an error status, typed from openapi.yaml; a network failure rejects.
 */
export function createNotaryClient(options: NotaryClientOptions): NotaryClient {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }), ...options.headers },
    fetch: options.retry === false ? send : fetchRetrying429(send, options.retry),
  });
}

/**
 * `send`, trying a request again when it is answered 429 Too Many Requests: after the Retry-After the
 * answer names (seconds or an HTTP date), else after an exponential backoff with full jitter. A 429
 * means the service did nothing with the request, so any method may be sent again.
 */
export function fetchRetrying429(send: (request: Request) => Promise<Response>, options: RetryOptions = {}): (request: Request) => Promise<Response> {
  const maxRetries = options.maxRetries ?? 3;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const baseDelayMs = options.baseDelayMs ?? 500;
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      // A request's body can be read once: each attempt but the last sends a copy.
      const response = await send(attempt < maxRetries ? request.clone() : request);
      if (response.status !== 429 || attempt >= maxRetries) return response;
      const delayMs = retryDelayMs(response.headers.get('retry-after'), Date.now()) ?? Math.random() * baseDelayMs * 2 ** attempt;
      if (delayMs > maxDelayMs) return response;
      await response.body?.cancel();
      await sleep(delayMs, request.signal);
    }
  };
}

/** Milliseconds a Retry-After value asks to wait (RFC 9110 §10.2.3: delay-seconds or an HTTP date), or undefined when there is none or it does not parse. */
export function retryDelayMs(retryAfter: string | null, now: number): number | undefined {
  if (retryAfter === null) return undefined;
  const value = retryAfter.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
