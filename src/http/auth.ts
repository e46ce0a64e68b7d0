// Bearer API-key authentication and scope checks for write endpoints.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKeyAuthenticator } from '../access/api-keys';
import type { ApiKeyRecord, Scope } from '../store/store';
import { HttpProblem } from './problems';

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
    if (known && (known.scopes.includes(scope) || known.scopes.includes('admin'))) {
      next();
      return;
    }
    try {
      const header = req.get('authorization');
      if (!header) {
        throw new HttpProblem('unauthorized', 'send an API key as "Authorization: Bearer <key>"', {}, { 'WWW-Authenticate': 'Bearer' });
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const key = match ? await authenticator.authenticate(match[1]!) : null;
      if (!key) {
        throw new HttpProblem('unauthorized', 'the API key is invalid or revoked', {}, {
          'WWW-Authenticate': 'Bearer error="invalid_token"',
        });
      }
      if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
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
