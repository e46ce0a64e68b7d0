// Composition of the webhooks feature: the store, the outbox producers write into, the endpoints'
// use cases and the dispatcher that delivers, on one database and the configuration's settings.
import type { Config } from '../config/config';
import type { SqlClient } from '../platform/database/sql-client';
import type { Logger } from '../platform/observability/logger';
import { OutboundFetcher } from '../platform/outbound/outbound-fetch';
import { BatchFanout, type AnchoredBatchDocuments } from './batch-fanout';
import { WebhookDispatcher, type DispatcherOptions } from './delivery/dispatcher';
import { WebhookEndpoints } from './endpoints';
import { WEBHOOK_EVENTS_CHANNEL, WebhookOutbox } from './outbox';
import { WebhookStore } from './sql/webhook-store';

/** How long delivered and given-up events (with their log) are kept. */
const RETENTION_MS = 30 * 86_400_000;
const PURGE_INTERVAL_MS = 3_600_000;

export interface WebhookServicesOptions {
  db: SqlClient;
  settings: Config['webhooks'];
  /** The notary's side of `batch.anchored` fan-outs (notarization/subscribers/webhooks.ts). */
  documents: AnchoredBatchDocuments;
  /** The service's public base URL (PUBLIC_URL, else where it listens): links in payloads. */
  baseUrl: () => string;
  logger: Logger;
  onAttempt?: DispatcherOptions['onAttempt'];
}

export interface WebhookServices {
  endpoints: WebhookEndpoints;
  /** Where producers (durable subscribers of the notary, credential status changes) write events. */
  outbox: WebhookOutbox;
  /** Starts delivering (and listening for other replicas' events); returns the stop. */
  start(): Promise<() => Promise<void>>;
}

export function createWebhookServices(options: WebhookServicesOptions): WebhookServices {
  const { db, settings, logger } = options;
  const store = new WebhookStore(db);
  // The same guard as did:web, with its own allow-list: webhook URLs are chosen by tenants.
  const fetcher = new OutboundFetcher({
    allowedHosts: settings.allowedHosts,
    allowHttpForAllowedHosts: settings.allowHttp,
    timeoutMs: settings.timeoutMs,
  });
  // Producers wake the dispatcher (built below) once their events commit.
  const wake = () => dispatcher.wake();
  const outbox = new WebhookOutbox(store, wake);
  const receiptsUrl = (batchId: string) => `${options.baseUrl().replace(/\/+$/, '')}/v1/batches/${encodeURIComponent(batchId)}/receipts`;
  const fanout = new BatchFanout(db, store, outbox, options.documents, receiptsUrl);
  const dispatcher = new WebhookDispatcher({
    store,
    sender: fetcher,
    fanout,
    policy: {
      firstDelayMs: settings.retryDelayMs,
      maxDelayMs: settings.retryMaxDelayMs,
      retryForMs: settings.retryForMs,
      disableAfterMs: settings.disableAfterMs,
    },
    attemptTimeoutMs: settings.timeoutMs,
    pollIntervalMs: settings.pollIntervalMs,
    logger: logger.child({ module: 'webhooks' }),
    ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
  });
  return {
    endpoints: new WebhookEndpoints(store, outbox, fetcher, wake),
    outbox,
    async start() {
      if (db.kind === 'pglite') await store.releaseLeases();
      const unlisten = await db.listen(WEBHOOK_EVENTS_CHANNEL, wake).catch((error: unknown) => {
        logger.warn({ err: error }, 'cannot follow other replicas\' webhook events; they are found by polling');
        return async () => undefined;
      });
      dispatcher.start();
      const purge = setInterval(() => {
        store.purgeEventsBefore(new Date(Date.now() - RETENTION_MS)).catch((error: unknown) => logger.warn({ err: error }, 'could not purge old webhook events'));
      }, PURGE_INTERVAL_MS);
      purge.unref();
      return async () => {
        clearInterval(purge);
        await unlisten().catch(() => undefined);
        await dispatcher.stop();
      };
    },
  };
}
