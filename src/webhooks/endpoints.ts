// Tenants' webhook endpoints: register (each with its own signing secret, shown once), list, delete,
// turn back on, send a test event, read the delivery log and redeliver. A tenant sees only its own.
import { randomBytes } from 'node:crypto';
import { DomainError } from '../core/errors';
import { OutboundFetchError } from '../platform/outbound/outbound-fetch';
import { newEndpointSecret } from './delivery/standard-webhooks';
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES } from './event-types';
import type { WebhookOutbox } from './outbox';
import type { DeliveryRecord, EndpointRecord, WebhookStore } from './sql/webhook-store';

/** Endpoints one tenant may have: each event is sent to every one of them. */
export const MAX_ENDPOINTS_PER_TENANT = 20;

export type WebhookErrorCode = 'WEBHOOK_NOT_FOUND' | 'WEBHOOK_URL_REFUSED' | 'TOO_MANY_WEBHOOKS' | 'WEBHOOK_DISABLED' | 'WEBHOOK_DELIVERY_NOT_FOUND' | 'INVALID_WEBHOOK_REQUEST';

export class WebhookError extends DomainError<WebhookErrorCode> {}

export interface EndpointRegistration {
  url: string;
  /** Absent: every event type, those added later included. */
  eventTypes?: string[];
  description?: string;
}

/** Checks a URL against the outbound policy (the guard did:web uses); rejects with FETCH_REFUSED. */
export interface UrlPolicy {
  assertAllowed(url: string): Promise<void>;
}

export class WebhookEndpoints {
  constructor(
    private readonly store: WebhookStore,
    private readonly outbox: Pick<WebhookOutbox, 'enqueue'>,
    private readonly urlPolicy: UrlPolicy,
    /** Called after a test event is written: the local dispatcher sends it now. */
    private readonly onEnqueued: () => void = () => undefined,
  ) {}

  /**
   * Registers an endpoint after checking its URL as every delivery will be checked: HTTPS, and no
   * private, loopback or other special address (unless the configuration allows the host).
   */
  async register(tenantId: string, registration: EndpointRegistration): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const eventTypes = registration.eventTypes === undefined ? null : [...new Set(registration.eventTypes)];
    const unknown = eventTypes?.filter((type) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) ?? [];
    if (unknown.length > 0 || eventTypes?.length === 0) {
      throw new WebhookError('INVALID_WEBHOOK_REQUEST', `eventTypes must name at least one of ${WEBHOOK_EVENT_TYPES.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`);
    }
    try {
      await this.urlPolicy.assertAllowed(registration.url);
    } catch (error) {
      if (error instanceof OutboundFetchError) throw new WebhookError('WEBHOOK_URL_REFUSED', `webhook URL refused: ${error.message}`, { url: registration.url.slice(0, 200) });
      throw error;
    }
    if ((await this.store.countEndpoints(tenantId)) >= MAX_ENDPOINTS_PER_TENANT) {
      throw new WebhookError('TOO_MANY_WEBHOOKS', `a tenant may have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first`, { limit: MAX_ENDPOINTS_PER_TENANT });
    }
    const secret = newEndpointSecret();
    const endpoint = await this.store.insertEndpoint({
      id: `wh_${randomBytes(8).toString('hex')}`,
      tenantId,
      url: registration.url,
      description: registration.description ?? null,
      eventTypes,
      secret,
    });
    return { endpoint, secret };
  }

  list(tenantId: string): Promise<EndpointRecord[]> {
    return this.store.listEndpoints(tenantId);
  }

  async get(tenantId: string, id: string): Promise<EndpointRecord> {
    const endpoint = await this.store.findEndpoint(tenantId, id);
    if (!endpoint) throw notFound(id);
    return endpoint;
  }

  /** Deletes an endpoint, its pending deliveries and its log. */
  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteEndpoint(tenantId, id))) throw notFound(id);
  }

  /** Turns an endpoint that was turned off back on; its pending deliveries resume at once. */
  async enable(tenantId: string, id: string): Promise<EndpointRecord> {
    const endpoint = await this.store.enableEndpoint(tenantId, id);
    if (!endpoint) throw notFound(id);
    this.onEnqueued();
    return endpoint;
  }

  /** Sends a `webhook.test` event to this endpoint only, through the outbox like any other. */
  async test(tenantId: string, id: string): Promise<{ messageId: string; deliveryId: string }> {
    const endpoint = await this.get(tenantId, id);
    if (endpoint.disabledAt) throw new WebhookError('WEBHOOK_DISABLED', `webhook ${id} is turned off (${endpoint.disabledReason ?? 'no reason recorded'}); turn it on first`);
    const messageId = newTestKey();
    const written = await this.store.db.transaction((tx) =>
      this.outbox.enqueue(
        tx,
        { tenantId, type: TEST_EVENT_TYPE, dedupeKey: `${TEST_EVENT_TYPE}:${messageId}`, occurredAt: new Date(), data: { endpoint: id, message: 'a test event, sent on request' } },
        id,
      ),
    );
    const deliveryId = written.deliveries[0];
    if (!deliveryId) throw notFound(id); // deleted meanwhile
    this.onEnqueued();
    return { messageId: written.messageId, deliveryId };
  }

  /** A page of the endpoint's delivery log, newest first. */
  async deliveries(tenantId: string, id: string, options: { state?: DeliveryRecord['state']; beforeId?: number; limit: number }): Promise<DeliveryRecord[]> {
    await this.get(tenantId, id);
    return this.store.listDeliveries(id, options);
  }

  /** Delivers an event to the endpoint again, with a fresh series of retries (same webhook-id). */
  async redeliver(tenantId: string, id: string, deliveryId: string): Promise<DeliveryRecord> {
    await this.get(tenantId, id);
    if (!/^\d{1,18}$/.test(deliveryId) || !(await this.store.redeliver(id, deliveryId))) {
      throw new WebhookError('WEBHOOK_DELIVERY_NOT_FOUND', `webhook ${id} has no delivery ${deliveryId.slice(0, 40)}`);
    }
    this.onEnqueued();
    return (await this.store.findDelivery(id, deliveryId))!;
  }
}

function notFound(id: string): WebhookError {
  return new WebhookError('WEBHOOK_NOT_FOUND', `no webhook ${id.slice(0, 100)} for this tenant`);
}

function newTestKey(): string {
  return randomBytes(8).toString('hex');
}
