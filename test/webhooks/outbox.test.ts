// The webhooks outbox on both databases: a batch anchoring and its outbox row commit together or not
// at all (a durable subscriber's failure undoes the anchoring; recording it again is one fact), a
// fan-out writes one event per tenant page and resumes after a failure without writing a page twice,
// and due deliveries are claimed by one caller at a time (SKIP LOCKED, leases) and come back when a
// lease runs out.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { documentIdFromMultihash } from '../../src/core/ids/document-id';
import { merkleRoot } from '../../src/core/merkle/tree';
import type { RecordedAnchoring } from '../../src/notarization/batch';
import { NotaryEvents } from '../../src/notarization/events';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import { anchoredBatchDocuments, batchAnchoredWebhookSubscriber } from '../../src/notarization/subscribers/webhooks';
import type { SqlClient } from '../../src/platform/database/sql-client';
import { BatchFanout } from '../../src/webhooks/batch-fanout';
import { WebhookOutbox } from '../../src/webhooks/outbox';
import { WebhookStore } from '../../src/webhooks/sql/webhook-store';
import { createTestDatabase, TEST_DATABASE_URL } from '../helpers/postgres';
import { makeTempDir } from '../helpers/service-process';
import { insertSubmissions, openTestStores, recordAnchoring, sealNextBatch } from '../helpers/stores';

const multihash = () => Uint8Array.from([0x12, 0x20, ...randomBytes(32)]);
const receiptsUrl = (batchId: string) => `https://notary.example/v1/batches/${batchId}/receipts`;
const anchoring = (): RecordedAnchoring => ({
  chain: 'eip155:31337',
  contract: `0x${'5f'.repeat(20)}`,
  transactionHash: `0x${randomBytes(32).toString('hex')}`,
  blockNumber: 42,
  blockHash: `0x${randomBytes(32).toString('hex')}`,
  timestamp: 1_795_619_186,
  gasUsed: 46_900,
  feeWei: '1000',
});

