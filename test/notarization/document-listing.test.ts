// A tenant's document listing on the real store: every document exactly once across pages (also
// sparse ones), status and batch, time windows, cursors, and never past an insert still committing.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors';
import { documentIdFromMultihash } from '../../src/core/ids/document-id';
import { merkleRoot } from '../../src/core/merkle/tree';
import { decodeDocumentCursor, encodeDocumentCursor, listTenantDocuments, type DocumentListQuery, type ListedDocument } from '../../src/notarization/document-listing';
import type { BatchRecord } from '../../src/notarization/batch';
import type { NotaryStore } from '../../src/notarization/ports';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import type { TenantSubmissionQuery } from '../../src/notarization/submission';
import { createTestDatabase, TEST_DATABASE_URL } from '../helpers/postgres';
import { makeTempDir } from '../helpers/service-process';
import { insertSubmissions, openTestStores, recordAnchoring, sealNextBatch, withOverrides, type TestStores } from '../helpers/stores';

const multihash = () => Uint8Array.from([0x12, 0x20, ...randomBytes(32)]);
const cidOf = (bytes: Uint8Array) => documentIdFromMultihash(bytes).cid;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function seal(store: NotaryStore): Promise<BatchRecord> {
  const sealed = await sealNextBatch(store, 100_000, (leaves) => merkleRoot(leaves.multihashes));
  if (!sealed) throw new Error('nothing to seal');
  return sealed.batch;
}

async function anchor(store: NotaryStore, batch: BatchRecord): Promise<void> {
  await recordAnchoring(store, batch.id, {
    chain: 'eip155:31337',
    contract: `0x${'11'.repeat(20)}`,
    transactionHash: `0x${'22'.repeat(32)}`,
    blockNumber: 7,
    blockHash: `0x${'33'.repeat(32)}`,
    timestamp: 1_800_000_000,
    gasUsed: 46_000,
    feeWei: '1',
  });
}

/** Every page from the start (or `after`), following `next` until `hasMore` is false. */
async function listAll(store: NotaryStore, tenant: string, query: Omit<DocumentListQuery, 'limit'> & { limit?: number }, bounds?: { scanWindow: number; maxWindowBatches: number }) {
  const documents: ListedDocument[] = [];
  let after = query.after;
  let pages = 0;
  for (;;) {
    const page = await listTenantDocuments(store, tenant, { ...query, limit: query.limit ?? 3, after }, bounds);
    pages += 1;
    documents.push(...page.documents);
    after = page.next;
    if (!page.hasMore) return { documents, next: page.next, pages };
    if (pages > 1000) throw new Error('the listing does not end');
  }
}

