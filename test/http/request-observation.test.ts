// Every request leaves one access-log line: answered ones when the answer is written, and ones whose
// connection closes first when it closes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeRequest } from '../../src/http/request-observation';
import { ServiceMetrics } from '../../src/platform/observability/metrics';
import { capturedLogs } from '../helpers/captured-logs';

describe('request observation', () => {
  const { logger, lines } = capturedLogs();
  let server: http.Server;
  let port: number;
  let hanging: (() => void) | undefined;
  const arrived: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      observeRequest({ metrics: new ServiceMetrics(), logger }, req, res, () => '/things/:id');
      arrived.push(req.url!);
      if (req.url!.startsWith('/slow')) {
        hanging = () => res.end('late');
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function waitFor(predicate: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(predicate()).toBe(true);
  }

  it('logs an answered request once, as "request"', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/things/1?x=1`, { headers: { 'x-request-id': 'answered-1' } });
    expect(await response.text()).toBe('ok');
    expect(response.headers.get('x-request-id')).toBe('answered-1');
    await waitFor(() => lines().some((line) => line.requestId === 'answered-1'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const mine = lines().filter((line) => line.requestId === 'answered-1');
    expect(mine).toEqual([expect.objectContaining({ msg: 'request', method: 'GET', path: '/things/1', status: 200 })]);
  });

  it('logs a request whose client went away before the answer, without its query string', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /slow/7?token=secret HTTP/1.1\r\nHost: x\r\nx-request-id: gave-up-1\r\n\r\n');
    await waitFor(() => arrived.includes('/slow/7?token=secret'));
    socket.destroy();
    await waitFor(() => lines().some((line) => line.requestId === 'gave-up-1'));
    const line = lines().find((entry) => entry.requestId === 'gave-up-1')!;
    expect(line).toMatchObject({ msg: 'request closed before its answer was sent', method: 'GET', path: '/slow/7', aborted: true });
    expect(line.status).toBeUndefined();
    expect(typeof line.ms).toBe('number');
    expect(JSON.stringify(line)).not.toContain('secret');
    // A late answer to the closed connection adds no second line.
    hanging?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines().filter((entry) => entry.requestId === 'gave-up-1')).toHaveLength(1);
  });
});
