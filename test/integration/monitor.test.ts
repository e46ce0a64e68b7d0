// `did-notary monitor` against a real service and its chain: an honest log passes (twice, as it
// grows); a forked checkpoint (the real log key signing another head for the same size, served to
// this monitor only), a batch rewritten in the database behind the service, and a truncated log are
// each caught, with exit code 1 and a report that names what broke.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes } from '../../src/core/base64';
import { formatCheckpoint } from '../../src/core/log/checkpoint';
import { logKeyFromSeed } from '../../src/notarization/log/log-key';
import { openServiceDatabase } from '../../src/schema';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);

describe('did-notary monitor', () => {
  const dataDir = makeTempDir('did-notary-monitor-');
  const stateDir = makeTempDir('did-notary-monitor-state-');
  const honestState = path.join(stateDir, 'honest.json');
  let service: ServiceProcess;
  let rpcUrl: string;

  const notarizeBatch = async () => {
    expect((await api(service, 'POST', '/v1/documents', { hashes: [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')] })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
  };
  /** Runs the monitor with a copy of `fromState` (or the honest state itself) and returns its exit code and report. */
  const monitor = async (options: { server?: string; state?: string; fromState?: string } = {}) => {
    const state = options.state ?? path.join(stateDir, `${randomBytes(4).toString('hex')}.json`);
    if (options.fromState) fs.copyFileSync(options.fromState, state);
    try {
      const { stdout } = await run(process.execPath, [CLI, 'monitor', '--server', options.server ?? service.url, '--rpc', rpcUrl, '--state', state], { cwd: PROJECT_ROOT, timeout: 60_000 });
      return { code: 0, out: stdout };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  };
  const restartAfter = async (edit: (db: Awaited<ReturnType<typeof openServiceDatabase>>) => Promise<void>) => {
    await service.stop();
    const db = await openServiceDatabase({ dataDir });
    try {
      await edit(db);
    } finally {
      await db.close();
    }
    service = await startServiceProcess({ dataDir });
    rpcUrl = (await api(service, 'GET', '/v1/info')).json.rpcUrl; // the embedded chain's new port
  };

  beforeAll(async () => {
    service = await startServiceProcess({ dataDir });
    rpcUrl = (await api(service, 'GET', '/v1/info')).json.rpcUrl;
    await notarizeBatch();
    await notarizeBatch();
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('passes an honest log, and again once it has grown', async () => {
    const first = await monitor({ state: honestState });
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/OK: log .* first checkpoint, 2 batches/);
    expect(first.out).toMatch(/2 anchored/);
    await notarizeBatch();
    const second = await monitor({ state: honestState });
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/grew from 2 to 3 batches, consistently/);
  });

  it('catches a forked checkpoint: another head for the same size, signed with the log key', async () => {
    const info = (await api(service, 'GET', '/v1/info')).json;
    const key = logKeyFromSeed(base64ToBytes(fs.readFileSync(path.join(dataDir, 'log-key'), 'utf8').trim())!);
    const forged = key.signNote(formatCheckpoint({ origin: info.log.origin, size: 3, root: randomBytes(32) }), info.log.origin);
    // What a malicious operator shows one client: the real service, but another checkpoint.
    const proxy = http.createServer((req, res) => {
      if (req.url === '/v1/log/checkpoint') return void res.end(forged);
      void fetch(`${service.url}${req.url}`).then(async (upstream) => {
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const result = await monitor({ server: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, fromState: honestState });
      expect(result.code, result.out).toBe(1);
      expect(result.out).toMatch(/^FORK: two signed checkpoints for 3 batches with different tree heads/m);
      expect(result.out).toContain(forged.trimEnd().split('\n').at(-1));
    } finally {
      proxy.close();
    }
  });

  it('catches a batch rewritten in the database behind the service', async () => {
    const rewritten = randomBytes(32);
    await restartAfter(async (db) => {
      await db.query('UPDATE batches SET root = $1 WHERE log_index = 1', [rewritten]);
    });
    const result = await monitor({ fromState: honestState });
    expect(result.code, result.out).toBe(1);
    expect(result.out).toMatch(/^FORK: .*does not extend|^FORK: two signed checkpoints/m);
    expect(result.out).toMatch(new RegExp(`^REWRITTEN: log entry 1 \\(batch \\d+\\) was [0-9a-f]{64} and is now ${rewritten.toString('hex')}; the old root is anchored on eip155:31337 block \\d+`, 'm'));
  });

  it('catches a truncated log', async () => {
    await restartAfter(async (db) => {
      await db.query('DELETE FROM submissions WHERE seq > (SELECT last_seq FROM batches WHERE log_index = 0)');
      await db.query('DELETE FROM batches WHERE log_index >= 1');
    });
    const result = await monitor({ fromState: honestState });
    expect(result.code, result.out).toBe(1);
    expect(result.out).toMatch(/^TRUNCATED: the log shrank from 3 to 1 batches: log entries 1 to 2 are gone/m);
  });
});
