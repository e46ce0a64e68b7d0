// One anchoring chain's worker: it anchors every sealed batch on its chain, at the chain's own pace,
// through that chain's AnchoringChain port. A chain that is down, unfunded or congested holds up only
// its own anchorer; every chain has one, alike, and the notary (which seals) knows none of them by name.
import { bytesToHex } from '../core/hex';
import { ChainUnavailableError } from '../core/errors';
import type { SqlExecutor } from '../platform/database/sql-client';
import type { Logger } from '../platform/observability/logger';
import type { BatchRecord } from './batch';
import { anchorBatch } from './anchor-batch';
import type { NotaryEvents } from './events';
import type { AnchoringChain, NotaryStore } from './ports';

/** How many of the newest anchorings on the chain are re-checked at start and every interval. */
const RECONCILE_DEPTH = 200;
const RECONCILE_INTERVAL_MS = 10 * 60_000;
const RECONCILE_PARALLELISM = 8;
const MAX_RETRY_BACKOFF_MS = 30_000;
const CHAIN_PROBE_INTERVAL_MS = 1_000;

export interface ChainAnchorerOptions {
  /** Blocks to wait before an anchoring on this chain counts. */
  confirmations: number;
  /** The first log place this chain anchors (a chain added to a running deployment starts there). */
  firstLogIndex: number;
  /** How often the anchorer looks for work when no seal wakes it. */
  intervalMs: number;
  transactionTimeoutMs?: number;
  replaceAfterMs?: number;
  pollIntervalMs?: number;
  reconcileIntervalMs?: number;
  chainProbeIntervalMs?: number;
}

/** What /health and /metrics say about one chain. */
export interface ChainAnchoringStatus {
  chain: string;
  /** False while rounds fail (the chain is down, out of funds, or its transactions do not get mined). */
  healthy: boolean;
  /** Why the last round failed, while it does. */
  lastError: string | null;
  /** Consecutive failed rounds. */
  failures: number;
}

export class ChainAnchorer {
  private timer: NodeJS.Timeout | undefined;
  private chainWatch: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;
  private failures = 0;
  private lastError: string | null = null;
  /** Set by start(): the first round of a started anchorer re-checks before anchoring anything. */
  private needsReconcile = false;
  private lastReconcileAt = Number.NEGATIVE_INFINITY;
  private readonly abort = new AbortController();

  constructor(
    private readonly store: Pick<
      NotaryStore,
      'tryAnchoringLeadership' | 'enqueueChainAnchorings' | 'listPendingAnchorings' | 'recordIntendedTransaction' | 'markAnchored' | 'listRecentAnchorings' | 'reopenAnchoring'
    >,
    readonly chain: AnchoringChain,
    private readonly options: ChainAnchorerOptions,
    private readonly logger: Logger,
    private readonly events: NotaryEvents,
  ) {}

  status(): ChainAnchoringStatus {
    return { chain: this.chain.chain, healthy: this.failures === 0, lastError: this.lastError, failures: this.failures };
  }

