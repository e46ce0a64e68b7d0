// Durability: kill -9 the service at random moments while documents stream in; every acknowledged
// document must end up anchored exactly once, with a receipt that verifies against the chain.
import { randomBytes } from 'node:crypto';
import { Interface, JsonRpcProvider } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { DOCUMENT_ANCHOR_ABI } from '../../src/platform/chain/anchor-contract';
import { api, makeTempDir, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const ROUNDS = 4;

describe('kill -9 during submission and anchoring', () => {
  const dataDir = makeTempDir('did-notary-crash-');
  let service: ServiceProcess | undefined;
  afterAll(async () => {
    await service?.kill();
  });

  it('loses no acknowledged document and anchors each exactly once', async () => {
    const acknowledged = new Set<string>();
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

    for (let round = 0; round < ROUNDS; round++) {
      service = await startServiceProcess({ dataDir, env: { BATCH_INTERVAL: '200ms' } });
      const current = service;
      let stop = false;
      const submitter = (async () => {
        while (!stop) {
          const count = 1 + Math.floor(random() * 40);
          const hashes = Array.from({ length: count }, () => randomBytes(32).toString('hex'));
          try {
            const response = await api(current, 'POST', '/v1/documents', { hashes });
            if (response.status === 202) for (const h of hashes) acknowledged.add(h);
          } catch {
            /* the connection died with the process: not acknowledged */
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 300 + random() * 1500));
      await current.kill();
      stop = true;
      await submitter;
    }

    service = await startServiceProcess({ dataDir, env: { BATCH_INTERVAL: '200ms' } });
    const final = await api(service, 'POST', '/v1/batches/anchor');
    expect(final.status).toBe(200);
    expect(acknowledged.size).toBeGreaterThan(50);

    const roots = new Map<string, string>();
    for (const hash of acknowledged) {
      const receipt = await api(service, 'GET', `/v1/receipts/${hash}`);
      expect(receipt.status, hash).toBe(200);
      expect(receipt.json.status, hash).toBe('anchored');
      roots.set(receipt.json.batch.id, receipt.json.batch.root);
      const verified = await api(service, 'POST', '/v1/receipts/verify', { receipt: receipt.json, hash });
      expect(verified.json.valid, JSON.stringify(verified.json)).toBe(true);
    }

    // The contract holds each root once, with one RootAnchored event per batch and none extra.
    const info = (await api(service, 'GET', '/v1/info')).json;
    const provider = new JsonRpcProvider(info.rpcUrl, 31337, { staticNetwork: true, batchMaxCount: 1 });
    try {
      const iface = new Interface(DOCUMENT_ANCHOR_ABI);
      const logs = await provider.getLogs({ address: info.contracts.anchor, topics: [iface.getEvent('RootAnchored')!.topicHash], fromBlock: 0 });
      const eventRoots = logs.map((log) => log.topics[1]!.slice(2));
      expect(new Set(eventRoots).size).toBe(eventRoots.length);
      const batches: Array<{ id: string; root: string; status: string }> = [];
      for (let after = '0'; ; ) {
        const page = await api(service, 'GET', `/v1/batches?after=${after}&limit=50`);
        batches.push(...page.json.batches);
        if (page.json.next === null) break;
        after = page.json.next;
      }
      for (const batch of batches) {
        expect(batch.status, `batch ${batch.id}`).toBe('anchored');
        expect(eventRoots).toContain(batch.root);
      }
      expect(batches.length).toBe(eventRoots.length);
      for (const [id, root] of roots) expect(eventRoots, `batch ${id}`).toContain(root);
      // No wasted anchoring transaction either: one per batch.
      expect(await provider.getTransactionCount(info.signer, 'latest')).toBe(eventRoots.length);
    } finally {
      provider.destroy();
    }
  }, 240_000);
});
