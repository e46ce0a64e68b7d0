// CORS for the public, credential-free reads, so a verification page hosted elsewhere (or a saved
// copy) can use this service. Endpoints that take an API key stay same-origin only.
import type { RequestHandler } from 'express';

const PUBLIC_PATHS = [/^\/v1\/info$/, /^\/v1\/receipts\/[^/]+$/, /^\/v1\/batches(\/[^/]+)?$/, /^\/v1\/dids\/[^/]+$/, /^\/v1\/status-lists\/[^/]+$/, /^\/v1\/credentials\/verify$/];

/** Whether a response to `path` carries `Access-Control-Allow-Origin: *`: public reads asked without credentials. */
export function isPublicCorsRequest(path: string, authorization: string | undefined): boolean {
  return !authorization && PUBLIC_PATHS.some((pattern) => pattern.test(path));
}

/** Adds `Access-Control-Allow-Origin: *` to public endpoints and answers their preflights. */
export function publicCors(): RequestHandler {
  return (req, res, next) => {
    if (!isPublicCorsRequest(req.path, req.get('authorization'))) return next();
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', 'content-type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