  start(): void {
    this.stopped = false;
    this.needsReconcile = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopWatch();
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** Anchors what waits now (a seal happened): the timer's next round, brought forward. */
  kick(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  /** Re-checks recent anchorings in the next round, which starts now (the chain may have lost blocks). */
  recheck(): void {
    this.needsReconcile = true;
    this.kick();
  }

  /**
   * One round now, after the one running: resolves once every batch waiting for this chain is
   * anchored on it, rejects when the chain fails (the caller decides whether another chain did better).
   */
  async anchorNow(): Promise<void> {
    await this.round();
  }

  /**
   * Runs `work` while no anchoring round runs on this chain, and keeps the next one waiting until it
   * ends: a key rotation changes the account that rounds send from.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    const run = work();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.running = settled;
    try {
      return await run;
    } finally {
      if (this.running === settled) this.running = null;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      this.timer = undefined;
      try {
        await this.round();
        this.schedule(this.options.intervalMs);
      } catch {
        const backoff = Math.min(MAX_RETRY_BACKOFF_MS, this.options.intervalMs * 2 ** Math.min(this.failures, 6));
        this.schedule(backoff);
      }
    }, delayMs);
    this.timer.unref?.();
  }

  private async round(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    const run = this.anchorPending();
    this.running = run;
    try {
      await run;
      if (this.failures > 0) this.logger.info({ chain: this.chain.chain }, 'anchoring on this chain works again');
      this.failures = 0;
      this.lastError = null;
    } catch (error) {
      this.failures += 1;
      this.lastError = (error as Error).message?.slice(0, 300) ?? String(error);
      this.events.publish({ type: 'round-failed', error, chain: this.chain.chain });
      const chainDown = error instanceof ChainUnavailableError;
      this.logger.warn(
        { err: error, chain: this.chain.chain, failures: this.failures },
        chainDown ? 'the chain cannot be reached; its anchorings resume as soon as it answers again (other chains go on)' : 'anchoring round failed on this chain; will retry',
      );
      if (chainDown) this.watchForChain();
      throw error;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  private async anchorPending(): Promise<void> {
    if (!(await this.store.tryAnchoringLeadership())) return;
    if (this.needsReconcile || Date.now() - this.lastReconcileAt >= (this.options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS)) {
      try {
        await this.reconcile();
        this.needsReconcile = false;
        this.lastReconcileAt = Date.now();
      } catch (error) {
        if (this.needsReconcile) throw error;
        this.logger.warn({ err: error, chain: this.chain.chain }, 'could not re-check recent anchorings on this chain; trying again next round');
      }
    }
    await this.store.enqueueChainAnchorings(this.chain.chain, this.chain.contract, this.options.firstLogIndex);
    for (const job of await this.store.listPendingAnchorings(this.chain.chain)) {
      const started = Date.now();
      const anchored = await anchorBatch(this.store, this.chain, job, {
        confirmations: this.options.confirmations,
        transactionTimeoutMs: this.options.transactionTimeoutMs ?? 600_000,
        replaceAfterMs: this.options.replaceAfterMs ?? 90_000,
        pollIntervalMs: this.options.pollIntervalMs ?? 250,
        signal: this.abort.signal,
        // The batch's first anchoring, on whichever chain, is the fact durable subscribers record once.
        ...(this.events.hasDurableSubscribers
          ? { recordAlso: (tx: SqlExecutor, recorded: BatchRecord) => this.events.recordDurably({ type: 'batch-anchored', batch: recorded }, tx) }
          : {}),
      }, this.logger);
      this.events.publish({ type: 'batch-anchored', batch: anchored, chain: this.chain.chain, durationMs: Date.now() - started });
    }
  }

  /** Puts back in the queue recent batches whose anchoring this chain no longer holds. */
  private async reconcile(): Promise<void> {
    const recent = await this.store.listRecentAnchorings(this.chain.chain, RECONCILE_DEPTH);
    for (let start = 0; start < recent.length; start += RECONCILE_PARALLELISM) {
      const chunk = recent.slice(start, start + RECONCILE_PARALLELISM);
      const found = await Promise.all(chunk.map((entry) => this.chain.readAnchoring(bytesToHex(entry.root))));
      for (const [i, entry] of chunk.entries()) {
        const anchoring = found[i];
        if (anchoring && anchoring.blockNumber === entry.blockNumber) continue;
        const reason = anchoring ? `anchoring moved from block ${entry.blockNumber} to ${anchoring.blockNumber}` : 'the chain no longer holds this anchoring';
        this.logger.warn({ batch: entry.batchId, chain: this.chain.chain, root: bytesToHex(entry.root), reason }, 're-anchoring a batch on this chain');
        await this.store.reopenAnchoring(entry.batchId, this.chain.chain, reason);
        this.events.publish({ type: 'anchoring-reopened', batchId: entry.batchId, chain: this.chain.chain });
      }
    }
  }

  private watchForChain(): void {
    if (this.chainWatch || this.stopped) return;
    const probe = async () => {
      if (this.stopped) return this.stopWatch();
      try {
        await this.chain.getBlockNumber();
      } catch {
        return;
      }
      this.stopWatch();
      this.logger.info({ chain: this.chain.chain }, 'the chain answers again; resuming anchoring');
      this.kick();
    };
    this.chainWatch = setInterval(() => void probe(), this.options.chainProbeIntervalMs ?? CHAIN_PROBE_INTERVAL_MS);
    this.chainWatch.unref?.();
  }

  private stopWatch(): void {
    if (this.chainWatch) clearInterval(this.chainWatch);
    this.chainWatch = undefined;
  }
}
