// Tenants' webhook endpoints over HTTP: register, list, read, delete, turn back on, test, the delivery
// log and redelivery. Handlers translate; the rules live in src/webhooks. `webhooks` is the
// middleware requiring the `webhooks` scope (admin keys have every scope); endpoints belong to the
// key's tenant.
import type { Express, RequestHandler } from 'express';
import type { EndpointRegistration, WebhookEndpoints } from '../../webhooks/endpoints';
import type { DeliveryRecord, EndpointRecord } from '../../webhooks/sql/webhook-store';
import { callerKey } from '../guards';
import { queryInteger } from '../query-parameters';

/** The public view of an endpoint: never its secret (shown once, at registration). */
function endpointView(endpoint: EndpointRecord) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    createdAt: endpoint.createdAt.toISOString(),
    enabled: endpoint.disabledAt === null,
    disabled: endpoint.disabledAt ? { at: endpoint.disabledAt.toISOString(), reason: endpoint.disabledReason ?? '' } : null,
    failing: endpoint.failingSince ? { since: endpoint.failingSince.toISOString(), consecutiveFailures: endpoint.consecutiveFailures } : null,
  };
}

function deliveryView(delivery: DeliveryRecord) {
  return {
    id: delivery.id,
    event: { id: delivery.eventId, type: delivery.eventType, createdAt: delivery.eventCreatedAt.toISOString() },
    state: delivery.state,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    lastError: delivery.lastError,
    attempts: delivery.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      at: attempt.startedAt.toISOString(),
      durationMs: attempt.durationMs,
      statusCode: attempt.statusCode,
      error: attempt.error,
    })),
  };
}

const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;

export function webhookRoutes(app: Express, deps: { webhooks: WebhookEndpoints }, webhooks: RequestHandler): void {
  const { webhooks: endpoints } = deps;
  const tenant = (res: Parameters<RequestHandler>[1]) => callerKey(res).tenantId;

  app.post('/v1/webhooks', webhooks, async (req, res) => {
    const { endpoint, secret } = await endpoints.register(tenant(res), req.body as EndpointRegistration);
    res.status(201).json({ ...endpointView(endpoint), secret });
  });
  app.get('/v1/webhooks', webhooks, async (_req, res) => {
    res.json({ webhooks: (await endpoints.list(tenant(res))).map(endpointView) });
  });
  app.get('/v1/webhooks/:id', webhooks, async (req, res) => {
    res.json(endpointView(await endpoints.get(tenant(res), String(req.params.id))));
  });
  app.delete('/v1/webhooks/:id', webhooks, async (req, res) => {
    await endpoints.delete(tenant(res), String(req.params.id));
    res.status(204).end();
  });
  app.post('/v1/webhooks/:id/enable', webhooks, async (req, res) => {
    res.json(endpointView(await endpoints.enable(tenant(res), String(req.params.id))));
  });
  app.post('/v1/webhooks/:id/test', webhooks, async (req, res) => {
    const sent = await endpoints.test(tenant(res), String(req.params.id));
    res.status(202).json({ webhookId: sent.messageId, delivery: sent.deliveryId });
  });
  app.get('/v1/webhooks/:id/deliveries', webhooks, async (req, res) => {
    const limit = queryInteger(req.query.limit, 'limit', 50, 1, 200);
    const before = req.query.before === undefined ? undefined : queryInteger(req.query.before, 'before', 0, 1, Number.MAX_SAFE_INTEGER);
    const state = DELIVERY_STATES.find((s) => s === req.query.state);
    const deliveries = await endpoints.deliveries(tenant(res), String(req.params.id), { limit, ...(state ? { state } : {}), ...(before ? { beforeId: before } : {}) });
    res.json({ deliveries: deliveries.map(deliveryView), next: deliveries.length === limit ? deliveries.at(-1)!.id : null });
  });
  app.post('/v1/webhooks/:id/deliveries/:delivery/redeliver', webhooks, async (req, res) => {
    res.status(202).json(deliveryView(await endpoints.redeliver(tenant(res), String(req.params.id), String(req.params.delivery))));
  });
}
