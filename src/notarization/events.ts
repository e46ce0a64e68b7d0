// What the notary tells the rest of the service, as events to subscribe to: metrics, webhooks or an
// anchorer for another chain react by subscribing, and the notary never learns who listens (as
// Tessera's followers react to new log entries). Sealing and anchoring happen on the anchoring
// replica only, so those events fire there; submissions and verifications fire where they arrive.
// A reaction that must never be lost (a webhook's outbox row) subscribes durably instead: it runs in
// the transaction that records the fact, so the fact and the reaction commit together or not at all.
import type { ReceiptVerification } from '../core/receipts/verify';
import type { SqlExecutor } from '../platform/database/sql-client';
import type { BatchRecord } from './batch';

export type NotaryEvent =
  /** Documents were committed (acknowledged); `fresh` of them were new for their tenant. */
  | { type: 'documents-submitted'; count: number; fresh: number }
  /** A batch was sealed; `oldestSubmittedAt` is when its first document was acknowledged. */
  | { type: 'batch-sealed'; batch: BatchRecord; durationMs: number; oldestSubmittedAt: Date }
  /** A batch's anchoring on `chain` was recorded with its confirmations. */
  | { type: 'batch-anchored'; batch: BatchRecord; chain: string; durationMs: number }
  /** A chain no longer holds a batch's anchoring: it is queued there again. */
  | { type: 'anchoring-reopened'; batchId: string; chain: string }
  /** A seal round, or an anchoring round on `chain`, failed; it is retried. */
  | { type: 'round-failed'; error: unknown; chain?: string }
  /** A client's receipt was verified against the chain. */
  | { type: 'receipt-verified'; result: ReceiptVerification };

export type NotarySubscriber = (event: NotaryEvent) => void;

/** Facts durable subscribers record: a batch's anchoring, as it is recorded. */
export type DurableNotaryEvent = { type: 'batch-anchored'; batch: BatchRecord };

/**
 * Writes its own rows in `tx`, the transaction recording the fact. It must only write (no network, no
 * waiting on anything else): it holds that transaction open, and its failure undoes the fact, which is
 * then recorded again by the next round — so the reaction happens exactly when the fact does.
 */
export type DurableNotarySubscriber = (event: DurableNotaryEvent, tx: SqlExecutor) => Promise<void>;

/**
 * The notary's subscribers. Each is called synchronously, in subscription order; one that throws is
 * reported and does not stop the others, nor the notary: a reaction must never undo what happened.
 */
export class NotaryEvents {
  private readonly subscribers: NotarySubscriber[] = [];
  private readonly durableSubscribers: DurableNotarySubscriber[] = [];

  constructor(private readonly onSubscriberError: (error: unknown, event: NotaryEvent) => void = () => undefined) {}

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: NotarySubscriber): () => void {
    this.subscribers.push(subscriber);
    return () => {
      const index = this.subscribers.indexOf(subscriber);
      if (index >= 0) this.subscribers.splice(index, 1);
    };
  }

  /** Adds a subscriber that records its reaction in the fact's own transaction. */
  subscribeDurably(subscriber: DurableNotarySubscriber): void {
    this.durableSubscribers.push(subscriber);
  }

  /** Whether any durable subscriber listens (else the fact needs no transaction of its own). */
  get hasDurableSubscribers(): boolean {
    return this.durableSubscribers.length > 0;
  }

  /** Runs every durable subscriber in `tx`, in order; a failure propagates and rolls the fact back. */
  async recordDurably(event: DurableNotaryEvent, tx: SqlExecutor): Promise<void> {
    for (const subscriber of this.durableSubscribers) await subscriber(event, tx);
  }

  publish(event: NotaryEvent): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        this.onSubscriberError(error, event);
      }
    }
  }
}
