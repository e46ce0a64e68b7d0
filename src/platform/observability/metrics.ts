// Prometheus metrics of the service (prom-client): what an operator needs to see the notary working.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** All metrics on one registry, so tests can build isolated instances. */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly documentsSubmitted = new Counter({
    name: 'did_notary_documents_submitted_total',
    help: 'Documents acknowledged, by whether they were new for the tenant',
    labelNames: ['fresh'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'did_notary_batch_size_documents',
    help: 'Documents per sealed batch',
    buckets: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
    registers: [this.registry],
  });
  readonly sealDuration = new Histogram({
    name: 'did_notary_seal_duration_seconds',
    help: 'Time to seal a batch (read leaves, build the tree, record the root)',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly anchorDuration = new Histogram({
    name: 'did_notary_anchor_duration_seconds',
    help: 'Time from sending an anchoring transaction to recording it with its confirmations',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly submissionToAnchor = new Histogram({
    name: 'did_notary_submission_to_anchor_seconds',
    help: 'Time from the oldest submission of a batch to its anchoring',
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 600, 3600],
    registers: [this.registry],
  });
  readonly gasUsed = new Counter({ name: 'did_notary_gas_used_total', help: 'Gas used by anchoring transactions', registers: [this.registry] });
  readonly feesPaid = new Counter({ name: 'did_notary_fees_paid_wei_total', help: 'Fees paid for anchoring, in wei', registers: [this.registry] });
  readonly batchesAnchored = new Counter({ name: 'did_notary_batches_anchored_total', help: 'Batches anchored', registers: [this.registry] });
  readonly anchorErrors = new Counter({ name: 'did_notary_anchor_errors_total', help: 'Failed seal/anchor rounds (retried)', registers: [this.registry] });
  readonly pendingDocuments = new Gauge({ name: 'did_notary_pending_documents', help: 'Acknowledged documents not yet sealed in a batch (estimate)', registers: [this.registry] });
  readonly chainHealthy = new Gauge({
    name: 'did_notary_chain_anchoring_healthy',
    help: 'Whether anchoring on the chain works (1) or its rounds fail (0), by chain',
    labelNames: ['chain'] as const,
    registers: [this.registry],
  });
  readonly chainAnchorings = new Counter({
    name: 'did_notary_chain_anchorings_total',
    help: 'Anchorings recorded, by chain',
    labelNames: ['chain'] as const,
    registers: [this.registry],
  });
  readonly signerBalance = new Gauge({ name: 'did_notary_signer_balance_wei', help: 'Balance of the anchoring account, in wei', registers: [this.registry] });
  readonly verifications = new Counter({
    name: 'did_notary_verifications_total',
    help: 'Verifications by kind (receipt, credential, presentation) and outcome code',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly timeStamps = new Counter({
    name: 'did_notary_time_stamps_total',
    help: 'Time-stamp queries answered (POST /tsa), by status (granted, rejection) and failure info',
    labelNames: ['status', 'failure'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'did_notary_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'did_notary_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered, retry, gave-up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookAttemptDuration = new Histogram({
    name: 'did_notary_webhook_attempt_duration_seconds',
    help: 'Time from sending a webhook to its answer (or failure)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Unprefixed, under the names stock Node.js dashboards and alerts expect (process_cpu_seconds_total, …).
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one webhook delivery attempt and its duration. */
  observeWebhookAttempt(outcome: string, durationMs: number): void {
    this.webhookAttempts.inc({ outcome });
    this.webhookAttemptDuration.observe(durationMs / 1000);
  }

  /** Sets gauges whose value is read at scrape time (e.g. the balance is fetched from the chain). */
  onScrape(refresh: () => Promise<void>): void {
    this.refresh = refresh;
  }

  /** The exposition text; refreshes scrape-time gauges first. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.refresh().catch(() => undefined);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private refresh: () => Promise<void> = async () => undefined;
}
