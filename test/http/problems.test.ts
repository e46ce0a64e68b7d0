// The one mapping from errors to RFC 9457 problems, and how an answered problem is logged.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors';
import { HttpProblem, logProblem, toProblem } from '../../src/http/problems';
import { capturedLogs } from '../helpers/captured-logs';

describe('problems', () => {
  it('keeps type, title, status, detail and code whatever the details are called', () => {
    const { body } = toProblem(
      new DomainError('INVALID_DOCUMENT_ID', 'bad id', { code: 19, status: 200, type: 'x', title: 'y', detail: 'z', index: 3 }),
    );
    expect(body).toEqual({
      type: 'urn:did-notary:problem:invalid-document-id',
      title: 'Invalid document identifier',
      status: 400,
      detail: 'bad id',
      code: 'INVALID_DOCUMENT_ID',
      index: 3,
    });
  });

  it('maps the 4xx errors of Express\'s own stack by status, and hides a refused path as not found', () => {
    const httpError = (status: number, message: string) => Object.assign(new Error(message), { status, expose: true });
    expect(toProblem(httpError(404, 'Not Found')).body).toMatchObject({ status: 404, type: 'urn:did-notary:problem:not-found' });
    expect(toProblem(httpError(403, 'Forbidden: /etc')).body).toMatchObject({ status: 404, detail: 'no such resource' });
    expect(toProblem(Object.assign(new URIError('Failed to decode param'), { status: 400 })).body).toMatchObject({ status: 400, type: 'urn:did-notary:problem:validation-failed' });
    expect(toProblem(new Error('plain')).body).toMatchObject({ status: 500, type: 'urn:did-notary:problem:internal' });
  });

  it('answers text the database cannot store as a 400', () => {
    expect(toProblem(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' })).body.status).toBe(400);
  });

  it('logs an upstream failure (an unresolvable DID) as one warning without a stack, an internal one as an error', () => {
    const { logger, lines } = capturedLogs('debug');
    const unresolvable = new DomainError('DID_UNRESOLVABLE', 'did:web:example.com did not answer');
    logProblem(logger, unresolvable, toProblem(unresolvable).body, 'r1', '/v1/dids/x');
    const internal = new Error('bug');
    logProblem(logger, internal, toProblem(internal).body, 'r2', '/v1/x');
    const invalid = new HttpProblem('validation-failed', 'no');
    logProblem(logger, invalid, toProblem(invalid).body, 'r3', '/v1/y');
    const [first, second, third] = lines();
    expect(first).toMatchObject({ level: 40, requestId: 'r1', msg: 'did:web:example.com did not answer' });
    expect(first).not.toHaveProperty('err');
    expect(second).toMatchObject({ level: 50, requestId: 'r2' });
    expect((second!.err as { stack?: string }).stack).toContain('bug');
    expect(third).toMatchObject({ level: 20, requestId: 'r3' });
  });
});
