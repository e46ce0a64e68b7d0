// What the notary tells the rest of the service, as events to subscribe to: metrics, webhooks or an
// anchorer for another chain react by subscribing, and the notary never learns who listens (as
// Tessera's followers react to new log entries). Sealing and anchoring happen on the anchoring
// replica only, so those events fire there; submissions and verifications fire where they arrive.
import type { ReceiptVerification } from '../core/receipts/verify';
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

/**
 * The notary's subscribers. Each is called synchronously, in subscription order; one that throws is
 * reported and does not stop the others, nor the notary: a reaction must never undo what happened.
 */
export class NotaryEvents {
  private readonly subscribers: NotarySubscriber[] = [];

  constructor(private readonly onSubscriberError: (error: unknown, event: NotaryEvent) => void = () => undefined) {}

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: NotarySubscriber): () => void {
    this.subscribers.push(subscriber);
    return () => {
      const index = this.subscribers.indexOf(subscriber);
      if (index >= 0) this.subscribers.splice(index, 1);
    };
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
