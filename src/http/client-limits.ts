// Limits per client address on the public endpoints that cost upstream work (chain calls, DID
// fetches) or a scrape: anyone may call them without a key, so without a limit one client could
// spend the operator's RPC quota or hold every outbound socket. A client is its IP address as
// Express sees it (`req.ip`: the peer, or the forwarded address under TRUST_PROXY).
import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem } from './problems';

export interface ClientLimitOptions {
  /** Requests per second per client address (0: no limit). */
  perSecond: number;
  /** Requests of one client answered at once (0: no limit): slow upstreams cannot be held open in bulk. */
  maxInFlight: number;
}

/** Express middleware enforcing both limits; over either, a 429 problem with Retry-After. */
export function limitPerClient(options: ClientLimitOptions): RequestHandler {
  const limiter = options.perSecond > 0 ? new RateLimiterMemory({ points: options.perSecond, duration: 1 }) : undefined;
  const inFlight = new Map<string, number>();
  return (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const open = inFlight.get(client) ?? 0;
    if (options.maxInFlight > 0 && open >= options.maxInFlight) {
      next(new HttpProblem('rate-limited', `this client already has ${open} requests open on public endpoints; wait for one to finish`, {}, { 'Retry-After': '1' }));
      return;
    }
    const admit = () => {
      inFlight.set(client, (inFlight.get(client) ?? 0) + 1);
      res.once('close', () => {
        const left = (inFlight.get(client) ?? 1) - 1;
        if (left <= 0) inFlight.delete(client);
        else inFlight.set(client, left);
      });
      next();
    };
    if (!limiter) {
      admit();
      return;
    }
    limiter.consume(client).then(admit, (rejection: unknown) => {
      if (!(rejection instanceof RateLimiterRes)) {
        next(rejection);
        return;
      }
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      next(
        new HttpProblem('rate-limited', `public endpoints are limited to ${options.perSecond} requests per second per client`, {}, {
          'Retry-After': String(retryAfter),
        }),
      );
    });
  };
}