describe('listing a tenant\'s documents (embedded store)', () => {
  let stores: TestStores;
  let store: SqlNotaryStore;
  const acme: Uint8Array[] = [];
  const globex: Uint8Array[] = [];
  let anchoredBatch: BatchRecord;
  let sealedBatch: BatchRecord;
  let beforeSecond: Date;
  let beforeThird: Date;

  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-listing-') });
    store = stores.notary;
    // Three generations, each acme's and globex's interleaved: anchored, sealed only, not sealed.
    const generation = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const mine = multihash();
        acme.push(mine);
        await insertSubmissions(store, 'acme', [{ multihash: mine, ...(i === 0 ? { label: 'first', externalRef: 'ref-1' } : {}) }]);
        const theirs = [multihash(), multihash()];
        globex.push(...theirs);
        await insertSubmissions(store, 'globex', theirs.map((m) => ({ multihash: m })));
      }
    };
    await generation(5);
    anchoredBatch = await seal(store);
    await anchor(store, anchoredBatch);
    await sleep(15);
    beforeSecond = new Date();
    await sleep(15);
    await generation(4);
    sealedBatch = await seal(store);
    await sleep(15);
    beforeThird = new Date();
    await sleep(15);
    await generation(3);
  });
  afterAll(async () => {
    await stores?.close();
  });

  it('lists every document of the tenant once, in submission order, with status and batch', async () => {
    const { documents, pages } = await listAll(store, 'acme', { limit: 2 });
    expect(documents.map((d) => d.cid)).toEqual(acme.map(cidOf));
    expect(pages).toBe(6);
    expect(documents[0]).toEqual({
      cid: cidOf(acme[0]!),
      multihash: Buffer.from(acme[0]!).toString('hex'),
      submittedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      status: 'anchored',
      batch: anchoredBatch.id,
      label: 'first',
      externalRef: 'ref-1',
    });
    expect(documents.map((d) => [d.status, d.batch])).toEqual([
      ...Array(5).fill(['anchored', anchoredBatch.id]),
      ...Array(4).fill(['pending', sealedBatch.id]),
      ...Array(3).fill(['pending', null]),
    ]);
    expect(documents[1]).not.toHaveProperty('label');
    expect((await listAll(store, 'globex', { limit: 1000 })).documents.map((d) => d.cid)).toEqual(globex.map(cidOf));
    expect((await listAll(store, 'nobody', {})).documents).toEqual([]);
  });

  it('pages through a window smaller than the table: short and empty pages say there is more', async () => {
    // A window of 4 sequence numbers holds one or two of acme's 12 documents among globex's 24.
    const bounds = { scanWindow: 4, maxWindowBatches: 10 };
    const first = await listTenantDocuments(store, 'acme', { limit: 100 }, bounds);
    expect(first.documents.length).toBeLessThan(100);
    expect(first.hasMore).toBe(true);
    const { documents, pages } = await listAll(store, 'acme', { limit: 100 }, bounds);
    expect(documents.map((d) => d.cid)).toEqual(acme.map(cidOf));
    expect(pages).toBe(9); // 36 sequence numbers, 4 a page
    // A window that ends exactly with the last sealed batch (sequence 27 = 3 × 9) still finds the unsealed ones after it.
    const atSealedEnd = await listAll(store, 'acme', { limit: 100 }, { scanWindow: 9, maxWindowBatches: 10 });
    expect(atSealedEnd.documents.map((d) => d.cid)).toEqual(acme.map(cidOf));
    // At most one batch span a page: the window stops at the end of the batch read.
    const narrow = await listAll(store, 'acme', { limit: 100 }, { scanWindow: 1000, maxWindowBatches: 1 });
    expect(narrow.documents.map((d) => d.cid)).toEqual(acme.map(cidOf));
  });

  it('filters by status with the batches\' sequence ranges', async () => {
    const anchored = await listAll(store, 'acme', { status: 'anchored' });
    expect(anchored.documents.map((d) => d.cid)).toEqual(acme.slice(0, 5).map(cidOf));
    const pending = await listAll(store, 'acme', { status: 'pending' });
    expect(pending.documents.map((d) => d.cid)).toEqual(acme.slice(5).map(cidOf));
    // The anchored listing's cursor waits before the batch not anchored yet (in a window of any size).
    expect((await listAll(store, 'acme', { status: 'anchored', limit: 100 }, { scanWindow: 4, maxWindowBatches: 10 })).documents).toHaveLength(5);
    // Anchoring the second batch moves its documents from one list to the other.
    await anchor(store, sealedBatch);
    try {
      expect((await listAll(store, 'acme', { status: 'anchored', after: anchored.next })).documents.map((d) => d.cid)).toEqual(acme.slice(5, 9).map(cidOf));
      expect((await listAll(store, 'acme', { status: 'anchored' })).documents).toHaveLength(9);
      expect((await listAll(store, 'acme', { status: 'pending' })).documents.map((d) => d.cid)).toEqual(acme.slice(9).map(cidOf));
    } finally {
      await store.reopenAnchoring(sealedBatch.id, 'eip155:31337', 'back to sealed for the other tests');
    }
  });

  it('filters by acknowledgement time, and starts `since` after the batches sealed before it', async () => {
    const reads: TenantSubmissionQuery[] = [];
    const watched = withOverrides(store, {
      listTenantSubmissions: (query) => {
        reads.push(query);
        return store.listTenantSubmissions(query);
      },
    });
    const since = await listAll(watched, 'acme', { since: beforeSecond });
    expect(since.documents.map((d) => d.cid)).toEqual(acme.slice(5).map(cidOf));
    expect(Math.min(...reads.map((r) => r.afterSeq))).toBe(anchoredBatch.lastSeq);
    expect((await listAll(store, 'acme', { until: beforeSecond })).documents.map((d) => d.cid)).toEqual(acme.slice(0, 5).map(cidOf));
    expect((await listAll(store, 'acme', { since: beforeSecond, until: beforeThird })).documents.map((d) => d.cid)).toEqual(acme.slice(5, 9).map(cidOf));
    expect((await listAll(store, 'acme', { since: new Date() })).documents).toEqual([]);
    expect((await listAll(store, 'acme', { since: beforeSecond, status: 'pending', limit: 1000 })).documents).toHaveLength(7);
  });

  it('picks up only newer documents from the last cursor', async () => {
    const { next } = await listAll(store, 'acme', {});
    const newer = multihash();
    await insertSubmissions(store, 'acme', [{ multihash: newer }]);
    try {
      const later = await listAll(store, 'acme', { after: next });
      expect(later.documents.map((d) => d.cid)).toEqual([cidOf(newer)]);
    } finally {
      acme.push(newer);
    }
  });

  it('refuses cursors it did not write', () => {
    expect(decodeDocumentCursor(encodeDocumentCursor(123_456))).toBe(123_456);
    for (const cursor of ['', 'x', 'ZDEuMmY=', encodeDocumentCursor(12).toUpperCase(), Buffer.from('d1.-5').toString('base64url'), Buffer.from('d2.5').toString('base64url'), Buffer.from(`d1.${'z'.repeat(12)}`).toString('base64url'), Buffer.from('d1.05').toString('base64url')]) {
      expect(() => decodeDocumentCursor(cursor), cursor).toThrow(DomainError);
      try {
        decodeDocumentCursor(cursor);
      } catch (error) {
        expect((error as DomainError).code).toBe('INVALID_CURSOR');
      }
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('listing a tenant\'s documents (PostgreSQL)', () => {
  it('waits for an insert still committing below the newest document, so no cursor passes it', async () => {
    const database = await createTestDatabase();
    const stores = await openTestStores({ dataDir: '/nonexistent', databaseUrl: database.url });
    const slow = new pg.Client({ connectionString: database.url });
    await slow.connect();
    try {
      const early = multihash();
      // An insert that drew its sequence number and has not committed, as a slow request would.
      await slow.query("INSERT INTO tenant_numbers (tenant_id) VALUES ('acme')");
      await slow.query('BEGIN');
      await slow.query('SELECT pg_advisory_xact_lock_shared(7310002)');
      await slow.query("INSERT INTO submissions (tenant_number, multihash) SELECT number, $1 FROM tenant_numbers WHERE tenant_id = 'acme'", [Buffer.from(early)]);
      const late = multihash();
      await insertSubmissions(stores.notary, 'acme', [{ multihash: late }]);
      let settled = false;
      const listing = listTenantDocuments(stores.notary, 'acme', { limit: 10 }).finally(() => (settled = true));
      await sleep(300);
      expect(settled).toBe(false);
      await slow.query('COMMIT');
      const page = await listing;
      expect(page.documents.map((d) => d.cid)).toEqual([cidOf(early), cidOf(late)]);
    } finally {
      await slow.end();
      await stores.close();
      await database.drop();
    }
  });
});
