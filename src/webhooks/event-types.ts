// The webhook event catalog: the types a tenant's endpoint can subscribe to and the `data` each one
// carries inside the Standard Webhooks envelope `{type, timestamp, data}`. The list grows (presentation
// results next): a new type is added here, in openapi.yaml's WebhookEventType, and by the feature that
// produces it through the outbox (outbox.ts).
import type { ReceiptAnchor } from '../core/receipts/receipt';

/** Types an endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['batch.anchored', 'credential.revoked', 'credential.suspended', 'credential.reinstated', 'presentation.verified'] as const;

/** Sent on request (POST /v1/webhooks/{id}/test) to one endpoint, whatever it subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** At most this many document ids per `batch.anchored` event; a tenant with more gets several pages. */
export const BATCH_DOCUMENTS_PAGE_SIZE = 1000;

/**
 * `batch.anchored`: one page of the tenant's documents (CIDs, in leaf order) in a newly anchored
 * batch. `page` counts from 1 to `pageCount`; `total` is how many documents the tenant has in the
 * batch. `receipts` streams all their receipts (GET /v1/batches/{id}/receipts).
 */
export interface BatchAnchoredData {
  batch: { id: string; root: string; treeSize: number; anchor: ReceiptAnchor };
  documents: { ids: string[]; page: number; pageCount: number; total: number };
  receipts: string;
}

/** `credential.revoked`, `credential.suspended`, `credential.reinstated`: the status after the change. */
export interface CredentialStatusData {
  credential: { id: string; state: 'active' | 'suspended' | 'revoked'; revokedAt: string | null; suspendedAt: string | null };
  statusList: { id: string; purpose: 'revocation' | 'suspension'; version: number };
}

/**
 * `presentation.verified`: a wallet answered a tenant's OpenID4VP presentation request and every check
 * held; the request's status with the claims the query asked for (as GET `status` answers it).
 */
export interface PresentationVerifiedData {
  presentationRequest: { id: string; status: string; purpose: string; answeredAt: string | null; credentials?: Record<string, unknown> };
  status: string;
}

/** The JSON body of every delivery (the Standard Webhooks payload structure). */
export interface WebhookPayload<Data = unknown> {
  type: string;
  /** When the fact happened (ISO 8601), not when it was sent. */
  timestamp: string;
  data: Data;
}
