// Secrets never reach a log line, whichever way a call passes them, and logging never changes the
// caller's objects.
import { describe, expect, it } from 'vitest';
import { CENSORED } from '../../../src/platform/observability/logger';
import { capturedLogs } from '../../helpers/captured-logs';

describe('the service logger', () => {
  it('censors secret fields at the top level, one level down and in request headers', async () => {
    const { logger, lines } = capturedLogs();
    const signer = { address: '0xabc', privateKey: '0xdeadbeef' };
    const req = { method: 'GET', headers: { authorization: 'Bearer key_live_1', accept: 'application/json' } };
    const fields = { secret: 's3cret', authorization: 'Bearer top', signer, req, keep: 'visible', count: 3 };
    logger.info(fields, 'with secrets');
    await new Promise((resolve) => setImmediate(resolve));
    const [line] = lines();
    expect(line).toMatchObject({
      msg: 'with secrets',
      service: 'did-notary',
      secret: CENSORED,
      authorization: CENSORED,
      signer: { address: '0xabc', privateKey: CENSORED },
      req: { method: 'GET', headers: { authorization: CENSORED, accept: 'application/json' } },
      keep: 'visible',
      count: 3,
    });
    expect(JSON.stringify(line)).not.toMatch(/deadbeef|s3cret|key_live_1|Bearer top/);
    // The caller's objects are untouched.
    expect(fields.secret).toBe('s3cret');
    expect(signer.privateKey).toBe('0xdeadbeef');
    expect(req.headers.authorization).toBe('Bearer key_live_1');
  });

  it('censors an error\'s secret property and keeps its message and stack', async () => {
    const { logger, lines } = capturedLogs();
    const error = Object.assign(new Error('RPC refused'), { secret: 'hunter2' });
    logger.error({ err: error }, 'failed');
    await new Promise((resolve) => setImmediate(resolve));
    const [line] = lines();
    expect(line!.err).toMatchObject({ type: 'Error', message: 'RPC refused', secret: CENSORED });
    expect(String((line!.err as { stack: string }).stack)).toContain('RPC refused');
    expect(error.secret).toBe('hunter2');
  });

  it('censors top-level secrets of child bindings and leaves plain lines as they are', async () => {
    const { logger, lines } = capturedLogs();
    logger.child({ module: 'chain', privateKey: '0xfeed' }).info({ batch: '7' }, 'anchored');
    logger.info({ requestId: 'r1', status: 200, ms: 1.5 }, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    const [child, plain] = lines();
    expect(child).toMatchObject({ module: 'chain', privateKey: CENSORED, batch: '7', msg: 'anchored' });
    expect(plain).toMatchObject({ requestId: 'r1', status: 200, ms: 1.5, msg: 'request' });
  });
});
