// The one way this service sends a request to a URL it did not choose (did:web documents, foreign
// status lists, tenants' webhook endpoints): HTTPS only, public addresses only (checked on every
// resolved IP, then the connection is pinned to the checked IP so DNS rebinding cannot swap it), no
// redirects, a total deadline and a body size limit.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { DomainError } from '../../core/errors';
import { classifyAddress } from './ip-address-policy';

/** Resolves a host name to all its addresses (dns.lookup with `all: true` by default). */
export type HostLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** Opens the HTTP(S) request; injectable so tests can prove refused destinations are never contacted. */
export type OutboundRequest = (url: URL, options: https.RequestOptions) => http.ClientRequest;

export interface OutboundFetchPolicy {
  /**
   * Hosts (`name`, `name:port` or an IP literal) exempt from the address check: intranets and tests.
   * Everything else must resolve to public unicast addresses only.
   */
  allowedHosts?: readonly string[];
  /** Allow-listed hosts may also be reached over plain http: tests, and WEBHOOK_ALLOW_HTTP for intranets. Never for other hosts. */
  allowHttpForAllowedHosts?: boolean;
  /** Deadline for the whole fetch: lookup, connect, TLS, headers and body (default 5 s). */
  timeoutMs?: number;
  /** Largest accepted body in bytes (default 100 KiB). */
  maxBytes?: number;
  lookup?: HostLookup;
  request?: OutboundRequest;
  /** Extra trusted CA certificates (PEM), e.g. an intranet CA. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Most fetches open at once (default 64); a fetch beyond it is refused (FETCH_BUSY) rather than
   * queued, so a flood of lookups of slow hosts cannot hold the service's sockets and memory.
   */
  maxConcurrent?: number;
}

export type OutboundFetchErrorCode =
  | 'FETCH_REFUSED'
  | 'FETCH_REDIRECT_REFUSED'
  | 'FETCH_TIMEOUT'
  | 'FETCH_TOO_LARGE'
  | 'FETCH_BAD_CONTENT_TYPE'
  | 'FETCH_NOT_FOUND'
  | 'FETCH_HTTP_ERROR'
  | 'FETCH_FAILED'
  | 'FETCH_BUSY';

/** Why an outbound fetch was refused or failed; the message is safe to show to the caller. */
export class OutboundFetchError extends DomainError<OutboundFetchErrorCode> {}

/** What a receiver answered a POST: any status (redirects are not followed), and the start of its body. */
export interface PostAnswer {
  status: number;
  /** The first bytes of the answer (at most `maxBytes`), as text: for a delivery log. */
  bodyStart: string;
}

/** A destination that passed the policy: the parsed URL and the one address the connection will use. */
interface CheckedDestination {
  url: URL;
  target: { address: string; family: number };
}

export interface FetchedResource {
  url: string;
  /** Media type without parameters, lower case. */
  contentType: string;
  body: Buffer;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
export const DEFAULT_FETCH_MAX_BYTES = 100 * 1024;
export const DEFAULT_FETCH_MAX_CONCURRENT = 64;

const defaultLookup: HostLookup = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });
const defaultRequest: OutboundRequest = (url, options) => (url.protocol === 'https:' ? https.request(options) : http.request(options));

export class OutboundFetcher {
  private readonly allowedHosts: Set<string>;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly lookup: HostLookup;
  private readonly request: OutboundRequest;

  constructor(private readonly policy: OutboundFetchPolicy = {}) {
    this.allowedHosts = new Set((policy.allowedHosts ?? []).map((h) => stripBrackets(h.trim().toLowerCase())));
    this.timeoutMs = policy.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.maxBytes = policy.maxBytes ?? DEFAULT_FETCH_MAX_BYTES;
    this.lookup = policy.lookup ?? defaultLookup;
    this.request = policy.request ?? defaultRequest;
  }

  /** The scheme to use for `host` (`name` or `name:port`): https, or http for allow-listed hosts in tests. */
  schemeFor(host: string): 'https:' | 'http:' {
    return this.policy.allowHttpForAllowedHosts && this.isAllowListed(host) ? 'http:' : 'https:';
  }

  private inFlight = 0;

