// Two real Anvil chains with different chain ids behind one service (the second through a fault
// proxy): the same root is anchored on both; a receipt with one anchor tampered still holds on the
// other and says which did not; a chain that refuses connections delays only its own anchorings,
// /health and /metrics say which, and it catches up when it returns; and a kill -9 between the two
// anchorings leaves each chain with each root anchored exactly once, and no transaction wasted.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { computeAddress, Interface, JsonRpcProvider } from 'ethers';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_ANCHOR_ABI, readAnchoring } from '../../src/platform/chain/anchor-contract';
import { startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { startRpcFaultProxy, type RpcFaultProxy } from '../helpers/rpc-fault-proxy';
import { CHROMIUM_ARGS, chromiumExecutable } from '../helpers/browser';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
// Anvil's second dev account: public knowledge, funded on any fresh Anvil.
const DEV_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function deploy(rpcUrl: string): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'deploy'], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH, RPC_URL: rpcUrl, SIGNER_PRIVATE_KEY: DEV_KEY_1 }, timeout: 60_000 });
  return /ANCHOR_CONTRACT=(0x[0-9a-fA-F]{40})/.exec(stdout)![1]!;
}

describe('anchoring on two chains', () => {
  const dataDir = makeTempDir('did-notary-two-chains-');
  let chainA: EmbeddedAnvil;
  let chainB: EmbeddedAnvil;
  let proxyB: RpcFaultProxy;
  let contractA: string;
  let contractB: string;
  let service: ServiceProcess;
  let providerA: JsonRpcProvider;
  let providerB: JsonRpcProvider;

  const start = () =>
    startServiceProcess({
      dataDir,
      env: {
        RPC_URL: chainA.rpcUrl,
        CHAIN_ID: '31337',
        ANCHOR_CONTRACT: contractA,
        SIGNER_PRIVATE_KEY: DEV_KEY_1,
        CHAINS: JSON.stringify([{ rpcUrl: proxyB.url, chainId: 31338, anchorContract: contractB, publicRpcUrl: chainB.rpcUrl }]),
        BATCH_INTERVAL: '1s',
      },
    });
  const receiptOf = async (hash: string) => (await api(service, 'GET', `/v1/receipts/${hash}`)).json;
  const anchoredOnBoth = async (hash: string, withinMs: number) => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const receipt = await receiptOf(hash);
      if (receipt.anchors?.length === 2) return receipt;
      if (Date.now() > deadline) throw new Error(`not anchored on both chains within ${withinMs} ms: ${JSON.stringify(receipt)}`);
      await sleep(200);
    }
  };

  beforeAll(async () => {
    // CORS open: the verification page (served by the service, another origin) asks both chains itself.
    chainA = await startEmbeddedAnvil({ dataDir: makeTempDir('did-notary-chain-a-'), allowOrigin: '*' });
    chainB = await startEmbeddedAnvil({ dataDir: makeTempDir('did-notary-chain-b-'), chainId: 31338, allowOrigin: '*' });
    [contractA, contractB] = await Promise.all([deploy(chainA.rpcUrl), deploy(chainB.rpcUrl)]);
    proxyB = await startRpcFaultProxy(chainB.rpcUrl);
    providerA = new JsonRpcProvider(chainA.rpcUrl, 31337, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    providerB = new JsonRpcProvider(chainB.rpcUrl, 31338, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    service = await start();
  });
  afterAll(async () => {
    await service?.stop();
    providerA?.destroy();
    providerB?.destroy();
    await proxyB?.close();
    await chainA?.stop();
    await chainB?.stop();
  });

  it('anchors the same root on both chains; a receipt with one anchor tampered holds on the other and says which did not', async () => {
    const info = (await api(service, 'GET', '/v1/info')).json;
    expect(info.chains.map((c: { chain: string; primary: boolean }) => [c.chain, c.primary])).toEqual([['eip155:31337', true], ['eip155:31338', false]]);
    const work = makeTempDir('did-notary-two-chains-cli-');
    const file = path.join(work, 'contract.pdf');
    fs.writeFileSync(file, randomBytes(4096));
    const hash = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect((await api(service, 'POST', '/v1/documents', { hash })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const receipt = await anchoredOnBoth(hash, 20_000);
    expect(receipt.anchor).toEqual(receipt.anchors[0]);
    expect(receipt.anchors.map((a: { chain: string }) => a.chain).sort()).toEqual(['eip155:31337', 'eip155:31338']);
    const onA = await readAnchoring(providerA, contractA, receipt.batch.root);
    const onB = await readAnchoring(providerB, contractB, receipt.batch.root);
    expect(onA?.treeSize).toBe(receipt.batch.treeSize);
    expect(onB?.treeSize).toBe(receipt.batch.treeSize);

    const verified = (await api(service, 'POST', '/v1/receipts/verify', { receipt, hash })).json;
    expect(verified.valid).toBe(true);
    expect(verified.anchors.map((a: { valid: boolean }) => a.valid)).toEqual([true, true]);

    // Tamper with the anchor on chain B: the receipt still holds on chain A, and says B does not.
    const tampered = structuredClone(receipt);
    const onChainB = tampered.anchors.find((a: { chain: string }) => a.chain === 'eip155:31338');
    onChainB.blockNumber += 1;
    if (tampered.anchor.chain === 'eip155:31338') tampered.anchor = onChainB;
    const checked = (await api(service, 'POST', '/v1/receipts/verify', { receipt: tampered, hash })).json;
    expect(checked.valid).toBe(true);
    expect(checked.chain).toBe('eip155:31337');
    expect(checked.anchors.find((a: { chain: string }) => a.chain === 'eip155:31338')).toMatchObject({ valid: false, reason: 'anchor-mismatch' });

    // The CLI, against the two chains alone (the service is not asked), says the same.
    fs.writeFileSync(`${file}.receipt.json`, JSON.stringify(tampered));
    const cli = await run(process.execPath, [CLI, 'verify', file, '--rpc', chainA.rpcUrl, '--rpc', chainB.rpcUrl], { cwd: PROJECT_ROOT, timeout: 60_000 });
    expect(cli.stdout).toMatch(/^VALID: /m);
    expect(cli.stdout).toMatch(/holds on eip155:31337, block \d+/);
    expect(cli.stdout).toMatch(/DOES NOT HOLD \(anchor-mismatch\) on eip155:31338: the chain disagrees with the receipt: block number/);
  });

  it('the verification page in Chromium checks the receipt on both chains and shows each, with its log position', async () => {
    const work = makeTempDir('did-notary-two-chains-page-');
    const file = path.join(work, 'invoice.pdf');
    fs.writeFileSync(file, randomBytes(2048));
    const hash = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect((await api(service, 'POST', '/v1/documents', { hash })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const receipt = await anchoredOnBoth(hash, 20_000);
    const receiptFile = `${file}.receipt.json`;
    fs.writeFileSync(receiptFile, JSON.stringify(receipt));
    const browser = await chromium.launch({ executablePath: await chromiumExecutable(), args: CHROMIUM_ARGS, headless: true });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${service.url}/`);
      await page.waitForSelector('html[data-ready="true"]');
      await page.getByLabel('I have the receipt file').check();
      await page.setInputFiles('#document-file', file);
      await page.setInputFiles('#receipt-file', receiptFile);
      const verdict = page.locator('#document-result .verdict').first();
      await verdict.waitFor({ timeout: 20_000 });
      expect(await verdict.getAttribute('data-state'), await verdict.innerText()).toBe('valid');
      // One line per chain, each checked by the browser against that chain's own node.
      const chains = page.locator('#document-result ul.anchors li');
      expect(await chains.count()).toBe(2);
      for (const [chain, anchor] of receipt.anchors.map((a: { chain: string; blockNumber: number }) => [a.chain, a] as const)) {
        const line = page.locator(`#document-result ul.anchors li[data-chain="${chain}"]`);
        expect(await line.getAttribute('data-valid')).toBe('true');
        expect(await line.innerText()).toContain(`holds, block ${anchor.blockNumber}`);
      }
      expect(await verdict.innerText()).toMatch(new RegExp(`Transparency log\\s*entry ${receipt.log.index} of `));
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('anchors on the chain that answers while the other refuses, says which in /health and /metrics, and catches up', async () => {
    await proxyB.setMode('refuse');
    const hash = randomBytes(32).toString('hex');
    expect((await api(service, 'POST', '/v1/documents', { hash })).status).toBe(202);
    const started = Date.now();
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    expect(Date.now() - started, 'not held up by the refusing chain').toBeLessThan(10_000);
    const receipt = await receiptOf(hash);
    expect(receipt.status).toBe('anchored');
    expect(receipt.anchor.chain).toBe('eip155:31337');
    expect(receipt.anchors).toBeUndefined();
    const health = (await api(service, 'GET', '/health')).json;
    expect(health.status).toBe('degraded');
    expect(health.checks['anchoring:eip155:31338']).toMatchObject({ ok: false });
    expect(health.checks['anchoring:eip155:31337']).toEqual({ ok: true });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/did_notary_chain_anchoring_healthy\{chain="eip155:31338"\} 0/);
    expect(metrics).toMatch(/did_notary_chain_anchoring_healthy\{chain="eip155:31337"\} 1/);

    await proxyB.setMode('forward');
    const caughtUp = await anchoredOnBoth(hash, 20_000);
    expect(caughtUp.anchors.map((a: { chain: string }) => a.chain)).toEqual(['eip155:31337', 'eip155:31338']);
    expect((await api(service, 'GET', '/health')).json.status).toBe('ok');
  });

  it('after a kill -9 between the two anchorings, anchors each batch exactly once on each chain', async () => {
    // Chain B stalls (accepts, never answers): chain A anchors, B's round hangs, and the service dies.
    await proxyB.setMode('stall');
    const hash = randomBytes(32).toString('hex');
    expect((await api(service, 'POST', '/v1/documents', { hash })).status).toBe(202);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    expect((await receiptOf(hash)).anchor.chain).toBe('eip155:31337');
    await service.kill();
    await proxyB.setMode('forward');
    service = await start();
    await anchoredOnBoth(hash, 30_000);

    const iface = new Interface(DOCUMENT_ANCHOR_ABI);
    const topic = iface.getEvent('RootAnchored')!.topicHash;
    const batches: Array<{ root: string }> = (await api(service, 'GET', '/v1/batches?limit=1000')).json.batches;
    for (const [provider, contract] of [[providerA, contractA], [providerB, contractB]] as const) {
      const roots = (await provider.getLogs({ address: contract, topics: [topic], fromBlock: 0 })).map((log) => log.topics[1]!.slice(2));
      // Each root once on this chain, every batch there, and not one anchoring transaction more.
      expect(new Set(roots).size).toBe(roots.length);
      expect(roots.sort()).toEqual(batches.map((b) => b.root).sort());
      expect(await provider.getTransactionCount(computeAddress(DEV_KEY_1), 'latest')).toBe(roots.length + 1); // + the deployment
    }
  });
});
