// The request boundary in a real process: an error that escapes a request's handlers fails that
// request with a 500 problem and the process keeps serving; an error with no request behind it
// still ends the process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = path.join(__dirname, 'fixtures', 'boundary-server.ts');
const RUN_TS = path.join(__dirname, '..', '..', 'bin', 'run-ts.js');

describe('the request boundary', () => {
  let child: ChildProcess;
  let url: string;
  let exited: Promise<number | null>;
  beforeAll(async () => {
    child = spawn(process.execPath, [RUN_TS, FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    child.kill('SIGKILL');
  });

  it.each(['/stream-error', '/throw'])('answers %s with a 500 problem and keeps serving', async (pathname) => {
    const response = await fetch(`${url}${pathname}`, { method: 'POST', body: 'some body' });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { type: string }).type).toBe('urn:did-notary:problem:internal');
    expect(await (await fetch(`${url}/ok`)).text()).toBe('ok');
  });

  it('answers an unhandled rejection of a request with a 500 problem', async () => {
    const response = await fetch(`${url}/rejection`);
    expect(response.status).toBe(500);
    expect(await (await fetch(`${url}/ok`)).text()).toBe('ok');
  });

  it('still ends the process for an error outside any request', async () => {
    child.kill('SIGUSR2');
    expect(await exited).toBe(1);
  });
});
