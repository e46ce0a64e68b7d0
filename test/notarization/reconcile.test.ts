// A chain can drop an anchoring after it was confirmed (a deep reorganisation, an embedded chain that
// lost its state). The anchoring replica re-checks recent anchorings at start and then every
// `reconcileIntervalMs`, and anchors a lost batch again, once. Real Anvil (evm_snapshot/evm_revert
// stands in for the reorganisation), real contract, real store.
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnchorClient } from '../../src/platform/chain/anchor-client';
import { readAnchoring } from '../../src/platform/chain/anchor-contract';
import { parseDocumentId } from '../../src/core/ids/document-id';
import { NotaryEvents } from '../../src/notarization/events';
import { Notary, type NotaryOptions } from '../../src/notarization/notary';
import { createLogger } from '../../src/platform/observability/logger';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import { startTestChain, type TestChain } from '../helpers/test-chain';
import { capturedLogs } from '../helpers/captured-logs';
import { makeTempDir } from '../helpers/service-process';
import { openTestStores, type TestStores } from '../helpers/stores';

const DEV_KEY_2 = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

/**
 * Runs anchoring rounds until `done`: a chain other than the first confirms at its own pace, which on
 * a loaded machine takes more rounds than on an idle one, so the wait is bounded by time, not rounds.
 */
