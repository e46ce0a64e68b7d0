// Limits per client address on the public endpoints that cost upstream work (chain calls, DID
// fetches) or a scrape: anyone may call them without a key, so without a limit one client could
// spend the operator's RPC quota or hold every outbound socket. A client is its IP address as
// Express sees it (`req.ip`: the peer, or the forwarded address under TRUST_PROXY).
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem } from './problems';

export interface ClientLimitOptions {
  /** Requests per second per client address (0: no limit). */
  perSecond: number;
  /** Requests of one client answered at once (0: no limit): slow upstreams cannot be held open in bulk. */
  maxInFlight: number;
}

/**
 * Both limits for one set of endpoints: one instance per set, so a lane in front of Express
 * (timestamp-fast-path.ts) counts a client in the same buckets as the Express middleware.
 */
export class ClientLimiter {
  private readonly limiter: RateLimiterMemory | undefined;
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: ClientLimitOptions) {
    this.limiter = options.perSecond > 0 ? new RateLimiterMemory({ points: options.perSecond, duration: 1 }) : undefined;
  }

  /**
   * Counts a request of `client`: undefined if admitted (it stays in flight until `res` closes),
   * else the 429 problem to answer.
   */
  async admit(client: string, res: ServerResponse): Promise<HttpProblem | undefined> {
    const open = this.inFlight.get(client) ?? 0;
    if (this.options.maxInFlight > 0 && open >= this.options.maxInFlight) {
      return new HttpProblem('rate-limited', `this client already has ${open} requests open on public endpoints; wait for one to finish`, {}, { 'Retry-After': '1' });
    }
    if (this.limiter) {
      try {
        await this.limiter.consume(client);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        return new HttpProblem('rate-limited', `public endpoints are limited to ${this.options.perSecond} requests per second per client`, {}, {
          'Retry-After': String(retryAfter),
        });
      }
    }
    this.inFlight.set(client, (this.inFlight.get(client) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.inFlight.get(client) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(client);
      else this.inFlight.set(client, left);
    });
    return undefined;
  }
}

/** Express middleware enforcing both limits (`options`, or a limiter shared with another lane); over either, a 429 problem with Retry-After. */
export function limitPerClient(options: ClientLimitOptions | ClientLimiter): RequestHandler {
  const limiter = options instanceof ClientLimiter ? options : new ClientLimiter(options);
  return (req, res, next) => {
    limiter.admit(req.ip ?? req.socket.remoteAddress ?? 'unknown', res).then((problem) => next(problem), next);
  };
}
