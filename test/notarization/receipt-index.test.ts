// Receipts of anchored batches answered from memory (the receipt index over cached trees) are the
// store's answers exactly: same proof, same submission time, and, for a document several tenants
// submitted, the earliest submission's receipt. Real Anvil, real store, real notary.
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnchorClient } from '../../src/platform/chain/anchor-client';
import { loadDocumentAnchorArtifact } from '../../src/platform/chain/artifacts';
import { deployContract } from '../../src/platform/chain/deployment';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { connectEmbeddedChain } from '../../src/platform/chain/embedded-anvil/embedded-provider';
import { documentIdFromDigest, type DocumentId } from '../../src/core/ids/document-id';
import { Notary, type NotaryOptions } from '../../src/notarization/notary';
import { createLogger } from '../../src/platform/observability/logger';
import type { NotaryStore } from '../../src/notarization/ports';
import { createTestDatabase, TEST_DATABASE_URL } from '../helpers/postgres';
import { makeTempDir } from '../helpers/service-process';
import { openTestStores, withOverrides, type TestStores } from '../helpers/stores';

const DEV_KEY_2 = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

describe.each([
  { name: 'embedded PGlite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
])('receipts from memory, store on $name', ({ postgres }) => {
  const skip = postgres && !TEST_DATABASE_URL;
  let dropDatabase: (() => Promise<void>) | undefined;
  let anvil: EmbeddedAnvil;
  let provider: JsonRpcProvider;
  let stores: TestStores;
  let store: NotaryStore;
  let client: AnchorClient;
  let storeLookups = 0;
  const options: NotaryOptions = {
    batchIntervalMs: 60_000,
    batchMaxSize: 1_000,
    confirmations: 1,
    maxDocumentsPerRequest: 1_000,
    issuerDid: 'did:ethr:0x7a69:0x0000000000000000000000000000000000000001',
    pollIntervalMs: 50,
  };
  const newDocument = (): DocumentId => documentIdFromDigest(randomBytes(32));

  beforeAll(async () => {
    if (skip) return;
    anvil = await startEmbeddedAnvil({ dataDir: makeTempDir('did-notary-receipt-index-chain-') });
    provider = connectEmbeddedChain(anvil);
    const contract = (await deployContract(new Wallet(ANVIL_DEV_FUNDER_KEY, provider), loadDocumentAnchorArtifact())).address.toLowerCase();
    client = new AnchorClient(provider, new Wallet(DEV_KEY_2, provider), anvil.chainId, contract);
    if (postgres) {
      const database = await createTestDatabase();
      dropDatabase = database.drop;
      stores = await openTestStores({ dataDir: '/nonexistent', databaseUrl: database.url });
    } else {
      stores = await openTestStores({ dataDir: makeTempDir('did-notary-receipt-index-store-') });
    }
    // Counts the lookups that reach the store; the store itself is the real one.
    store = withOverrides(stores.notary, {
      findSubmission(...args) {
        storeLookups++;
        return stores.notary.findSubmission(...args);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await stores?.close();
    await dropDatabase?.();
    provider?.destroy();
    await anvil?.stop();
  });

  async function receiptsFromStoreThenMemory(notary: Notary, documents: DocumentId[]) {
    storeLookups = 0;
    // All asked at once, before any index exists: every one is the store's answer.
    const fromStore = await Promise.all(documents.map((document) => notary.getReceipt(document.cid)));
    expect(storeLookups).toBe(documents.length);
    for (const id of new Set(fromStore.map((receipt) => receipt.batch!.id))) expect(await notary.receiptIndexSettled(id)).toBe(true);
    storeLookups = 0;
    const fromMemory = [];
    const jsonFromMemory: string[] = [];
    for (const document of documents) {
      fromMemory.push(await notary.getReceipt(document.multihashHex));
      // What GET /v1/receipts answers, written as bytes from memory (no receipt object).
      jsonFromMemory.push((await notary.getReceiptJson(document.cid)).toString('utf8'));
    }
    expect(storeLookups).toBe(0);
    expect(jsonFromMemory).toEqual(fromStore.map((receipt) => JSON.stringify(receipt)));
    return { fromStore, fromMemory };
  }

  it.skipIf(skip)('answers anchored receipts without the store once a batch is indexed, exactly as the store does', async () => {
    const notary = new Notary(store, client, options, createLogger('silent'));
    const documents = Array.from({ length: 40 }, newDocument);
    await notary.submit('alpha', documents.slice(0, 25));
    await new Promise((resolve) => setTimeout(resolve, 20)); // a second acknowledgement time in the batch
    await notary.submit('alpha', documents.slice(25));
    expect((await notary.anchorNow())?.status).toBe('anchored');

    const { fromStore, fromMemory } = await receiptsFromStoreThenMemory(notary, documents);
    expect(fromMemory).toEqual(fromStore);
    expect(new Set(fromMemory.map((receipt) => receipt.submittedAt)).size).toBe(2);
    expect(fromMemory.every((receipt) => receipt.status === 'anchored')).toBe(true);
    await expect(notary.getReceipt(newDocument().cid)).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    await expect(notary.getReceiptJson(newDocument().cid)).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    await notary.stop();
  });

  it.skipIf(skip)('gives a document several tenants submitted the receipt of its earliest submission, in memory as in the store', async () => {
    const notary = new Notary(store, client, options, createLogger('silent'));
    const [early, shared, other] = [newDocument(), newDocument(), newDocument()];
    await notary.submit('alpha', [early]);
    const first = await notary.anchorNow();
    await notary.submit('beta', [early, shared, other]); // `early` again, by another tenant, in a later batch
    await notary.submit('gamma', [shared]); // `shared` twice in one batch: beta's leaf comes first
    const second = await notary.anchorNow();

    // The later batch is indexed first, so memory meets its copy of `early` before the earlier one.
    const { fromStore, fromMemory } = await receiptsFromStoreThenMemory(notary, [shared, other, early]);
    expect(fromMemory).toEqual(fromStore);
    expect(fromMemory[2]!.batch!.id).toBe(first!.id);
    expect(fromMemory[0]!.batch!.id).toBe(second!.id);
    expect(fromMemory[0]!.proof!.leafIndex).toBe(1); // beta: early, shared, other; then gamma: shared
    await notary.stop();
  });

  it.skipIf(skip)('reads the batch from the store again once the row it holds is older than the allowed age', async () => {
    const notary = new Notary(store, client, { ...options, receiptBatchMaxAgeMs: 300 }, createLogger('silent'));
    const document = newDocument();
    await notary.submit('alpha', [document]);
    await notary.anchorNow();
    await receiptsFromStoreThenMemory(notary, [document]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    storeLookups = 0;
    await notary.getReceipt(document.cid); // too old: the store, which confirms the row again
    await notary.getReceipt(document.cid);
    expect(storeLookups).toBe(1);
    await notary.stop();
  });
});
