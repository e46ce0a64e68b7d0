// The notary's side of webhooks: a durable subscriber that records each batch anchoring in the
// webhooks outbox inside the transaction recording the anchoring (so a crash can lose neither one
// without the other), and the documents of an anchored batch as the webhooks fan-out reads them.
import { documentIdFromMultihash } from '../../core/ids/document-id';
import { bytesToHex } from '../../core/hex';
import type { AnchoredBatchDocuments } from '../../webhooks/batch-fanout';
import type { WebhookOutbox } from '../../webhooks/outbox';
import type { BatchRecord } from '../batch';
import type { DurableNotarySubscriber } from '../events';
import type { NotaryStore } from '../ports';

/** Records every batch anchoring for `batch.anchored` webhooks, in the anchoring's own transaction. */
export function batchAnchoredWebhookSubscriber(outbox: Pick<WebhookOutbox, 'recordBatchAnchored'>): DurableNotarySubscriber {
  return async (event, tx) => {
    const { batch } = event;
    if (!batch.anchor) return;
    const { chain, contract, transactionHash, blockNumber, blockHash, timestamp } = batch.anchor;
    await outbox.recordBatchAnchored(tx, {
      id: batch.id,
      root: bytesToHex(batch.root),
      treeSize: batch.treeSize,
      anchor: { chain, contract, transactionHash, blockNumber, blockHash, timestamp },
    });
  };
}

/**
 * A batch's documents per tenant, from the notary's store: every submission of a tenant whose
 * sequence number lies in the batch's range is one of its leaves (positions are sequence numbers).
 */
export function anchoredBatchDocuments(store: Pick<NotaryStore, 'getBatch' | 'countTenantSubmissionsInRange' | 'listTenantSubmissionsInRange'>): AnchoredBatchDocuments {
  const batchOf = async (batchId: string): Promise<BatchRecord> => {
    const batch = await store.getBatch(batchId);
    if (!batch) throw new Error(`batch ${batchId} does not exist`);
    return batch;
  };
  return {
    async tenantsWithDocuments(batchId, tenants) {
      const batch = await batchOf(batchId);
      const found: string[] = [];
      for (const tenant of tenants) {
        if ((await store.listTenantSubmissionsInRange(tenant, batch.firstSeq, batch.lastSeq, 1)).length > 0) found.push(tenant);
      }
      return found;
    },
    async countDocuments(batchId, tenantId) {
      const batch = await batchOf(batchId);
      return store.countTenantSubmissionsInRange(tenantId, batch.firstSeq, batch.lastSeq);
    },
    async documents(batchId, tenantId, after, limit) {
      const batch = await batchOf(batchId);
      const from = after === null ? batch.firstSeq : Math.max(batch.firstSeq, after + 1);
      const submissions = await store.listTenantSubmissionsInRange(tenantId, from, batch.lastSeq, limit);
      return submissions.map((submission) => ({ position: submission.seq, id: documentIdFromMultihash(submission.multihash).cid }));
    },
  };
}