describe.each([
  { name: 'embedded PGlite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
])('the webhooks outbox on $name', ({ postgres }) => {
  const skip = postgres && !TEST_DATABASE_URL;
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  // One database for the file's tests (a new PGlite store costs seconds): each test has its own
  // tenants, and the one that claims deliveries runs first.
  let opened: Promise<{ db: SqlClient; notary: SqlNotaryStore; webhooks: WebhookStore }> | undefined;
  const open = () => (opened ??= openDatabase());
  async function openDatabase(): Promise<{ db: SqlClient; notary: SqlNotaryStore; webhooks: WebhookStore }> {
    let options = { dataDir: makeTempDir('did-notary-webhooks-'), databaseUrl: undefined as string | undefined };
    if (postgres) {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      options = { dataDir: '/nonexistent', databaseUrl: database.url };
    }
    const stores = await openTestStores(options);
    cleanups.push(() => stores.close());
    return { db: stores.db, notary: stores.notary, webhooks: new WebhookStore(stores.db) };
  }
  const endpoint = (webhooks: WebhookStore, tenantId: string, eventTypes: string[] | null) =>
    webhooks.insertEndpoint({ id: `wh_${randomBytes(8).toString('hex')}`, tenantId, url: 'https://hooks.example/in', description: null, eventTypes, secret: 'whsec_c2VjcmV0' });
  const count = async (db: SqlClient, table: string, where = 'true') => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`))[0]!.n);

  it.skipIf(skip)('lets one caller at a time claim a due delivery, and takes it back when the lease runs out', async () => {
    const { db, webhooks } = await open();
    for (let i = 0; i < 3; i++) await endpoint(webhooks, 'claims', ['credential.revoked']);
    await endpoint(webhooks, 'claims', ['batch.anchored']);
    const outbox = new WebhookOutbox(webhooks);
    const event = { tenantId: 'claims', type: 'credential.revoked', dedupeKey: 'credential.revoked:list-1:2', occurredAt: new Date(), data: {} };
    const written = await db.transaction((tx) => outbox.enqueue(tx, event));
    expect(written.deliveries).toHaveLength(3);
    // The same fact again is no new event; an event nobody takes is not written at all.
    expect((await db.transaction((tx) => outbox.enqueue(tx, event))).deliveries).toEqual([]);
    expect((await db.transaction((tx) => outbox.enqueue(tx, { ...event, tenantId: 'globex', dedupeKey: 'other' }))).deliveries).toEqual([]);
    expect(await count(db, 'webhook_events', "tenant_id IN ('claims', 'globex')")).toBe(1);

    // Two claims at once (two pool connections on PostgreSQL) never get the same delivery.
    const lease = 2_000;
    const [first, second] = await Promise.all([webhooks.claimDueDeliveries(2, 'lease-a', lease), webhooks.claimDueDeliveries(10, 'lease-b', lease)]);
    const claimed = [...first, ...second].map((claim) => claim.deliveryId);
    expect(new Set(claimed)).toEqual(new Set(written.deliveries));
    expect(claimed).toHaveLength(3);
    expect(await webhooks.claimDueDeliveries(10, 'lease-c', lease)).toEqual([]);
    expect((await webhooks.nextDueAt())!.getTime()).toBeGreaterThan(Date.now());

    const byToken = [...first.map((claim) => ({ claim, token: 'lease-a' })), ...second.map((claim) => ({ claim, token: 'lease-b' }))];
    const [delivered, stale] = byToken;
    const attempt = { startedAt: new Date(), durationMs: 5, statusCode: 200, error: null };
    await webhooks.recordAttempt(delivered!.claim, delivered!.token, attempt, { kind: 'delivered' }, () => null);
    // A result recorded under a lease that is not the delivery's changes nothing but the log.
    await webhooks.recordAttempt(stale!.claim, 'lease-lost', attempt, { kind: 'delivered' }, () => null);
    await new Promise((resolve) => setTimeout(resolve, lease + 100));
    const again = await webhooks.claimDueDeliveries(10, 'lease-d', lease);
    expect(new Set(again.map((claim) => claim.deliveryId))).toEqual(new Set(written.deliveries.filter((id) => id !== delivered!.claim.deliveryId)));
    expect(again.map((claim) => claim.attempt)).toEqual([2, 2]);
    const log = await webhooks.listDeliveries(stale!.claim.endpointId, { limit: 10 });
    expect(log[0]!.state).toBe('pending');
    expect(log[0]!.attempts.map((entry) => entry.statusCode)).toEqual([200]);

    // Old events are purged with their log once nothing waits to deliver them.
    const later = new Date(Date.now() + 60_000);
    expect(await webhooks.purgeEventsBefore(later)).toBe(0);
    for (const claim of again) {
      await webhooks.recordAttempt(claim, 'lease-d', { ...attempt, statusCode: 500, error: 'answered HTTP 500' }, { kind: 'gave-up', error: 'answered HTTP 500' }, () => null);
    }
    expect((await webhooks.listDeliveries(stale!.claim.endpointId, { limit: 10 }))[0]!.state).toBe('failed');
    expect(await webhooks.purgeEventsBefore(later)).toBeGreaterThanOrEqual(1);
    expect(await count(db, 'webhook_events', "tenant_id = 'claims'")).toBe(0);
    expect(await count(db, 'webhook_attempts a', `a.delivery_id IN (${written.deliveries.join(', ')})`)).toBe(0);
  });

  it.skipIf(skip)('records a batch anchoring and its outbox row in one transaction, once', async () => {
    const { db, notary, webhooks } = await open();
    await endpoint(webhooks, 'anchoring', ['batch.anchored']);
    const documents = await insertSubmissions(notary, 'anchoring', [{ multihash: multihash() }, { multihash: multihash() }, { multihash: multihash() }]);
    await insertSubmissions(notary, 'bystander', [{ multihash: multihash() }, { multihash: multihash() }]);
    const { batch } = (await sealNextBatch(notary, 100, (leaves) => merkleRoot(leaves.multihashes)))!;

    const outbox = new WebhookOutbox(webhooks);
    const events = new NotaryEvents();
    events.subscribeDurably(batchAnchoredWebhookSubscriber(outbox));
    let crash = true;
    events.subscribeDurably(async () => {
      if (crash) throw new Error('died after the outbox row was written');
    });
    const record = (anchor: RecordedAnchoring) => recordAnchoring(notary, batch.id, anchor, (tx, recorded) => events.recordDurably({ type: 'batch-anchored', batch: recorded }, tx));

    const anchor = anchoring();
    await expect(record(anchor)).rejects.toThrow(/died/);
    expect((await notary.getBatch(batch.id))!.status).toBe('sealed');
    expect(await count(db, 'webhook_batch_fanouts', `batch->>'id' = '${batch.id}'`)).toBe(0);

    crash = false;
    expect((await record(anchor)).status).toBe('anchored');
    // The round that recorded it may run again (a crash before it learned the commit): still one fact.
    await record(anchor);
    expect(await count(db, 'webhook_batch_fanouts', `batch->>'id' = '${batch.id}'`)).toBe(1);

    const fanout = new BatchFanout(db, webhooks, outbox, anchoredBatchDocuments(notary), receiptsUrl);
    expect(await fanout.step()).toBe(true);
    expect(await fanout.step()).toBe(false);
    expect(await count(db, 'webhook_batch_fanouts', `batch->>'id' = '${batch.id}'`)).toBe(0);
    const written = await db.query<{ tenant_id: string; type: string; payload: string }>("SELECT tenant_id, type, payload FROM webhook_events WHERE tenant_id IN ('anchoring', 'bystander')");
    expect(written.map((row) => [row.tenant_id, row.type])).toEqual([['anchoring', 'batch.anchored']]);
    const payload = JSON.parse(written[0]!.payload) as { data: { documents: unknown; receipts: string; batch: { anchor: { transactionHash: string } } } };
    expect(payload.data.documents).toEqual({ ids: documents.map((record) => documentIdFromMultihash(record.multihash).cid), page: 1, pageCount: 1, total: 3 });
    expect(payload.data.receipts).toBe(receiptsUrl(batch.id));
    expect(payload.data.batch.anchor.transactionHash).toBe(anchor.transactionHash);
    expect(await count(db, 'webhook_deliveries d', "d.event_id IN (SELECT id FROM webhook_events WHERE tenant_id = 'anchoring')")).toBe(1);
  });

  it.skipIf(skip)('writes a tenant\'s pages once each, resuming after a failure from the last page written', async () => {
    const { db, notary, webhooks } = await open();
    await endpoint(webhooks, 'pages', null);
    const documents = await insertSubmissions(notary, 'pages', Array.from({ length: 2_500 }, () => ({ multihash: multihash() })));
    const { batch } = (await sealNextBatch(notary, 10_000, (leaves) => merkleRoot(leaves.multihashes)))!;
    const outbox = new WebhookOutbox(webhooks);
    await recordAnchoring(notary, batch.id, anchoring(), (tx, recorded) => batchAnchoredWebhookSubscriber(outbox)({ type: 'batch-anchored', batch: recorded }, tx));

    let failOnPageTwo = true;
    const flakyOutbox: Pick<WebhookOutbox, 'enqueue'> = {
      async enqueue(tx, event, only) {
        if (failOnPageTwo && (event.data as { documents: { page: number } }).documents.page === 2) {
          failOnPageTwo = false;
          throw new Error('died writing page 2');
        }
        return outbox.enqueue(tx, event, only);
      },
    };
    const fanout = new BatchFanout(db, webhooks, flakyOutbox, anchoredBatchDocuments(notary), receiptsUrl);
    await expect(fanout.step()).rejects.toThrow(/page 2/);
    expect(await count(db, 'webhook_events', "tenant_id = 'pages'")).toBe(1);
    // Its lease holds it (until it runs out, or the embedded service restarts and releases its
    // leases); then the next step continues at page 2.
    expect(await fanout.step()).toBe(false);
    await webhooks.releaseLeases();
    expect(await fanout.step()).toBe(true);
    const pages = (await db.query<{ payload: string }>("SELECT payload FROM webhook_events WHERE tenant_id = 'pages'")).map(
      (row) => (JSON.parse(row.payload) as { data: { documents: { ids: string[]; page: number; pageCount: number } } }).data.documents,
    );
    pages.sort((a, b) => a.page - b.page);
    expect(pages.map((page) => [page.page, page.pageCount, page.ids.length])).toEqual([[1, 3, 1000], [2, 3, 1000], [3, 3, 500]]);
    expect(pages.flatMap((page) => page.ids)).toEqual(documents.map((record) => documentIdFromMultihash(record.multihash).cid));
  });

});
