// SQL of the webhooks feature (PGlite or PostgreSQL alike): endpoints, the outbox, batch fan-outs,
// delivery claims with leases (FOR UPDATE SKIP LOCKED), results and the delivery log.
import type { SqlClient, SqlExecutor, SqlRow } from '../../platform/database/sql-client';

export interface EndpointRecord {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  /** null: every event type. */
  eventTypes: string[] | null;
  createdAt: Date;
  disabledAt: Date | null;
  disabledReason: string | null;
  failingSince: Date | null;
  consecutiveFailures: number;
}

export interface NewEvent {
  id: string;
  tenantId: string;
  type: string;
  dedupeKey: string;
  payload: string;
  /** Deliver to this endpoint only, whatever it subscribed to (test events); else to every endpoint of the tenant taking the type. */
  onlyEndpointId?: string;
}

export interface BatchFanoutRecord {
  id: string;
  dedupeKey: string;
  batch: unknown;
  occurredAt: Date;
  progress: unknown;
}

/** A delivery claimed for one attempt: what to send where, and the lease to record the result under. */
export interface ClaimedDelivery {
  deliveryId: string;
  /** This attempt's number (1 for the first). */
  attempt: number;
  /** Failed attempts in the current series, and when the series started (null: this is its first). */
  retryFailures: number;
  retryingSince: Date | null;
  eventId: string;
  payload: string;
  endpointId: string;
  url: string;
  secret: string;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  state: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  lastError: string | null;
  attempts: AttemptRecord[];
}

/** How an attempt ended, as the dispatcher decided it. */
export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; nextAttemptAt: Date; error: string }
  | { kind: 'gave-up'; error: string };

const ENDPOINT_COLUMNS = 'id, tenant_id, url, description, event_types, created_at, disabled_at, disabled_reason, failing_since, consecutive_failures';

export class WebhookStore {
  constructor(readonly db: SqlClient) {}

  // ---- endpoints ----

