// The did-notary command as a user runs it: hash, notarize --wait, verify, keys, --help.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, timeout: 120_000, env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the did-notary command', () => {
  let service: ServiceProcess;
  const dir = makeTempDir('did-notary-cli-');
  const files = ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt', 'f.txt'].map((name, i) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `document ${i}\n`);
    return file;
  });

  beforeAll(async () => {
    service = await startServiceProcess({ env: { BATCH_INTERVAL: '500ms' } });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('hash prints the CID and SHA-256 of each file', async () => {
    const result = await cli(['hash', files[0]!]);
    expect(result.code).toBe(0);
    const digest = createHash('sha256').update(fs.readFileSync(files[0]!)).digest('hex');
    expect(result.stdout).toMatch(new RegExp(`^bafkrei[a-z2-7]{52}  ${digest}  ${files[0]}\\n$`));
  });

  it('notarize --wait writes anchored receipts that verify against the chain alone', async () => {
    const result = await cli(['notarize', ...files, '--server', service.url, '--api-key', service.adminKey, '--wait', '--timeout', '60']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('wrote 6 receipt file(s): 6 anchored, 0 pending');
    expect(result.stderr).toContain('submitting 6/6');
    for (const file of files) expect(JSON.parse(fs.readFileSync(`${file}.receipt.json`, 'utf8')).status).toBe('anchored');
    const rpc = (await api(service, 'GET', '/v1/info')).json.rpcUrl;
    const verified = await cli(['verify', files[0]!, '--rpc', rpc, '--also', ...files.slice(1)]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stderr).toContain('6 valid, 0 invalid');
  });

  it('notarize refuses a wrong API key with a clear message', async () => {
    const result = await cli(['notarize', files[0]!, '--server', service.url, '--api-key', 'dnk_wrong']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('401');
  });

  it('keys create, list and revoke through the running service', async () => {
    const created = await cli(['keys', 'create', '--tenant', 'acme', '--scopes', 'notarize,issue', '--label', 'ci', '--json', '--server', service.url, '--api-key', service.adminKey]);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; secret: string; scopes: string[] };
    expect(key.scopes).toEqual(['notarize', 'issue']);
    const listed = await cli(['keys', 'list', '--server', service.url, '--api-key', service.adminKey]);
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(key.secret);
    expect((await api({ url: service.url, adminKey: key.secret }, 'POST', '/v1/documents', { hash: '77'.repeat(32) })).status).toBe(202);
    expect((await cli(['keys', 'revoke', key.id, '--server', service.url, '--api-key', service.adminKey])).code).toBe(0);
    expect((await api({ url: service.url, adminKey: key.secret }, 'POST', '/v1/documents', { hash: '78'.repeat(32) })).status).toBe(401);
    const bad = await cli(['keys', 'create', '--tenant', 'acme', '--scopes', 'root']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown scope(s): root');
  });

  it('keys on the store directly is refused while the service holds it', async () => {
    const busy = await cli(['keys', 'list', '--data-dir', service.dataDir]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/in use by process \d+/);
  });

  it('answers --help for every command', async () => {
    for (const command of [[], ['serve'], ['hash'], ['notarize'], ['verify'], ['keys'], ['keys', 'create'], ['deploy']]) {
      const result = await cli([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain('Usage: did-notary');
    }
    const serveHelp = await cli(['serve', '--help']);
    expect(serveHelp.stdout).toContain('--batch-interval <value>');
    expect(serveHelp.stdout).toContain('env BATCH_INTERVAL');
  });
});

describe('keys on a stopped service', () => {
  it('creates a key directly in the embedded store that the service then accepts', async () => {
    const first = await startServiceProcess();
    await first.stop();
    const created = await cli(['keys', 'create', '--tenant', 'offline', '--json', '--data-dir', first.dataDir]);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { secret: string };
    const second = await startServiceProcess({ dataDir: first.dataDir });
    try {
      expect((await api({ url: second.url, adminKey: key.secret }, 'POST', '/v1/documents', { hash: '79'.repeat(32) })).status).toBe(202);
    } finally {
      await second.stop();
    }
  });
});
