// Expands a recorded batch anchoring into `batch.anchored` events: one per tenant with documents in
// the batch and an endpoint taking the type, and per page of BATCH_DOCUMENTS_PAGE_SIZE document ids.
// Each page is written with the fan-out's progress in one transaction, under a lease: after a crash
// the next holder continues from the last page written, and a page is never written twice.
import { randomBytes } from 'node:crypto';
import type { SqlClient } from '../platform/database/sql-client';
import { BATCH_DOCUMENTS_PAGE_SIZE, type BatchAnchoredData } from './event-types';
import type { AnchoredBatchFact, WebhookOutbox } from './outbox';
import type { BatchFanoutRecord, WebhookStore } from './sql/webhook-store';

/**
 * What a fan-out needs to know about an anchored batch's documents (implemented over the notary's
 * store by notarization/subscribers/webhooks.ts, so this feature never reads the notary's tables).
 */
export interface AnchoredBatchDocuments {
  /** Of `tenants`, those with at least one document in the batch. */
  tenantsWithDocuments(batchId: string, tenants: readonly string[]): Promise<string[]>;
  countDocuments(batchId: string, tenantId: string): Promise<number>;
  /**
   * A tenant's documents in the batch in leaf order, after `after` (a position returned before; null
   * for the first), at most `limit`: their ids (CIDs) and positions.
   */
  documents(batchId: string, tenantId: string, after: number | null, limit: number): Promise<Array<{ position: number; id: string }>>;
}

interface FanoutProgress {
  tenants: string[];
  /** Index in `tenants` of the tenant being written. */
  tenant: number;
  /** Pages written for that tenant, and how many it has. */
  page: number;
  pageCount: number;
  total: number;
  after: number | null;
}

/** Pages one lease writes before it is released, so one huge fan-out does not hold a replica. */
const PAGES_PER_LEASE = 10;
/** A fan-out held by a replica that died is taken over after this long (at once on the embedded store). */
export const FANOUT_LEASE_MS = 30_000;

class LostLease extends Error {}

export class BatchFanout {
  constructor(
    private readonly db: SqlClient,
    private readonly store: Pick<WebhookStore, 'claimBatchFanout' | 'tenantsTaking' | 'saveFanoutProgress' | 'deleteFanout'>,
    private readonly outbox: Pick<WebhookOutbox, 'enqueue'>,
    private readonly documents: AnchoredBatchDocuments,
    /** The URL of the batch's receipts export (GET /v1/batches/{id}/receipts). */
    private readonly receiptsUrl: (batchId: string) => string,
    private readonly leaseMs = FANOUT_LEASE_MS,
  ) {}

  /** Takes one waiting fan-out and writes up to PAGES_PER_LEASE of its pages; false when none waits. */
  async step(): Promise<boolean> {
    const token = randomBytes(8).toString('hex');
    const fanout = await this.store.claimBatchFanout(token, this.leaseMs);
    if (!fanout) return false;
    const batch = fanout.batch as AnchoredBatchFact;
    let progress = (fanout.progress as FanoutProgress | null) ?? {
      tenants: await this.documents.tenantsWithDocuments(batch.id, await this.store.tenantsTaking('batch.anchored')),
      tenant: 0,
      page: 0,
      pageCount: 0,
      total: 0,
      after: null,
    };
    try {
      for (let written = 0; ; written++) {
        const tenantId = progress.tenants[progress.tenant];
        if (tenantId === undefined) {
          await this.db.transaction(async (tx) => {
            if (!(await this.store.deleteFanout(tx, fanout.id, token))) throw new LostLease();
          });
          return true;
        }
        const release = written + 1 >= PAGES_PER_LEASE;
        progress = await this.writePage(fanout, batch, tenantId, progress, token, release);
        if (release) return true;
      }
    } catch (error) {
      if (error instanceof LostLease) return true;
      throw error;
    }
  }

  /** Writes the next page of one tenant (or skips a tenant left with none) and returns the progress after it. */
  private async writePage(fanout: BatchFanoutRecord, batch: AnchoredBatchFact, tenantId: string, progress: FanoutProgress, token: string, release: boolean): Promise<FanoutProgress> {
    let { page, pageCount, total } = progress;
    if (page === 0) {
      total = await this.documents.countDocuments(batch.id, tenantId);
      pageCount = Math.ceil(total / BATCH_DOCUMENTS_PAGE_SIZE);
    }
    const nextTenant: FanoutProgress = { ...progress, tenant: progress.tenant + 1, page: 0, pageCount: 0, total: 0, after: null };
    const documents = pageCount === 0 ? [] : await this.documents.documents(batch.id, tenantId, progress.after, BATCH_DOCUMENTS_PAGE_SIZE);
    page += 1;
    const next = documents.length === 0 || page >= pageCount ? nextTenant : { ...progress, page, pageCount, total, after: documents.at(-1)!.position };
    await this.db.transaction(async (tx) => {
      if (documents.length > 0) {
        const data: BatchAnchoredData = {
          batch: { id: batch.id, root: batch.root, treeSize: batch.treeSize, anchor: batch.anchor },
          documents: { ids: documents.map((document) => document.id), page, pageCount, total },
          receipts: this.receiptsUrl(batch.id),
        };
        await this.outbox.enqueue(tx, { tenantId, type: 'batch.anchored', dedupeKey: `${fanout.dedupeKey}:${tenantId}:${page}`, occurredAt: fanout.occurredAt, data });
      }
      if (!(await this.store.saveFanoutProgress(tx, fanout.id, token, next, release))) throw new LostLease();
    });
    return next;
  }
}
