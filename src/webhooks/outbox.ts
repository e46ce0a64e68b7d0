// The durable outbox that features write webhook events into, inside the transaction that records
// the fact they report: the event exists exactly when the fact does, whatever crashes in between.
// Delivery happens afterwards (delivery/dispatcher.ts), on any replica, at least once.
import type { SqlExecutor } from '../platform/database/sql-client';
import { newMessageId } from './delivery/standard-webhooks';
import type { ReceiptAnchor } from '../core/receipts/receipt';
import type { WebhookPayload } from './event-types';
import type { WebhookStore } from './sql/webhook-store';

/** The notification channel that wakes every replica's dispatcher when an event commits. */
export const WEBHOOK_EVENTS_CHANNEL = 'did_notary_webhook_events';

/** An event for one tenant, as a producing feature states it. */
export interface OutboxEvent {
  tenantId: string;
  type: string;
  /** Names the fact: the same fact recorded twice is one event (e.g. `credential.revoked:<id>:<list version>`). */
  dedupeKey: string;
  /** When the fact happened: the payload's `timestamp`. */
  occurredAt: Date;
  data: unknown;
}

/** A batch anchoring as recorded: expanded after the commit into each tenant's `batch.anchored` events. */
export interface AnchoredBatchFact {
  id: string;
  root: string;
  treeSize: number;
  anchor: ReceiptAnchor;
}

export class WebhookOutbox {
  constructor(
    private readonly store: Pick<WebhookStore, 'insertEvent' | 'insertBatchFanout'>,
    /** Called after a write (in the same process): the local dispatcher looks for work. */
    private readonly onWritten: () => void = () => undefined,
  ) {}

  /**
   * Writes `event` in `tx` with a delivery to each enabled endpoint of its tenant that takes its type
   * (`onlyEndpointId`: to that endpoint only, for tests). Nothing is written when no endpoint takes it.
   * Returns the message id (`webhook-id`) and the deliveries created.
   */
  async enqueue(tx: SqlExecutor, event: OutboxEvent, onlyEndpointId?: string): Promise<{ messageId: string; deliveries: string[] }> {
    const messageId = newMessageId();
    const payload: WebhookPayload = { type: event.type, timestamp: event.occurredAt.toISOString(), data: event.data };
    const deliveries = await this.store.insertEvent(tx, {
      id: messageId,
      tenantId: event.tenantId,
      type: event.type,
      dedupeKey: event.dedupeKey,
      payload: JSON.stringify(payload),
      ...(onlyEndpointId === undefined ? {} : { onlyEndpointId }),
    });
    if (deliveries.length > 0) await this.announce(tx);
    return { messageId, deliveries };
  }

  /**
   * Records a batch anchoring in `tx`, the transaction that records it, when any endpoint takes
   * `batch.anchored`. Which tenants it concerns is worked out after the commit (batch-fanout.ts):
   * a batch holds up to millions of documents, and the anchoring transaction must stay short.
   */
  async recordBatchAnchored(tx: SqlExecutor, batch: AnchoredBatchFact): Promise<void> {
    const dedupeKey = `batch.anchored:${batch.id}:${batch.anchor.transactionHash}:${batch.anchor.blockHash}`;
    if (await this.store.insertBatchFanout(tx, dedupeKey, batch)) await this.announce(tx);
  }

  /**
   * Wakes the dispatchers: every replica's through a notification that PostgreSQL delivers at commit
   * (none before, none if it rolls back), and this process's at once (the embedded database runs
   * nothing else until the transaction ends, so its dispatcher reads what committed).
   */
  private async announce(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT pg_notify($1, $2)', [WEBHOOK_EVENTS_CHANNEL, '']);
    setImmediate(this.onWritten);
  }
}
