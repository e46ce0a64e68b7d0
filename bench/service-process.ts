// The real service for the HTTP figures: `did-notary serve` as a child process (as a user runs it),
// on a loopback port, with its log in a file, stopped with SIGTERM (and its process group killed
// if it lingers) when the section's scope closes.
import { findFreePort } from '../src/platform/chain/embedded-anvil/embedded-anvil';
import fs from 'node:fs';
import path from 'node:path';
import type { ResourceScope } from './resources';
import { sleep } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const CLI = path.join(PROJECT_ROOT, 'bin', 'did-notary.js');

/**
 * The Node flags `npm start` gives the service (package.json "start": `node <flags> bin/did-notary.js
 * serve`), so the bench measures the service as the README starts it.
 */
export function startScriptNodeFlags(): string[] {
  const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const match = /^node\s+(.*?)\s*bin\/did-notary\.js\s+serve\b/.exec(scripts.start ?? '');
  if (!match) throw new Error(`package.json "start" is not "node [flags] bin/did-notary.js serve": ${scripts.start}`);
  return match[1]!.split(/\s+/).filter((flag) => flag.length > 0);
}

export interface BenchService {
  url: string;
  adminKey: string;
  logFile: string;
  /** Last lines of the service log, for error messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startBenchService(
  scope: ResourceScope,
  options: { dataDir: string; env: Record<string, string>; timeoutMs?: number; /** e.g. ['--cpu-prof'] for profiling runs. */ nodeArgs?: string[] },
): Promise<BenchService> {
  const port = await findFreePort();
  const logDir = scope.tempDir('service-log');
  const logFile = path.join(logDir, 'service.log');
  const logFd = fs.openSync(logFile, 'a');
  const { child, stop } = scope.spawn(process.execPath, [...startScriptNodeFlags(), ...(options.nodeArgs ?? []), CLI, 'serve'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? logDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      ...options.env,
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  const logTail = (lines = 30) => {
    try {
      return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited during start-up (${child.exitCode ?? child.signalCode}):\n${logTail()}`);
    }
    if (Date.now() > deadline) throw new Error(`the service did not become healthy in time:\n${logTail()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  const adminKey = fs.readFileSync(path.join(options.dataDir, 'admin-api-key'), 'utf8').trim();
  return { url, adminKey, logFile, logTail, stop };
}


/**
 * The floor of an HTTP latency figure on this machine: a bare `node:http` server, started with the
 * service's Node flags in its own process, answering every request with `body` as JSON (what
 * `res.json` sends minus the ETag). Loaded like the service, it shows what the machine, Node and the
 * load generator cost before the service does anything.
 */
export async function startBareJsonServer(scope: ResourceScope, body: string): Promise<{ url: string }> {
  const port = await findFreePort();
  const script = `
    const body = Buffer.from(process.env.BODY);
    require('node:http').createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', body.length);
      res.end(body);
    }).listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));`;
  const { child } = scope.spawn(process.execPath, [...startScriptNodeFlags(), '-e', script], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), BODY: body },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the bare HTTP server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}` };
}

/** JSON request with the admin key; throws with the service's answer on a non-2xx status. */
export async function callService<T>(service: BenchService, method: string, pathname: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
  const response = await fetch(`${service.url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${service.adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}
