// Running against an external chain: `did-notary deploy` puts the contract on a chain we did not
// start, and the service anchors there with RPC_URL, ANCHOR_CONTRACT and SIGNER_PRIVATE_KEY.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
// Anvil's second dev account: public knowledge, funded on any fresh Anvil.
const DEV_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

describe('an external chain', () => {
  let chain: EmbeddedAnvil;
  let service: ServiceProcess | undefined;
  beforeAll(async () => {
    chain = await startEmbeddedAnvil({ dataDir: makeTempDir('did-notary-external-') });
  });
  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it('deploys with `did-notary deploy` and anchors there', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'deploy', '--did-registry'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, RPC_URL: chain.rpcUrl, SIGNER_PRIVATE_KEY: DEV_KEY_1 },
      timeout: 60_000,
    });
    const settings = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
    expect(settings.CHAIN_ID).toBe('31337');
    expect(settings.ANCHOR_CONTRACT).toMatch(/^0x[0-9a-f]{40}$/);

    service = await startServiceProcess({
      env: { RPC_URL: chain.rpcUrl, CHAIN_ID: '31337', ANCHOR_CONTRACT: settings.ANCHOR_CONTRACT!, DID_REGISTRY: settings.DID_REGISTRY!, SIGNER_PRIVATE_KEY: DEV_KEY_1 },
    });
    const info = (await api(service, 'GET', '/v1/info')).json;
    expect(info.contracts).toEqual({ anchor: settings.ANCHOR_CONTRACT, didRegistry: settings.DID_REGISTRY });
    expect(info.rpcUrl).toBe(chain.rpcUrl);
    expect(service.output()).not.toContain(DEV_KEY_1.slice(2));

    const hash = 'ab'.repeat(32);
    expect((await api(service, 'POST', '/v1/documents', { hash })).status).toBe(202);
    const anchored = await api(service, 'POST', '/v1/batches/anchor');
    expect(anchored.json.batch.anchor.contract).toBe(settings.ANCHOR_CONTRACT);
    const receipt = await api(service, 'GET', `/v1/receipts/${hash}`);
    const verified = await api(service, 'POST', '/v1/receipts/verify', { receipt: receipt.json, hash });
    expect(verified.json).toMatchObject({ valid: true, submitter: expect.stringMatching(/^0x70997970/i) });
  });

  it('refuses to start when the chain id or contract is wrong, naming the setting', async () => {
    await expect(
      startServiceProcess({ env: { RPC_URL: chain.rpcUrl, CHAIN_ID: '1', ANCHOR_CONTRACT: '0x' + '11'.repeat(20), SIGNER_PRIVATE_KEY: DEV_KEY_1 }, timeoutMs: 20_000 }),
    ).rejects.toThrow(/CHAIN_ID is 1/);
    await expect(
      startServiceProcess({ env: { RPC_URL: chain.rpcUrl, ANCHOR_CONTRACT: '0x' + '11'.repeat(20), SIGNER_PRIVATE_KEY: DEV_KEY_1 }, timeoutMs: 20_000 }),
    ).rejects.toThrow(/ANCHOR_CONTRACT 0x1111.* has no code/);
  });
});