async function roundsUntil(notary: Notary, done: () => Promise<boolean>, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done after ${withinMs} ms of anchoring rounds`);
    await notary.anchorNow();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A notary that seals only when asked and re-checks anchorings every `reconcileIntervalMs`. */
const options = (reconcileIntervalMs: number): NotaryOptions => ({
  batchIntervalMs: 3_600_000,
  batchMaxSize: 1000,
  confirmations: 1,
  maxDocumentsPerRequest: 1000,
  issuerDid: 'did:ethr:0x7a69:0x0000000000000000000000000000000000000001',
  pollIntervalMs: 50,
  reconcileIntervalMs,
});

describe('re-checking anchorings while running', () => {
  let chain: TestChain;
  let provider: JsonRpcProvider;
  let stores: TestStores;
  let store: SqlNotaryStore;
  let client: AnchorClient;
  let contract: string;

  beforeAll(async () => {
    chain = await startTestChain(DEV_KEY_2);
    ({ provider, client, contract } = chain);
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-reconcile-store-') });
    store = stores.notary;
  }, 60_000);
  afterAll(async () => {
    await stores?.close();
    await chain?.close();
  });

  const newDocument = () => parseDocumentId(randomBytes(32).toString('hex'));

  it('anchors again, once, a batch whose anchoring the chain dropped after it was confirmed', async () => {
    const warnings: string[] = [];
    const logger = createLogger('silent');
    logger.warn = ((fields: { reason?: string }, message?: string) => {
      warnings.push(`${message}: ${fields.reason}`);
    }) as typeof logger.warn;
    const notary = new Notary(store, client, options(0), logger);
    try {
      const document = newDocument();
      await notary.submit('t', [document]);
      const beforeAnchoring = (await provider.send('evm_snapshot', [])) as string;
      const first = (await notary.anchorNow())!;
      expect(first.status).toBe('anchored');
      expect(await readAnchoring(provider, contract, first.root)).not.toBeNull();
      expect((await notary.getReceipt(document.multihashHex)).status).toBe('anchored');

      // The reorganisation: the block with the anchoring is gone, and with it the transaction.
      expect(await provider.send('evm_revert', [beforeAnchoring])).toBe(true);
      expect(await readAnchoring(provider, contract, first.root)).toBeNull();

      // The next round notices without a restart, and anchors the same batch in a new transaction
      // (the round seals nothing new, so it answers null).
      expect(await notary.anchorNow()).toBeNull();
      const again = (await store.getBatch(first.id))!;
      expect(again.status).toBe('anchored');
      expect(warnings).toEqual(['re-anchoring a batch on this chain: the chain no longer holds this anchoring']);
      const anchoring = await readAnchoring(provider, contract, first.root);
      expect(anchoring).not.toBeNull();
      expect(anchoring!.blockNumber).toBe(again.anchor!.blockNumber);
      const receipt = await notary.getReceipt(document.multihashHex);
      expect(receipt.status).toBe('anchored');
      expect((await notary.verifyReceipt(receipt, document.digestHex)).valid).toBe(true);

      // Nothing else was lost: a further round anchors nothing again.
      await notary.anchorNow();
      expect(warnings).toHaveLength(1);
      expect((await store.getBatch(first.id))!.anchor!.blockNumber).toBe(again.anchor!.blockNumber);
    } finally {
      await notary.stop();
    }
  }, 60_000);

  it('keeps sealing and anchoring when a periodic re-check cannot reach the chain', async () => {
    const anchoredRoots = new Set((await store.listRecentAnchorings(client.chain, 10)).map((entry) => Buffer.from(entry.root).toString('hex')));
    expect(anchoredRoots.size).toBeGreaterThanOrEqual(1);
    // The re-check reads the anchored roots; the new batch's own anchoring reads only its root.
    const flaky = new Proxy(client, {
      get: (target, property, receiver) => {
        if (property === 'readAnchoring') {
          return async (rootHex: string) => {
            if (anchoredRoots.has(rootHex)) throw new Error('RPC timeout');
            return target.readAnchoring(rootHex);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { logger, lines } = capturedLogs('warn');
    const notary = new Notary(store, flaky, options(0), logger);
    try {
      const document = newDocument();
      await notary.submit('t', [document]);
      const batch = (await notary.anchorNow())!;
      expect(batch.status).toBe('anchored');
      expect((await notary.getReceipt(document.multihashHex)).status).toBe('anchored');
      expect(lines().map((line) => line.msg)).toEqual(['could not re-check recent anchorings on this chain; trying again next round']);
    } finally {
      await notary.stop();
    }
  }, 60_000);

  it('re-checks no more often than the interval once the first round has', async () => {
    let reads = 0;
    const counting = new Proxy(client, {
      get: (target, property, receiver) => {
        if (property === 'readAnchoring') {
          return (rootHex: string) => {
            reads += 1;
            return target.readAnchoring(rootHex);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const notary = new Notary(store, counting, options(3_600_000), createLogger('silent'));
    try {
      await notary.anchorNow();
      const firstRound = reads;
      // One anchored batch from the test above: the first round read its anchoring.
      expect(firstRound).toBeGreaterThanOrEqual(1);
      await notary.anchorNow();
      await notary.anchorNow();
      expect(reads).toBe(firstRound);
    } finally {
      await notary.stop();
    }
  }, 60_000);
});

describe('re-checking anchorings per chain', () => {
  let chainA: TestChain;
  let chainB: TestChain;
  let stores: TestStores;

  beforeAll(async () => {
    [chainA, chainB] = await Promise.all([startTestChain(DEV_KEY_2), startTestChain(DEV_KEY_2, 31338)]);
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-reconcile-two-chains-') });
  }, 60_000);
  afterAll(async () => {
    await stores?.close();
    await chainA?.close();
    await chainB?.close();
  });

  it('anchors again on the chain that dropped its anchoring, and only there', async () => {
    const warnings: Array<{ chain?: string; message?: string }> = [];
    const logger = createLogger('silent');
    logger.warn = ((fields: { chain?: string }, message?: string) => {
      warnings.push({ chain: fields.chain, message });
    }) as typeof logger.warn;
    const events = new NotaryEvents();
    const notary = new Notary(stores.notary, [{ chain: chainA.client }, { chain: chainB.client }], options(0), logger, events);
    const anchorsOf = async (batchId: string) => new Map((await stores.notary.getBatch(batchId))!.anchors.map((a) => [a.chain, a] as const));
    // Chain B's anchoring after it was reopened there. Its row still says 'anchored' until B's own
    // round notices the loss, so the row alone cannot tell the new anchoring from the lost one.
    let reopenedOnB = false;
    let anchoredAgainOnB = false;
    events.subscribe((event) => {
      if (event.type === 'anchoring-reopened' && event.chain === 'eip155:31338') reopenedOnB = true;
      if (event.type === 'batch-anchored' && event.chain === 'eip155:31338' && reopenedOnB) anchoredAgainOnB = true;
    });
    try {
      const document = parseDocumentId(randomBytes(32).toString('hex'));
      await notary.submit('t', [document]);
      const beforeAnchoringOnB = (await chainB.provider.send('evm_snapshot', [])) as string;
      const batch = (await notary.anchorNow())!;
      // anchorNow answers once the first chain holds the root; the second follows in its own rounds.
      await roundsUntil(notary, async () => (await anchorsOf(batch.id)).size === 2);
      const first = await anchorsOf(batch.id);
      expect([...first.keys()].sort()).toEqual(['eip155:31337', 'eip155:31338']);

      // Chain B loses its anchoring; chain A keeps it.
      expect(await chainB.provider.send('evm_revert', [beforeAnchoringOnB])).toBe(true);
      expect(await readAnchoring(chainB.provider, chainB.contract, batch.root)).toBeNull();
      const blockOnA = await chainA.provider.getBlockNumber();

      // The next rounds notice on B alone and anchor there again, at B's pace (anchorNow answers
      // once A's round, which finds nothing to do, is done).
      await notary.anchorNow();
      await roundsUntil(notary, async () => anchoredAgainOnB);
      await notary.anchorNow();
      const again = await anchorsOf(batch.id);
      expect(warnings.filter((w) => w.message?.startsWith('re-anchoring'))).toEqual([{ chain: 'eip155:31338', message: 're-anchoring a batch on this chain' }]);
      // B holds the root again, in the transaction now recorded for it.
      const onB = await readAnchoring(chainB.provider, chainB.contract, batch.root);
      expect(onB?.blockNumber).toBe(again.get('eip155:31338')!.blockNumber);
      // A was only read: its anchoring and its chain are as they were, no transaction sent.
      expect(again.get('eip155:31337')).toEqual(first.get('eip155:31337'));
      expect(await chainA.provider.getBlockNumber()).toBe(blockOnA);
      const receipt = await notary.getReceipt(document.multihashHex);
      expect((await notary.verifyReceipt(receipt, document.digestHex)).valid).toBe(true);
    } finally {
      await notary.stop();
    }
  }, 60_000);
});