  /** GETs `url` under the policy; resolves with the body or rejects with an OutboundFetchError. */
  async get(url: string, acceptedTypes: readonly string[], options: { maxBytes?: number } = {}): Promise<FetchedResource> {
    return this.limited(async () => {
      const deadline = Date.now() + this.timeoutMs;
      const destination = await this.checkDestination(url, deadline);
      return this.send(destination, acceptedTypes, options.maxBytes ?? this.maxBytes, deadline);
    });
  }

  /**
   * POSTs `body` to `url` under the same policy (scheme, addresses, deadline, cap). Any HTTP answer
   * resolves, whatever its status; what never reached an answer (refused, unreachable, too slow)
   * rejects with an OutboundFetchError.
   */
  async post(url: string, body: string, headers: Record<string, string>, options: { maxBytes?: number } = {}): Promise<PostAnswer> {
    return this.limited(async () => {
      const deadline = Date.now() + this.timeoutMs;
      const destination = await this.checkDestination(url, deadline);
      return this.sendPost(destination, body, headers, options.maxBytes ?? 1024, deadline);
    });
  }

  /**
   * Rejects with FETCH_REFUSED when `url` may never be reached under the policy: a scheme other than
   * https, credentials in the URL, or an address (literal, or what the name resolves to now) that is
   * not public unicast. A name that does not resolve (yet) passes: it is checked again on every use.
   */
  async assertAllowed(url: string): Promise<void> {
    try {
      await this.checkDestination(url, Date.now() + this.timeoutMs);
    } catch (error) {
      if (error instanceof OutboundFetchError && error.code !== 'FETCH_REFUSED') return;
      throw error;
    }
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    const limit = this.policy.maxConcurrent ?? DEFAULT_FETCH_MAX_CONCURRENT;
    if (this.inFlight >= limit) throw new OutboundFetchError('FETCH_BUSY', `${limit} outbound fetches are already open; try again shortly`);
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
    }
  }

  /** The scheme, credentials and every resolved address checked; the address to connect to. */
  private async checkDestination(url: string, deadline: number): Promise<CheckedDestination> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OutboundFetchError('FETCH_REFUSED', `not a URL: ${url.slice(0, 200)}`);
    }
    const hostname = stripBrackets(parsed.hostname);
    const allowListed = this.isAllowListed(parsed.host);
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && allowListed && this.policy.allowHttpForAllowedHosts)) {
      throw new OutboundFetchError('FETCH_REFUSED', `refused ${parsed.protocol}// URL: only https is fetched`);
    }
    if (parsed.username || parsed.password) throw new OutboundFetchError('FETCH_REFUSED', 'refused a URL carrying credentials');

    const addresses = isIP(hostname) ? [{ address: hostname, family: isIP(hostname) }] : await this.resolve(hostname, deadline);
    if (!allowListed) {
      for (const { address } of addresses) {
        const verdict = classifyAddress(address);
        if (!verdict.allowed) {
          const via = address === hostname ? '' : ` (${hostname} resolves to it)`;
          throw new OutboundFetchError('FETCH_REFUSED', `refused to connect to ${address}${via}: ${verdict.reason} address`);
        }
      }
    }
    return { url: parsed, target: addresses[0]! };
  }

  private isAllowListed(host: string): boolean {
    const lower = host.toLowerCase();
    if (this.allowedHosts.has(stripBrackets(lower))) return true;
    const name = lower.startsWith('[') ? lower.slice(1, lower.indexOf(']')) : lower.replace(/:\d+$/, '');
    return this.allowedHosts.has(name);
  }

  private async resolve(hostname: string, deadline: number): Promise<Array<{ address: string; family: number }>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OutboundFetchError('FETCH_TIMEOUT', `looking up ${hostname} took longer than ${this.timeoutMs} ms`)), Math.max(0, deadline - Date.now()));
    });
    try {
      const addresses = await Promise.race([this.lookup(hostname), timeout]);
      if (addresses.length === 0) throw new OutboundFetchError('FETCH_FAILED', `${hostname} has no address`);
      return addresses;
    } catch (error) {
      if (error instanceof OutboundFetchError) throw error;
      throw new OutboundFetchError('FETCH_FAILED', `cannot resolve ${hostname}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private send({ url, target }: CheckedDestination, acceptedTypes: readonly string[], maxBytes: number, deadline: number): Promise<FetchedResource> {
    const headers = { accept: acceptedTypes.join(', '), 'accept-encoding': 'identity' };
    return this.exchange<FetchedResource>(url, target, 'GET', headers, undefined, deadline, (response, finish) => {
      const status = response.statusCode ?? 0;
      const refuse = (code: OutboundFetchErrorCode, message: string) => {
        response.resume();
        finish(new OutboundFetchError(code, message));
      };
      if (status >= 300 && status < 400) {
        return refuse('FETCH_REDIRECT_REFUSED', `${url.origin} answered with a redirect (${status}); redirects are not followed`);
      }
      if (status === 404 || status === 410) return refuse('FETCH_NOT_FOUND', `${url.href} does not exist (${status})`);
      if (status !== 200) return refuse('FETCH_HTTP_ERROR', `${url.origin} answered ${status}`);
      const encoding = (response.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity') return refuse('FETCH_FAILED', `refused a ${encoding}-encoded body`);
      const contentType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!acceptedTypes.includes(contentType)) {
        return refuse('FETCH_BAD_CONTENT_TYPE', `expected ${acceptedTypes.join(' or ')}, got ${contentType || 'no content type'}`);
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return refuse('FETCH_TOO_LARGE', `the body is larger than ${maxBytes} bytes`);
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) finish(new OutboundFetchError('FETCH_TOO_LARGE', `the body is larger than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => finish(undefined, { url: url.href, contentType, body: Buffer.concat(chunks) }));
      response.on('error', (error) => finish(new OutboundFetchError('FETCH_FAILED', `reading from ${url.origin} failed: ${error.message}`)));
      response.on('close', () => {
        if (!response.complete) finish(new OutboundFetchError('FETCH_FAILED', `${url.origin} closed the connection mid-body`));
      });
    });
  }

  private sendPost({ url, target }: CheckedDestination, body: string, headers: Record<string, string>, maxBytes: number, deadline: number): Promise<PostAnswer> {
    const payload = Buffer.from(body, 'utf8');
    return this.exchange<PostAnswer>(url, target, 'POST', { ...headers, 'content-length': String(payload.length) }, payload, deadline, (response, finish) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () => ({ status, bodyStart: Buffer.concat(chunks).toString('utf8').slice(0, maxBytes) });
      // The status is the answer; the body is kept only for the log, and only its start.
      response.on('data', (chunk: Buffer) => {
        if (size < maxBytes) chunks.push(chunk.subarray(0, maxBytes - size));
        size += chunk.length;
        if (size >= maxBytes) finish(undefined, answer());
      });
      for (const settled of ['end', 'error', 'close'] as const) response.on(settled, () => finish(undefined, answer()));
    });
  }

  /**
   * One request to the checked address, settled once: by `onResponse` through `finish`, by a
   * transport error, or by the deadline. Whatever settles it closes the connection.
   */
  private exchange<T>(
    url: URL,
    target: CheckedDestination['target'],
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body: Buffer | undefined,
    deadline: number,
    onResponse: (response: http.IncomingMessage, finish: (error: OutboundFetchError | undefined, value?: T) => void) => void,
  ): Promise<T> {
    const verb = method === 'GET' ? 'fetching' : 'sending to';
    return new Promise((resolve, reject) => {
      let settled = false;
      let request: http.ClientRequest | undefined;
      const finish = (error: OutboundFetchError | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request?.destroy();
        if (error) reject(error);
        else resolve(value!);
      };
      const timer = setTimeout(
        () => finish(new OutboundFetchError('FETCH_TIMEOUT', `${url.origin} did not answer within ${this.timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      const hostname = stripBrackets(url.hostname);
      try {
        request = this.request(url, {
          method,
          hostname,
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          headers: { 'user-agent': 'did-notary', ...headers },
          agent: false,
          lookup: pinnedLookup(target.address, target.family),
          ...(url.protocol === 'https:' && !isIP(hostname) ? { servername: hostname } : {}),
          ...(this.policy.ca ? { ca: this.policy.ca } : {}),
        });
      } catch (error) {
        finish(new OutboundFetchError('FETCH_FAILED', `${verb} ${url.origin} failed: ${(error as Error).message}`));
        return;
      }
      request.on('error', (error: NodeJS.ErrnoException) => finish(new OutboundFetchError('FETCH_FAILED', `${verb} ${url.origin} failed: ${error.code ?? error.message}`)));
      request.on('response', (response) => onResponse(response, finish));
      request.end(body);
    });
  }
}

/** A lookup that always answers with the address we already checked (no second DNS query to rebind). */
function pinnedLookup(address: string, family: number): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