  async insertEndpoint(endpoint: { id: string; tenantId: string; url: string; description: string | null; eventTypes: string[] | null; secret: string }): Promise<EndpointRecord> {
    const rows = await this.db.query(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret) VALUES ($1, $2, $3, $4, $5::text[], $6)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [endpoint.id, endpoint.tenantId, endpoint.url, endpoint.description, endpoint.eventTypes, endpoint.secret],
    );
    return toEndpoint(rows[0]!);
  }

  async countEndpoints(tenantId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_endpoints WHERE tenant_id = $1', [tenantId]);
    return Number(rows[0]!.n);
  }

  async listEndpoints(tenantId: string): Promise<EndpointRecord[]> {
    const rows = await this.db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
    return rows.map(toEndpoint);
  }

  async findEndpoint(tenantId: string, id: string): Promise<EndpointRecord | null> {
    const rows = await this.db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    return rows[0] ? toEndpoint(rows[0]) : null;
  }

  /** Deletes an endpoint with its deliveries and their log; false when the tenant has no such endpoint. */
  async deleteEndpoint(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2 RETURNING id', [id, tenantId]);
    return rows.length > 0;
  }

  /** Turns an endpoint back on; its pending deliveries are due at once. */
  async enableEndpoint(tenantId: string, id: string): Promise<EndpointRecord | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, consecutive_failures = 0
         WHERE id = $1 AND tenant_id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
        [id, tenantId],
      );
      if (!rows[0]) return null;
      await tx.query(
        `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1 AND state = 'pending' AND lease_token IS NULL`,
        [id],
      );
      return toEndpoint(rows[0]);
    });
  }

  // ---- the outbox ----

  /**
   * Writes an event and a pending delivery to each endpoint that takes it, in the caller's transaction.
   * Nothing is written when no endpoint takes it, or when an event with its dedupe key exists (so a
   * fact recorded twice is one event). Returns the deliveries created.
   */
  async insertEvent(tx: SqlExecutor, event: NewEvent): Promise<string[]> {
    const rows = await tx.query<{ id: string }>(
      `WITH targets AS (
         SELECT e.id FROM webhook_endpoints e
         WHERE e.tenant_id = $2 AND (
           CASE WHEN $6::text IS NULL THEN e.disabled_at IS NULL AND (e.event_types IS NULL OR $3 = ANY (e.event_types))
                ELSE e.id = $6 END)
       ), inserted AS (
         INSERT INTO webhook_events (id, tenant_id, type, dedupe_key, payload)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM targets)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id
       )
       INSERT INTO webhook_deliveries (event_id, endpoint_id, state)
       SELECT inserted.id, targets.id, 'pending' FROM inserted, targets
       RETURNING id`,
      [event.id, event.tenantId, event.type, event.dedupeKey, event.payload, event.onlyEndpointId ?? null],
    );
    return rows.map((row) => String(row.id));
  }

  /**
   * Records a batch anchoring to expand into tenants' events, in the transaction that records the
   * anchoring; nothing when no endpoint anywhere takes `batch.anchored`, or when it is recorded already.
   */
  async insertBatchFanout(tx: SqlExecutor, dedupeKey: string, batch: unknown): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO webhook_batch_fanouts (dedupe_key, batch)
       SELECT $1, $2::jsonb WHERE EXISTS (
         SELECT 1 FROM webhook_endpoints WHERE disabled_at IS NULL AND (event_types IS NULL OR 'batch.anchored' = ANY (event_types)))
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [dedupeKey, JSON.stringify(batch)],
    );
    return rows.length > 0;
  }

  /** Tenants with an enabled endpoint taking `type`. */
  async tenantsTaking(type: string): Promise<string[]> {
    const rows = await this.db.query<{ tenant_id: string }>(
      `SELECT DISTINCT tenant_id FROM webhook_endpoints WHERE disabled_at IS NULL AND (event_types IS NULL OR $1 = ANY (event_types)) ORDER BY tenant_id`,
      [type],
    );
    return rows.map((row) => row.tenant_id);
  }

  /** Leases the oldest batch fan-out nobody holds (or whose holder's lease ran out). */
  async claimBatchFanout(leaseToken: string, leaseMs: number): Promise<BatchFanoutRecord | null> {
    const rows = await this.db.query(
      `UPDATE webhook_batch_fanouts SET lease_until = now() + $2 * interval '1 millisecond', lease_token = $1
       WHERE id = (SELECT id FROM webhook_batch_fanouts WHERE lease_until IS NULL OR lease_until < now() ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, dedupe_key, batch, occurred_at, progress`,
      [leaseToken, leaseMs],
    );
    const row = rows[0];
    if (!row) return null;
    return { id: String(row.id), dedupeKey: String(row.dedupe_key), batch: parseJson(row.batch), occurredAt: new Date(row.occurred_at as Date), progress: parseJson(row.progress) };
  }

  /**
   * Saves a fan-out's progress under its lease (in the transaction that wrote the page), releasing the
   * lease when asked so any replica continues at once; false when the lease was lost.
   */
  async saveFanoutProgress(tx: SqlExecutor, id: string, leaseToken: string, progress: unknown, release: boolean): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE webhook_batch_fanouts SET progress = $3::jsonb,
         lease_until = CASE WHEN $4::boolean THEN NULL ELSE lease_until END, lease_token = CASE WHEN $4::boolean THEN NULL ELSE lease_token END
       WHERE id = $1 AND lease_token = $2 RETURNING id`,
      [id, leaseToken, JSON.stringify(progress), release],
    );
    return rows.length > 0;
  }

  /** Removes a finished fan-out; false when the lease was lost. */
  async deleteFanout(tx: SqlExecutor, id: string, leaseToken: string): Promise<boolean> {
    const rows = await tx.query('DELETE FROM webhook_batch_fanouts WHERE id = $1 AND lease_token = $2 RETURNING id', [id, leaseToken]);
    return rows.length > 0;
  }

  // ---- deliveries ----

  /**
   * Claims up to `limit` due deliveries of enabled endpoints for one attempt each: their next attempt
   * moves to the end of the lease, so no other replica takes them meanwhile (rows locked by another
   * claim are skipped, not waited for). A replica that dies mid-attempt leaves them due again when
   * the lease runs out.
   */
  async claimDueDeliveries(limit: number, leaseToken: string, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows = await this.db.query(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.disabled_at IS NULL
         WHERE d.state = 'pending' AND d.next_attempt_at <= now()
         ORDER BY d.next_attempt_at
         LIMIT $1
         FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
       SET next_attempt_at = now() + $3 * interval '1 millisecond', lease_token = $2, attempts = d.attempts + 1
       FROM due, webhook_events ev, webhook_endpoints e
       WHERE d.id = due.id AND ev.id = d.event_id AND e.id = d.endpoint_id
       RETURNING d.id, d.attempts, d.retry_failures, d.retrying_since, ev.id AS event_id, ev.payload, e.id AS endpoint_id, e.url, e.secret`,
      [limit, leaseToken, leaseMs],
    );
    return rows.map((row) => ({
      deliveryId: String(row.id),
      attempt: Number(row.attempts),
      retryFailures: Number(row.retry_failures),
      retryingSince: row.retrying_since ? new Date(row.retrying_since as Date) : null,
      eventId: String(row.event_id),
      payload: String(row.payload),
      endpointId: String(row.endpoint_id),
      url: String(row.url),
      secret: String(row.secret),
    }));
  }

  /** When the next delivery of an enabled endpoint is due (null: none pending). */
  async nextDueAt(): Promise<Date | null> {
    const rows = await this.db.query<{ at: Date }>(
      `SELECT d.next_attempt_at AS at FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.disabled_at IS NULL
       WHERE d.state = 'pending' ORDER BY d.next_attempt_at LIMIT 1`,
    );
    return rows[0] ? new Date(rows[0].at) : null;
  }

  /**
   * Records an attempt in the log and its outcome under the claim's lease, and the endpoint's run of
   * failures, in one transaction. `disableReason` turns the endpoint off when the run calls for it
   * (decided from the endpoint's failures counted here). Returns the endpoint's failure run.
   */
  async recordAttempt(
    claim: Pick<ClaimedDelivery, 'deliveryId' | 'attempt' | 'endpointId'>,
    leaseToken: string,
    attempt: Omit<AttemptRecord, 'attempt'>,
    outcome: AttemptOutcome,
    disableReason: (failingSince: Date, consecutiveFailures: number) => string | null,
  ): Promise<{ disabled: string | null }> {
    return this.db.transaction(async (tx) => {
      // Nothing to log when the endpoint (and its deliveries) was deleted during the attempt.
      await tx.query(
        `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)
         ON CONFLICT (delivery_id, attempt) DO NOTHING`,
        [claim.deliveryId, claim.attempt, attempt.startedAt, attempt.durationMs, attempt.statusCode, attempt.error],
      );
      if (outcome.kind === 'delivered') {
        await tx.query(
          `UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), lease_token = NULL, last_error = NULL
           WHERE id = $1 AND lease_token = $2`,
          [claim.deliveryId, leaseToken],
        );
        await tx.query('UPDATE webhook_endpoints SET failing_since = NULL, consecutive_failures = 0 WHERE id = $1', [claim.endpointId]);
        return { disabled: null };
      }
      await tx.query(
        `UPDATE webhook_deliveries
         SET state = $3, next_attempt_at = COALESCE($4, next_attempt_at), lease_token = NULL, last_error = $5,
             retry_failures = retry_failures + 1, retrying_since = COALESCE(retrying_since, $6)
         WHERE id = $1 AND lease_token = $2`,
        [claim.deliveryId, leaseToken, outcome.kind === 'retry' ? 'pending' : 'failed', outcome.kind === 'retry' ? outcome.nextAttemptAt : null, outcome.error.slice(0, 2000), attempt.startedAt],
      );
      const failing = await tx.query<{ failing_since: Date; consecutive_failures: number; disabled_at: Date | null }>(
        `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2), consecutive_failures = consecutive_failures + 1
         WHERE id = $1 RETURNING failing_since, consecutive_failures, disabled_at`,
        [claim.endpointId, attempt.startedAt],
      );
      const run = failing[0];
      if (!run || run.disabled_at) return { disabled: null };
      const reason = disableReason(new Date(run.failing_since), Number(run.consecutive_failures));
      if (reason === null) return { disabled: null };
      await tx.query('UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL', [claim.endpointId, reason.slice(0, 2000)]);
      return { disabled: reason };
    });
  }

  /** A page of an endpoint's deliveries, newest first, with every attempt. */
  async listDeliveries(endpointId: string, options: { state?: DeliveryRecord['state']; beforeId?: number; limit: number }): Promise<DeliveryRecord[]> {
    const rows = await this.db.query(
      `SELECT d.id, d.event_id, ev.type, ev.created_at AS event_created_at, d.state, d.next_attempt_at, d.delivered_at, d.last_error
       FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
       WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.state = $2) AND ($3::bigint IS NULL OR d.id < $3)
       ORDER BY d.id DESC LIMIT $4`,
      [endpointId, options.state ?? null, options.beforeId ?? null, options.limit],
    );
    return this.withAttempts(rows);
  }

  async findDelivery(endpointId: string, deliveryId: string): Promise<DeliveryRecord | null> {
    const rows = await this.db.query(
      `SELECT d.id, d.event_id, ev.type, ev.created_at AS event_created_at, d.state, d.next_attempt_at, d.delivered_at, d.last_error
       FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
       WHERE d.endpoint_id = $1 AND d.id = $2`,
      [endpointId, deliveryId],
    );
    return (await this.withAttempts(rows))[0] ?? null;
  }

  /**
   * Makes a delivery pending again, due now, with a new series of retries (a redelivery on request);
   * one being attempted right now keeps its lease. False when the endpoint has no such delivery.
   */
  async redeliver(endpointId: string, deliveryId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE webhook_deliveries
       SET state = 'pending', delivered_at = NULL, retry_failures = 0, retrying_since = NULL,
           next_attempt_at = CASE WHEN lease_token IS NOT NULL AND next_attempt_at > now() THEN next_attempt_at ELSE now() END
       WHERE endpoint_id = $1 AND id = $2 RETURNING id`,
      [endpointId, deliveryId],
    );
    return rows.length > 0;
  }

  /**
   * The embedded database has one process: a lease left at start belongs to a process that died, so
   * its deliveries and fan-outs are due now instead of when the lease would have run out.
   */
  async releaseLeases(): Promise<void> {
    await this.db.query(`UPDATE webhook_deliveries SET next_attempt_at = now(), lease_token = NULL WHERE state = 'pending' AND lease_token IS NOT NULL`);
    await this.db.query('UPDATE webhook_batch_fanouts SET lease_until = NULL, lease_token = NULL WHERE lease_token IS NOT NULL');
  }

  /** Forgets events (with their deliveries and log) older than `cutoff` that nothing still waits to deliver. */
  async purgeEventsBefore(cutoff: Date): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM webhook_events ev WHERE ev.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id AND d.state = 'pending')
       RETURNING ev.id`,
      [cutoff],
    );
    return rows.length;
  }

  private async withAttempts(rows: SqlRow[]): Promise<DeliveryRecord[]> {
    if (rows.length === 0) return [];
    const attempts = await this.db.query(
      `SELECT delivery_id, attempt, started_at, duration_ms, status_code, error FROM webhook_attempts
       WHERE delivery_id = ANY ($1::bigint[]) ORDER BY delivery_id, attempt`,
      [rows.map((row) => String(row.id))],
    );
    const byDelivery = new Map<string, AttemptRecord[]>();
    for (const row of attempts) {
      const list = byDelivery.get(String(row.delivery_id)) ?? [];
      list.push({
        attempt: Number(row.attempt),
        startedAt: new Date(row.started_at as Date),
        durationMs: Number(row.duration_ms),
        statusCode: row.status_code == null ? null : Number(row.status_code),
        error: (row.error as string | null) ?? null,
      });
      byDelivery.set(String(row.delivery_id), list);
    }
    return rows.map((row) => ({
      id: String(row.id),
      eventId: String(row.event_id),
      eventType: String(row.type),
      eventCreatedAt: new Date(row.event_created_at as Date),
      state: row.state as DeliveryRecord['state'],
      nextAttemptAt: row.state === 'pending' ? new Date(row.next_attempt_at as Date) : null,
      deliveredAt: row.delivered_at ? new Date(row.delivered_at as Date) : null,
      lastError: (row.last_error as string | null) ?? null,
      attempts: byDelivery.get(String(row.id)) ?? [],
    }));
  }
}

function toEndpoint(row: SqlRow): EndpointRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    url: String(row.url),
    description: (row.description as string | null) ?? null,
    eventTypes: (row.event_types as string[] | null) ?? null,
    createdAt: new Date(row.created_at as Date),
    disabledAt: row.disabled_at ? new Date(row.disabled_at as Date) : null,
    disabledReason: (row.disabled_reason as string | null) ?? null,
    failingSince: row.failing_since ? new Date(row.failing_since as Date) : null,
    consecutiveFailures: Number(row.consecutive_failures),
  };
}

/** PGlite and pg both parse jsonb; a string means a driver that did not. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
