// CORS for the public, credential-free endpoints (the rule is the route table's, route-table.ts).
import type { RequestHandler } from 'express';
import { isPublicCorsRequest } from './route-table';

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
