// Bearer API-key authentication and scope checks for write endpoints.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiKeyAuthenticator } from '../access/api-keys';
import type { ApiKeyRecord, ApiKeyStore, Scope } from '../access/api-keys';
import { HttpProblem } from './problems';
import { createRateLimiter } from './rate-limit';

/**
 * The key cache and the per-key rate limit, one of each per service: the Express routes and the
 * fast paths beside them must count a key's requests in the same buckets.
 */
export interface RequestGuards {
  authenticator: ApiKeyAuthenticator;
  /** Throws the rate-limited problem, without taking a token, when the key is over its limit. */
  limit: (key: ApiKeyRecord) => void;
}

export function createRequestGuards(store: ApiKeyStore, rateLimitPerSecond: number): RequestGuards {
  return { authenticator: new ApiKeyAuthenticator(store), limit: createRateLimiter(rateLimitPerSecond) };
}

/** Keys already looked up for a request by a fast path that then handed it to Express (null: none valid). */
const authenticatedRequests = new WeakMap<object, ApiKeyRecord | null>();

/** Records a request's key lookup, so requireScope does not look the same secret up again. */
export function noteAuthentication(req: object, key: ApiKeyRecord | null): void {
  authenticatedRequests.set(req, key);
}

/** The key in a well-formed `Authorization: Bearer <key>` header, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Whether a key may call endpoints needing `scope` (admin keys may call every one). */
export function hasScope(key: ApiKeyRecord, scope: Scope): boolean {
  return key.scopes.includes(scope) || key.scopes.includes('admin');
}

/** The authenticated key of a request (set by requireScope). */
export function callerKey(res: Response): ApiKeyRecord {
  const key = res.locals.apiKey as ApiKeyRecord | undefined;
  if (!key) throw new Error('callerKey used on a route without requireScope');
  return key;
}

/** Rejects requests without a valid key carrying `scope` (401 / 403 problems). */
export function requireScope(authenticator: ApiKeyAuthenticator, scope: Scope, onAuthenticated?: (key: ApiKeyRecord, res: Response) => void): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    // A request can pass two guards of one route (POST /v1/documents: the multipart handler's, then
    // the JSON one's): authenticate and count it against the rate limit once.
    const known = res.locals.apiKey as ApiKeyRecord | undefined;
    if (known && hasScope(known, scope)) {
      next();
      return;
    }
    try {
      const header = req.get('authorization');
      if (!header) {
        throw new HttpProblem('unauthorized', 'send an API key as "Authorization: Bearer <key>"', {}, { 'WWW-Authenticate': 'Bearer' });
      }
      const token = bearerToken(header);
      const noted = authenticatedRequests.get(req);
      const key = token === undefined ? null : noted !== undefined ? noted : await authenticator.authenticate(token);
      if (!key) {
        throw new HttpProblem('unauthorized', 'the API key is invalid or revoked', {}, {
          'WWW-Authenticate': 'Bearer error="invalid_token"',
        });
      }
      if (!hasScope(key, scope)) {
        throw new HttpProblem('forbidden', `this endpoint needs an API key with the "${scope}" scope`);
      }
      res.locals.apiKey = key;
      onAuthenticated?.(key, res);
      next();
    } catch (error) {
      next(error);
    }
  };
}
