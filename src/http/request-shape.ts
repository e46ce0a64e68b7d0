// Rules about the shape of a request that hold for every route, checked once before any route sees
// it: no NUL characters in the URL (no identifier of ours has one, and the database cannot store
// them), a body only with a declared media type (otherwise its fields are silently dropped), and
// JSON bodies nested no deeper than any document of the API needs (deep nesting only serves to
// exhaust a recursive walk: validation, canonical JSON, JSON.stringify).
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problems';

/** Deeper than any request body of openapi.yaml needs (credential claims included). */
export const MAX_JSON_DEPTH = 32;

/** Refuses a URL with an encoded NUL and a body sent without a Content-Type. */
export function requestShape(): RequestHandler {
  return (req, _res, next) => {
    if (/%00/i.test(req.url)) {
      next(new HttpProblem('validation-failed', 'the URL holds a NUL character (%00)'));
      return;
    }
    if (hasBody(req) && !req.headers['content-type']) {
      next(new HttpProblem('unsupported-media-type', 'the request has a body but no Content-Type; send JSON as application/json'));
      return;
    }
    next();
  };
}

/** Whether a request carries a body: chunked, or a declared length other than 0. */
export function hasBody(req: Pick<IncomingMessage, 'headers'>): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/**
 * A POST to exactly `path` whose body has a declared length of 1 to `maxBytes` and is neither chunked
 * nor compressed: what a fast lane (server.ts) can read whole before deciding anything.
 */
export function isDeclaredLengthPost(req: IncomingMessage, path: string, maxBytes: number): boolean {
  if (req.method !== 'POST' || req.url !== path) return false;
  const { headers } = req;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return false;
  const length = Number(headers['content-length']);
  return Number.isInteger(length) && length > 0 && length <= maxBytes;
}

/**
 * Reads the whole body of a request `isDeclaredLengthPost` accepted (bounded by its Content-Length)
 * without letting the stream end, so that a fast lane can still put it back with `unshift` (Node's
 * documented way to un-read) for Express. A request that closes first is dropped (`closed`): there is
 * no one left to answer.
 */
export function readDeclaredBody(req: IncomingMessage, done: (body: Buffer) => void, closed: () => void): void {
  const chunks: Buffer[] = [];
  const onReadable = () => {
    for (let chunk: Buffer | null; (chunk = req.read() as Buffer | null) !== null; ) chunks.push(chunk);
    if (!req.complete) return;
    req.removeListener('readable', onReadable);
    req.removeListener('close', onClose);
    done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  };
  const onClose = () => {
    req.removeListener('readable', onReadable);
    closed();
  };
  req.on('readable', onReadable);
  req.once('close', onClose);
  // A reset connection fails the stream; 'close' follows and drops the request.
  req.once('error', () => undefined);
}

/** After the JSON parser: refuses bodies nested deeper than MAX_JSON_DEPTH (checked without recursion). */
export function jsonDepthLimit(maxDepth: number = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (jsonDepthExceeds(req.body, maxDepth)) {
      next(new HttpProblem('validation-failed', `the JSON body is nested deeper than ${maxDepth} levels`));
      return;
    }
    next();
  };
}

/** Whether `value` has arrays or objects nested more than `maxDepth` deep; an explicit stack, no recursion. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
