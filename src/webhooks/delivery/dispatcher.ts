// Delivers the outbox: expands batch fan-outs, claims due deliveries (leased, so exactly one replica
// attempts each at a time), POSTs each signed to its endpoint through the outbound guard, and records
// the attempt, the retry or the endpoint turned off. Woken when an event commits; otherwise it looks
// when the next retry is due, and at least every poll interval.
import { randomBytes } from 'node:crypto';
import type { PostAnswer } from '../../platform/outbound/outbound-fetch';
import type { Logger } from '../../platform/observability/logger';
import type { BatchFanout } from '../batch-fanout';
import type { AttemptOutcome, ClaimedDelivery, WebhookStore } from '../sql/webhook-store';
import { disableReason, nextAttemptAfterFailure, type RetryPolicy } from './retry-schedule';
import { signedHeaders } from './standard-webhooks';

/** Sends one delivery's request (the outbound guard, platform/outbound/outbound-fetch.ts). */
export interface WebhookSender {
  post(url: string, body: string, headers: Record<string, string>): Promise<PostAnswer>;
}

export interface DispatcherOptions {
  store: Pick<WebhookStore, 'claimDueDeliveries' | 'nextDueAt' | 'recordAttempt'>;
  sender: WebhookSender;
  fanout: Pick<BatchFanout, 'step'>;
  policy: RetryPolicy;
  /** The deadline of one attempt (WEBHOOK_TIMEOUT); a claim's lease outlasts it. */
  attemptTimeoutMs: number;
  /** The longest wait before looking for due deliveries again (WEBHOOK_POLL_INTERVAL). */
  pollIntervalMs: number;
  /** Attempts in flight at once on this replica. */
  concurrency?: number;
  logger: Logger;
  /** Told about every attempt (metrics). */
  onAttempt?: (outcome: AttemptOutcome['kind'], durationMs: number) => void;
  random?: () => number;
}

/** A lease lasts an attempt's deadline plus this, so it never runs out while the attempt's result is written. */
const LEASE_MARGIN_MS = 10_000;
const DEFAULT_CONCURRENCY = 16;

export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private running = false;
  private pumping: Promise<void> | null = null;
  private wokenWhilePumping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.leaseMs = options.attemptTimeoutMs + LEASE_MARGIN_MS;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Looks for work now (an event committed, an attempt ended); calls during a look make it look again. */
  wake(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.wokenWhilePumping = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.wokenWhilePumping) this.wake();
    });
  }

  /** Stops looking for work and waits for the attempts in flight (each ends within its deadline). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.pumping;
    await Promise.all([...this.inFlight]);
  }

  private async pump(): Promise<void> {
    let nextLookMs = this.options.pollIntervalMs;
    try {
      do {
        this.wokenWhilePumping = false;
        while (this.running && (await this.options.fanout.step().catch((error: unknown) => this.fanoutFailed(error)))) {
          // one lease of pages at a time, until no fan-out waits
        }
        const free = this.concurrency - this.inFlight.size;
        if (!this.running || free <= 0) break; // an attempt that ends wakes the dispatcher again
        const leaseToken = randomBytes(8).toString('hex');
        const claims = await this.options.store.claimDueDeliveries(free, leaseToken, this.leaseMs);
        for (const claim of claims) this.track(this.attempt(claim, leaseToken));
        if (claims.length === free) this.wokenWhilePumping = true;
      } while (this.running && this.wokenWhilePumping);
      const nextDue = await this.options.store.nextDueAt();
      if (nextDue) nextLookMs = Math.max(0, Math.min(nextLookMs, nextDue.getTime() - Date.now()));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not look for webhook deliveries; trying again shortly');
    } finally {
      this.scheduleLook(nextLookMs);
    }
  }

  private fanoutFailed(error: unknown): false {
    // The fan-out keeps its lease until it runs out, then it is taken up again (here or elsewhere).
    this.options.logger.warn({ err: error }, 'could not expand a batch anchoring into webhook events; retrying when its lease runs out');
    return false;
  }

  private scheduleLook(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delayMs);
    this.timer.unref?.();
  }

  private track(attempt: Promise<void>): void {
    this.inFlight.add(attempt);
    void attempt.finally(() => {
      this.inFlight.delete(attempt);
      this.wake();
    });
  }

  /** One attempt of a claimed delivery, its result recorded under the claim's lease. */
  private async attempt(claim: ClaimedDelivery, leaseToken: string): Promise<void> {
    const { policy, logger } = this.options;
    const startedAt = new Date();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const answer = await this.options.sender.post(claim.url, claim.payload, signedHeaders(claim.secret, claim.eventId, claim.payload, startedAt));
      statusCode = answer.status;
      if (statusCode < 200 || statusCode >= 300) error = `answered HTTP ${statusCode}${answer.bodyStart ? `: ${answer.bodyStart.slice(0, 200)}` : ''}`;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const durationMs = Math.round(performance.now() - started);
    const now = new Date();
    let outcome: AttemptOutcome;
    if (error === null) outcome = { kind: 'delivered' };
    else {
      const nextAttemptAt = nextAttemptAfterFailure(claim.retryFailures + 1, claim.retryingSince ?? startedAt, now, policy, this.options.random);
      outcome = nextAttemptAt ? { kind: 'retry', nextAttemptAt, error } : { kind: 'gave-up', error: `${error} (given up after retrying for ${Math.round(policy.retryForMs / 1000)} s)` };
    }
    try {
      const { disabled } = await this.options.store.recordAttempt(claim, leaseToken, { startedAt, durationMs, statusCode, error }, outcome, (failingSince, consecutiveFailures) =>
        disableReason({ failingSince, consecutiveFailures, lastStatus: statusCode, lastError: error ?? '' }, now, policy),
      );
      this.options.onAttempt?.(outcome.kind, durationMs);
      const fields = { delivery: claim.deliveryId, endpoint: claim.endpointId, webhookId: claim.eventId, attempt: claim.attempt, statusCode, ms: durationMs };
      if (outcome.kind === 'delivered') logger.debug(fields, 'webhook delivered');
      else if (outcome.kind === 'retry') logger.info({ ...fields, error, retryAt: outcome.nextAttemptAt.toISOString() }, 'webhook attempt failed; will retry');
      else logger.warn({ ...fields, error }, 'webhook delivery given up');
      if (disabled) logger.warn({ endpoint: claim.endpointId, reason: disabled }, 'webhook endpoint turned off');
    } catch (recordError) {
      // The lease runs out and the delivery is attempted again: at least once, never lost.
      logger.warn({ err: recordError, delivery: claim.deliveryId }, 'could not record a webhook attempt; it will be attempted again');
    }
  }
}
