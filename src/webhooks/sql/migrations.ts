// The schema of webhooks: tenants' endpoints, the durable outbox (events, and batch anchorings still
// to be expanded into tenants' events), one delivery per event and endpoint, and every attempt.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const WEBHOOK_MIGRATIONS: FeatureMigrations = {
  feature: 'webhooks',
  migrations: [
    {
      version: 1,
      name: 'endpoints, outbox, deliveries and attempts',
      sql: `
      CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        url TEXT NOT NULL,
        description TEXT,
        -- NULL: every event type, those added later included
        event_types TEXT[],
        -- the Standard Webhooks signing secret (whsec_…): needed in clear to sign
        secret TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        -- turned off after repeated failure (or by a 410 answer), with the reason shown to the tenant
        disabled_at TIMESTAMPTZ,
        disabled_reason TEXT,
        -- every attempt since this time failed; NULL after a success
        failing_since TIMESTAMPTZ,
        consecutive_failures INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id);

      -- A batch anchoring, written in the transaction that records it; expanded after the commit into
      -- one event per tenant with documents in the batch (and per page of their ids), then deleted.
      CREATE TABLE webhook_batch_fanouts (
        id BIGSERIAL PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        batch JSONB NOT NULL,
        occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        -- how far the expansion got (tenants to notify, the current tenant and page)
        progress JSONB,
        lease_until TIMESTAMPTZ,
        lease_token TEXT
      );

      -- The outbox: one row per event of a tenant; its id is the webhook-id every delivery carries.
      CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        type TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        -- the exact bytes signed and sent
        payload TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_events_by_age ON webhook_events (created_at);

      -- One delivery per event and endpoint: the work queue. A claim moves next_attempt_at to the end
      -- of its lease and sets lease_token, so exactly one replica attempts it at a time.
      CREATE TABLE webhook_deliveries (
        id BIGSERIAL PRIMARY KEY,
        event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        lease_token TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        -- the current series of retries (a redelivery starts a new one): its start and failures
        retrying_since TIMESTAMPTZ,
        retry_failures INTEGER NOT NULL DEFAULT 0,
        delivered_at TIMESTAMPTZ,
        last_error TEXT,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
      CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);

      -- The delivery log: every attempt, its answer or error, and how long it took.
      CREATE TABLE webhook_attempts (
        delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        duration_ms INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        PRIMARY KEY (delivery_id, attempt)
      );
    `,
    },
  ],
};
