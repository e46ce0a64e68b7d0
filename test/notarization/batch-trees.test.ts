// The batch tree cache on a real store: concurrent misses share one rebuild, and a rebuilt tree
// must hash to the sealed root.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merkleRoot } from '../../src/core/merkle/tree';
import { BatchTreeCache } from '../../src/notarization/batch-trees';
import type { BatchRecord } from '../../src/notarization/batch';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import { makeTempDir } from '../helpers/service-process';
import { insertSubmissions, openTestStores, sealNextBatch, type TestStores, withOverrides } from '../helpers/stores';

describe('BatchTreeCache', () => {
  let stores: TestStores;
  let store: SqlNotaryStore;
  let batch: BatchRecord;
  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-trees-') });
    store = stores.notary;
    await insertSubmissions(store, 't', Array.from({ length: 50 }, () => ({ multihash: Uint8Array.from([0x12, 0x20, ...randomBytes(32)]) })));
    batch = (await sealNextBatch(store, 100, (leaves) => merkleRoot(leaves.multihashes)))!.batch;
  });
  afterAll(async () => {
    await stores?.close();
  });

  it('rebuilds a batch once for many concurrent misses', async () => {
    let loads = 0;
    const counting = withOverrides(store, {
      loadBatchLeaves(range) {
        loads += 1;
        return store.loadBatchLeaves(range);
      },
    });
    const cache = new BatchTreeCache(counting);
    const trees = await Promise.all(Array.from({ length: 10 }, () => cache.get(batch)));
    expect(loads).toBe(1);
    expect(new Set(trees).size).toBe(1);
    expect(Buffer.from(trees[0]!.tree.root).equals(Buffer.from(batch.root))).toBe(true);
    await cache.get(batch);
    expect(loads).toBe(1);
  });

  it('refuses leaves that no longer hash to the sealed root', async () => {
    const cache = new BatchTreeCache(store);
    await expect(cache.get({ ...batch, id: 'tampered', root: new Uint8Array(32) })).rejects.toThrow(/no longer hash to the sealed root/);
  });

  it('drops an index whose batch is forgotten while it is built, and waits before retrying a failed build', async () => {
    const cache = new BatchTreeCache(store);
    const anchored = { ...batch, status: 'anchored' as const };
    await cache.get(anchored);
    cache.confirmAnchored(anchored, Date.now(), () => undefined);
    cache.forget(anchored.id); // as when the chain lost the anchoring and the batch is reopened
    expect(await cache.receiptIndexSettled(anchored.id)).toBe(false);
    await cache.get(anchored);
    cache.confirmAnchored(anchored, Date.now(), () => undefined);
    expect(await cache.receiptIndexSettled(anchored.id)).toBe(true);

    let reads = 0;
    const failing = withOverrides(store, {
      async readSubmissionTimes() {
        reads += 1;
        throw new Error('store unavailable');
      },
    });
    const flaky = new BatchTreeCache(failing);
    const errors: unknown[] = [];
    await flaky.get(anchored);
    const now = Date.now();
    flaky.confirmAnchored(anchored, now, (error) => errors.push(error));
    expect(await flaky.receiptIndexSettled(anchored.id)).toBe(false);
    flaky.confirmAnchored(anchored, now + 1_000, (error) => errors.push(error));
    await flaky.receiptIndexSettled(anchored.id);
    expect([reads, errors.length]).toEqual([1, 1]);
    flaky.confirmAnchored(anchored, now + 61_000, (error) => errors.push(error));
    await flaky.receiptIndexSettled(anchored.id);
    expect([reads, errors.length]).toEqual([2, 2]);
  });
});
