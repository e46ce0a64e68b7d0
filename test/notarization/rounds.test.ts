// The seal-and-anchor loop runs one round at a time, whoever asks for it: the timer, a full batch,
// or POST /v1/batches/anchor (anchorNow). Two rounds at once would anchor the same batch twice over
// (the second re-sending the first one's transaction). Real store; the chain is never reached here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notary } from '../../src/notarization/notary';
import type { AnchoringChain } from '../../src/notarization/ports';
import { createLogger } from '../../src/platform/observability/logger';
import { makeTempDir } from '../helpers/service-process';
import { openTestStores, withOverrides, type TestStores } from '../helpers/stores';

/** Nothing is ever sealed in these tests, so nothing is anchored: any chain call is a failure (its names may be read). */
const unreachableChain = new Proxy({ chain: 'eip155:31337', contract: `0x${'11'.repeat(20)}` } as AnchoringChain, {
  get: (target, property) => {
    if (property === 'then') return undefined;
    if (property === 'chain' || property === 'contract') return target[property];
    throw new Error(`the chain was called (${String(property)})`);
  },
});

describe('seal-and-anchor rounds', () => {
  let stores: TestStores;
  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-rounds-') });
  });
  afterAll(async () => {
    await stores?.close();
  });

  it('never overlap, between the timer and concurrent anchorNow calls', async () => {
    let active = 0;
    let maxActive = 0;
    let rounds = 0;
    // Every round starts by asking for a sealable range: this one takes its time.
    const store = withOverrides(stores.notary, {
      async readSealableRange(maxSize) {
        active += 1;
        rounds += 1;
        maxActive = Math.max(maxActive, active);
        try {
          // Long enough for the 5 ms timer and the other callers to come while this round runs.
          await new Promise((resolve) => setTimeout(resolve, 30));
          return await stores.notary.readSealableRange(maxSize);
        } finally {
          active -= 1;
        }
      },
    });
    const notary = new Notary(
      store,
      unreachableChain,
      { batchIntervalMs: 5, batchMaxSize: 1000, confirmations: 1, maxDocumentsPerRequest: 1000, issuerDid: 'did:ethr:0x7a69:0x0000000000000000000000000000000000000001' },
      createLogger('silent'),
    );
    try {
      notary.start();
      for (let i = 0; i < 5; i++) {
        await Promise.all([notary.anchorNow(), notary.anchorNow(), new Promise((resolve) => setTimeout(resolve, 7)), notary.anchorNow()]);
      }
    } finally {
      await notary.stop();
    }
    expect(rounds).toBeGreaterThanOrEqual(15);
    expect(maxActive).toBe(1);
  });
});
