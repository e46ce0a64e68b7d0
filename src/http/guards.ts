// The API-key guard of every endpoint that takes a key, for Express routes and the fast lane alike:
// one authorization step (header, key, scope, rate limit) that gives the caller's key or the
// problem to answer.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiKeyAuthenticator } from '../access/api-keys';
import type { ApiKeyRecord, ApiKeyStore, Scope } from '../access/api-keys';
import { HttpProblem } from './problems';
import { createRateLimiter } from './rate-limit';

/**
 * One per service: the key cache and the per-key rate-limit buckets, so a key's requests count in
 * the same buckets whichever lane answers them.
 */
export class RequestGuard {
  private readonly limit: (key: ApiKeyRecord) => void;

  constructor(
    /** Also used to forget a revoked key at once (routes/keys.ts). */
    readonly authenticator: Pick<ApiKeyAuthenticator, 'authenticate' | 'forget'>,
    rateLimitPerSecond: number,
    limit?: (key: ApiKeyRecord) => void,
  ) {
    this.limit = limit ?? createRateLimiter(rateLimitPerSecond);
  }

  /**
   * The key behind an `Authorization` header if it may call an endpoint needing `scope` and is
   * within its rate limit (the request is counted), else the 401, 403 or 429 problem to answer.
   */
  async authorize(authorization: string | undefined, scope: Scope): Promise<ApiKeyRecord | HttpProblem> {
    if (!authorization) {
      return new HttpProblem('unauthorized', 'send an API key as "Authorization: Bearer <key>"', {}, { 'WWW-Authenticate': 'Bearer' });
    }
    const token = bearerToken(authorization);
    const key = token === undefined ? null : await this.authenticator.authenticate(token);
    if (!key) {
      return new HttpProblem('unauthorized', 'the API key is invalid or revoked', {}, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    if (!hasScope(key, scope)) return new HttpProblem('forbidden', `this endpoint needs an API key with the "${scope}" scope`);
    try {
      this.limit(key);
    } catch (problem) {
      if (problem instanceof HttpProblem) return problem;
      throw problem;
    }
    return key;
  }
}

/** Builds the guard of a service from its key store. */
export function createRequestGuard(store: ApiKeyStore, rateLimitPerSecond: number): RequestGuard {
  return new RequestGuard(new ApiKeyAuthenticator(store), rateLimitPerSecond);
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

/**
 * An `Authorization: Basic` header turned into the Bearer key its password carries (any user name);
 * any other header as it is. RFC 3161 clients (PDF signers, code signers) send a user and a password,
 * never a bearer token.
 */
export function basicPasswordAsBearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!match) return header;
  const credentials = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon < 0 ? header : `Bearer ${credentials.slice(colon + 1)}`;
}

/** Options of requireScope. */
export interface ScopeOptions {
  /** Also take the key as the password of HTTP Basic, and name Basic in a 401's challenge. */
  basicPassword?: boolean;
}

/** Express middleware: the guard's answer for `scope`, the key kept for callerKey. */
export function requireScope(guard: Pick<RequestGuard, 'authorize'>, scope: Scope, options: ScopeOptions = {}): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    // A request can pass two guards of one route (POST /v1/documents: the multipart handler's, then
    // the JSON one's): authorize and count it against the rate limit once.
    const known = res.locals.apiKey as ApiKeyRecord | undefined;
    if (known && hasScope(known, scope)) {
      next();
      return;
    }
    try {
      const result = await authorizeWithScope(guard, req.get('authorization'), scope, options);
      if (result instanceof HttpProblem) {
        next(result);
        return;
      }
      res.locals.apiKey = result;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The guard's answer for an `Authorization` header under requireScope's `options`: the key, or the
 * problem to answer (a 401 naming Basic where Basic is taken). Shared with the TSA's fast lane.
 */
export async function authorizeWithScope(
  guard: Pick<RequestGuard, 'authorize'>,
  authorization: string | undefined,
  scope: Scope,
  options: ScopeOptions = {},
): Promise<ApiKeyRecord | HttpProblem> {
  const result = await guard.authorize(options.basicPassword ? basicPasswordAsBearer(authorization) : authorization, scope);
  return options.basicPassword && result instanceof HttpProblem && result.kind === 'unauthorized' ? withBasicChallenge(result) : result;
}

/** A 401 that also names HTTP Basic among the schemes a client may answer with. */
function withBasicChallenge(problem: HttpProblem): HttpProblem {
  const challenges = [problem.headers['WWW-Authenticate'] ?? 'Bearer', 'Basic realm="did-notary", charset="UTF-8"'].join(', ');
  return new HttpProblem(problem.kind, problem.message, problem.extensions, { ...problem.headers, 'WWW-Authenticate': challenges });
}
