// Starts the real service as a separate process (`did-notary serve`), as a user would, for
// integration tests: real Anvil, real database, real HTTP on a loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/platform/chain/embedded-anvil/embedded-anvil';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(PROJECT_ROOT, 'bin', 'did-notary.js');

export interface ServiceProcess {
  url: string;
  dataDir: string;
  adminKey: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** kill -9, as in a crash. */
  kill(): Promise<void>;
}

const createdDirs: string[] = [];
/**
 * Removes every directory makeTempDir made. A service's data directory holds a database and a chain
 * (about 40 MB): under vitest this runs after each test file (test/setup/temp-dirs.ts; setup hooks run
 * after the file's own, which stop the services), so repeated runs do not fill the disk. The soak run,
 * outside vitest, calls it at its end.
 */
export function removeTempDirs(): void {
  for (const dir of createdDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}


/** A temporary directory, removed after the test file that made it. */
export function makeTempDir(prefix = 'did-notary-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  createdDirs.push(dir);
  return dir;
}

/** A free loopback port. */
export const freePort = findFreePort;

/** Spawns `did-notary serve` with env overrides and waits for /health to answer ok. */
export async function startServiceProcess(options: { dataDir?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ServiceProcess> {
  const dataDir = options.dataDir ?? makeTempDir();
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      BATCH_INTERVAL: '1h',
      // Tests call the public endpoints in bursts a client should not: operations.test.ts tests the limit.
      PUBLIC_RATE_LIMIT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not become healthy:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const adminKey = fs.readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
  return {
    url,
    dataDir,
    adminKey,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Whether the process still runs (not exited, not killed). */
export function isAlive(service: ServiceProcess): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}

/** fetch with the admin key (or another) as bearer token and JSON body. */
export async function api(
  service: Pick<ServiceProcess, 'url' | 'adminKey'>,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(`${service.url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${service.adminKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, json };
}
