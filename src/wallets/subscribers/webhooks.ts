// The wallets' side of webhooks: a verified presentation becomes a `presentation.verified` event in
// the webhooks outbox, written in the transaction that records the answer.
import type { PresentationVerifiedData } from '../../webhooks/event-types';
import type { WebhookOutbox } from '../../webhooks/outbox';
import type { PresentationVerifiedListener } from '../presentation/wallet-verifier';

export function presentationWebhookSubscriber(outbox: Pick<WebhookOutbox, 'enqueue'>): PresentationVerifiedListener {
  return async (tx, { tenantId, view }) => {
    const data: PresentationVerifiedData = { presentationRequest: view, status: `/v1/presentation-requests/${view.id}` };
    // A request is answered once: its id is the key.
    await outbox.enqueue(tx, { tenantId, type: 'presentation.verified', dedupeKey: `presentation.verified:${view.id}`, occurredAt: new Date(view.answeredAt ?? Date.now()), data });
  };
}
