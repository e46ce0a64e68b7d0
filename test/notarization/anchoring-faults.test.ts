// Anchoring under injected faults, on a real Anvil and a real store: stuck and dropped transactions,
// a crash between recording and broadcasting, a root someone else anchored first, and a key rotation
// while a transaction of the old account is in flight.
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider, Transaction, Wallet } from 'ethers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnchorClient } from '../../src/platform/chain/anchor-client';
import { anchorRoot } from '../../src/platform/chain/anchor-contract';
import { ANVIL_DEV_FUNDER_KEY } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { merkleRoot } from '../../src/core/merkle/tree';
import { anchorBatch } from '../../src/notarization/anchor-batch';
import { createLogger } from '../../src/platform/observability/logger';
import type { ChainAnchoringJob } from '../../src/notarization/batch';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import { startTestChain, type TestChain } from '../helpers/test-chain';
import { makeTempDir } from '../helpers/service-process';
import { insertSubmissions, openTestStores, sealNextBatch, type TestStores } from '../helpers/stores';

const DEV_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** Anvil's third dev account: the anchoring key after a rotation. */
const DEV_KEY_2 = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const logger = createLogger('silent');

describe('anchoring faults', () => {
  let chain: TestChain;
  let provider: JsonRpcProvider;
  let stores: TestStores;
  let store: SqlNotaryStore;
  let client: AnchorClient;
  let signer: Wallet;
  let contract: string;

  beforeAll(async () => {
    chain = await startTestChain(DEV_KEY_1);
    ({ provider, client, signer, contract } = chain);
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-faults-store-') });
    store = stores.notary;
  });
  afterAll(async () => {
    await stores?.close();
    await chain?.close();
  });
  beforeEach(async () => {
    await provider.send('evm_setAutomine', [true]);
  });

  /** A sealed batch, queued for this chain (as its anchorer queues it). */
  async function sealOne(): Promise<ChainAnchoringJob> {
    await insertSubmissions(store, 't', [{ multihash: Uint8Array.from([0x12, 0x20, ...randomBytes(32)]) }]);
    const sealed = await sealNextBatch(store, 10, (leaves) => merkleRoot(leaves.multihashes));
    return job(sealed!.batch.id);
  }
  const job = async (batchId: string): Promise<ChainAnchoringJob> => {
    await store.enqueueChainAnchorings(client.chain, client.contract, 0);
    return (await store.listPendingAnchorings(client.chain)).find((pending) => pending.batch.id === batchId)!;
  };
  /** The transaction recorded for the batch on this chain, anchored or not. */
  const intended = async (batchId: string): Promise<{ hash: string; nonce: number } | null> => {
    const rows = await stores.db.query<{ tx_hash: string | null; tx_nonce: string }>('SELECT tx_hash, tx_nonce FROM batch_anchorings WHERE batch_id = $1 AND chain = $2', [batchId, client.chain]);
    return rows[0]?.tx_hash ? { hash: rows[0].tx_hash, nonce: Number(rows[0].tx_nonce) } : null;
  };
  const options = { confirmations: 1, transactionTimeoutMs: 20_000, replaceAfterMs: 300, pollIntervalMs: 50 };
  const waitFor = async (condition: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 50));
  };
  // A transaction is recorded before it is broadcast, so seeing its hash in the store does not mean
  // the node has it yet: one evm_mine then could mine an empty block and leave it pending for good.
  // Mine until the anchoring settles instead.
  const mineUntilSettled = async <T>(anchoring: Promise<T>): Promise<T> => {
    let settled = false;
    const done = anchoring.finally(() => {
      settled = true;
    });
    while (!settled) {
      await provider.send('evm_mine', []);
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
    }
    return anchoring;
  };

  it('replaces a stuck transaction with a fee-bumped one at the same nonce, and anchors once', async () => {
    const pending = await sealOne();
    const { batch } = pending;
    const nonceBefore = await provider.getTransactionCount(signer.address, 'latest');
    await provider.send('evm_setAutomine', [false]);
    const anchoring = anchorBatch(store, client, pending, options, logger);
    let first: string | undefined;
    await waitFor(async () => {
      const current = (await intended(batch.id))?.hash;
      first ??= current;
      return current !== undefined && current !== first;
    });
    const replaced = (await intended(batch.id))!;
    expect(first).toBeDefined();
    expect(replaced.hash).not.toBe(first);
    expect(replaced.nonce).toBe(nonceBefore);
    const anchored = await mineUntilSettled(anchoring);
    expect(anchored.status).toBe('anchored');
    expect(await client.readAnchoring(Buffer.from(batch.root).toString('hex'))).not.toBeNull();
    expect(await provider.getTransactionCount(signer.address, 'latest')).toBe(nonceBefore + 1);
  });

  it('re-sends a transaction the node dropped', async () => {
    const pending = await sealOne();
    const { batch } = pending;
    await provider.send('evm_setAutomine', [false]);
    const anchoring = anchorBatch(store, client, pending, options, logger);
    await waitFor(async () => (await intended(batch.id)) !== null);
    const sent = (await intended(batch.id))!;
    await provider.send('anvil_dropTransaction', [sent.hash]);
    await waitFor(async () => (await intended(batch.id))!.hash !== sent.hash);
    const anchored = await mineUntilSettled(anchoring);
    expect(anchored.anchor?.transactionHash).toBe((await intended(batch.id))!.hash);
  });

  it('re-sending a transaction the node holds unmined is not an error (Anvil: "transaction already imported")', async () => {
    const { batch } = await sealOne();
    await provider.send('evm_setAutomine', [false]);
    const prepared = await client.prepareAnchorTransaction(Buffer.from(batch.root).toString('hex'), batch.treeSize);
    await client.broadcast(prepared.raw);
    await client.broadcast(prepared.raw);
    await provider.send('evm_mine', []);
    expect((await provider.getTransactionReceipt(prepared.hash))?.status).toBe(1);
    // ...and once it is mined, sending it again is no error either.
    await client.broadcast(prepared.raw);
  });

  it('after a crash between recording and broadcasting, sends the recorded transaction itself', async () => {
    const { batch } = await sealOne();
    const prepared = await client.prepareAnchorTransaction(Buffer.from(batch.root).toString('hex'), batch.treeSize);
    await store.recordIntendedTransaction(batch.id, client.chain, prepared); // ...and the process died here.
    const anchored = await anchorBatch(store, client, await job(batch.id), options, logger);
    expect(anchored.anchor?.transactionHash).toBe(prepared.hash);
  });

  it('after a rotation of the anchoring key, replaces a stuck transaction of the old account with the old key and its nonce, and sends new ones from the new account', async () => {
    const newKey = new Wallet(DEV_KEY_2, provider);
    // The new account has a history of its own, its nonce far past the old transaction's: judged by the
    // new account, the old transaction would look replaced, and a second one would be sent.
    await provider.send('anvil_setNonce', [newKey.address, '0x3e8']);
    let current = signer;
    const rotating = new AnchorClient(
      provider,
      { current: () => current, byAddress: (address) => [signer, newKey].find((wallet) => wallet.address.toLowerCase() === address.toLowerCase()) },
      chain.anvil.chainId,
      contract,
    );
    const { batch } = await sealOne();
    await provider.send('evm_setAutomine', [false]);
    const prepared = await rotating.prepareAnchorTransaction(Buffer.from(batch.root).toString('hex'), batch.treeSize);
    await store.recordIntendedTransaction(batch.id, rotating.chain, prepared);
    await rotating.broadcast(prepared.raw);
    current = newKey; // the key rotation
    expect(rotating.signerAddress).toBe(newKey.address.toLowerCase());
    const anchoring = anchorBatch(store, rotating, await job(batch.id), options, logger);
    await waitFor(async () => (await intended(batch.id))?.hash !== prepared.hash);
    const replacement = (await job(batch.id)).intendedTransaction!;
    expect(Transaction.from(replacement.raw).from).toBe(signer.address);
    expect(replacement.nonce).toBe(prepared.nonce);
    const anchored = await mineUntilSettled(anchoring);
    expect(anchored.anchor?.transactionHash).toBe(replacement.hash);
    const next = await rotating.prepareAnchorTransaction('cd'.repeat(32), 1);
    expect(Transaction.from(next.raw).from).toBe(newKey.address);
    expect(next.nonce).toBe(1000);
  });

  it('says so, with its code, when the anchoring account cannot pay (a rotation that kept the ether in the old account)', async () => {
    const empty = new AnchorClient(provider, new Wallet(Wallet.createRandom().privateKey, provider), chain.anvil.chainId, contract);
    const attempt = async () => {
      const prepared = await empty.prepareAnchorTransaction('ef'.repeat(32), 1);
      await empty.broadcast(prepared.raw);
    };
    await expect(attempt()).rejects.toMatchObject({ code: 'ANCHORING_ACCOUNT_UNFUNDED' });
  });

  it('records an anchoring made by someone else instead of sending another', async () => {
    const pending = await sealOne();
    const { batch } = pending;
    const rootHex = Buffer.from(batch.root).toString('hex');
    const other = new Wallet(ANVIL_DEV_FUNDER_KEY, provider);
    const tx = await anchorRoot(other, contract, rootHex, batch.treeSize);
    await tx.wait();
    const nonceBefore = await provider.getTransactionCount(signer.address, 'latest');
    const anchored = await anchorBatch(store, client, pending, options, logger);
    expect(anchored.anchor?.transactionHash).toBe(tx.hash.toLowerCase());
    expect(await provider.getTransactionCount(signer.address, 'latest')).toBe(nonceBefore);
  });
});
