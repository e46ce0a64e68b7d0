// The credentials' side of webhooks: each status change becomes a `credential.revoked`,
// `credential.suspended` or `credential.reinstated` event in the webhooks outbox, written in the
// transaction of the change.
import type { CredentialStatusData } from '../../webhooks/event-types';
import type { WebhookOutbox } from '../../webhooks/outbox';
import type { CredentialStatusSubscriber } from '../credentials/status-changes';

export function credentialStatusWebhookSubscriber(outbox: Pick<WebhookOutbox, 'enqueue'>): CredentialStatusSubscriber {
  return async ({ change, tenantId, at, status }, tx) => {
    const type = `credential.${change}`;
    const data: CredentialStatusData = {
      credential: { id: status.id, state: status.state, revokedAt: status.revokedAt, suspendedAt: status.suspendedAt },
      statusList: status.statusList,
    };
    // A list version is one change of one credential: the key names that change.
    await outbox.enqueue(tx, { tenantId, type, dedupeKey: `${type}:${status.statusList.id}:${status.statusList.version}`, occurredAt: at, data });
  };
}
