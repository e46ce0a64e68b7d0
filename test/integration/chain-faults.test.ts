// The service when its chain fails: a refused or stalled RPC endpoint gives 503 problems and a
// prompt /health, never a hang or a 500, and anchoring catches up as soon as the chain answers again
// instead of waiting out its backoff. The chain is a real Anvil behind a fault-injecting proxy.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { startRpcFaultProxy, type RpcFaultProxy } from '../helpers/rpc-fault-proxy';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
// Anvil's second dev account: public knowledge, funded on any fresh Anvil.
const DEV_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('chain faults', () => {
  let chain: EmbeddedAnvil;
  let proxy: RpcFaultProxy;
  let service: ServiceProcess;
  beforeAll(async () => {
    chain = await startEmbeddedAnvil({ dataDir: makeTempDir('did-notary-faults-') });
    const { stdout } = await run(process.execPath, [CLI, 'deploy'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, RPC_URL: chain.rpcUrl, SIGNER_PRIVATE_KEY: DEV_KEY_1 },
      timeout: 60_000,
    });
    const settings = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
    proxy = await startRpcFaultProxy(chain.rpcUrl);
    service = await startServiceProcess({
      env: { RPC_URL: proxy.url, CHAIN_ID: '31337', ANCHOR_CONTRACT: settings.ANCHOR_CONTRACT!, SIGNER_PRIVATE_KEY: DEV_KEY_1, BATCH_INTERVAL: '2s' },
    });
  });
  afterAll(async () => {
    await service?.stop();
    await proxy?.close();
    await chain?.stop();
  });

  const receiptStatus = async (hash: string) => (await api(service, 'GET', `/v1/receipts/${hash}`)).json.status as string;

  it('answers 503 while the chain refuses connections, and catches up within seconds of its return', async () => {
    const anchoredBefore = 'e1'.repeat(32);
    expect((await api(service, 'POST', '/v1/documents', { hash: anchoredBefore })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const receipt = (await api(service, 'GET', `/v1/receipts/${anchoredBefore}`)).json;

    await proxy.setMode('refuse');
    const during = 'e2'.repeat(32);
    expect((await api(service, 'POST', '/v1/documents', { hash: during })).status).toBe(202);
    const anchor = await api(service, 'POST', '/v1/batches/anchor');
    expect(anchor.status, JSON.stringify(anchor.json)).toBe(503);
    expect(anchor.json.type).toBe('urn:did-notary:problem:chain-unavailable');
    const verify = await api(service, 'POST', '/v1/receipts/verify', { receipt });
    expect(verify.status).toBe(503);
    expect(verify.json.type).toBe('urn:did-notary:problem:chain-unavailable');
    await sleep(5_500); // past the health check's 5 s cache
    const health = await api(service, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json.checks.chain.ok).toBe(false);

    // Rounds fail every 2 s, 4 s, 8 s, 16 s: after this long an outage, the next one is 10 s or more away.
    await sleep(9_000);
    expect(await receiptStatus(during)).toBe('pending');
    await proxy.setMode('forward');
    const back = Date.now();
    while ((await receiptStatus(during)) !== 'anchored') {
      expect(Date.now() - back, 'anchored soon after the chain answers again').toBeLessThan(8_000);
      await sleep(200);
    }
    expect(service.output()).toMatch(/the chain answers again; resuming anchoring/);
  }, 60_000);

  it('answers /health promptly while the RPC endpoint accepts connections but never answers', async () => {
    await proxy.setMode('stall');
    await sleep(5_500); // past the health check's 5 s cache
    const started = Date.now();
    const health = await api(service, 'GET', '/health');
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(health.status).toBe(503);
    expect(health.json.checks.chain.detail).toMatch(/no answer within/);
    await proxy.setMode('forward');
  }, 30_000);
});
