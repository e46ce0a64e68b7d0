// The notarization use cases: submit documents, seal and anchor batches, hand out and verify receipts.
import { ChainUnavailableError, DomainError } from '../core/errors';
import { documentIdFromMultihash, parseDocumentId, type DocumentId } from '../core/ids/document-id';
import { bytesToHex } from '../core/hex';
import { hashLeaf, type MerkleTree } from '../core/merkle/tree';
import { buildAnchoredReceipt, buildPendingReceipt } from '../core/receipts/build';
import { parseReceipt, type Receipt, type ReceiptAnchor } from '../core/receipts/receipt';
import { type ReceiptVerification } from '../core/receipts/verify';
import type { Logger } from '../platform/observability/logger';
import type { BatchRecord, RecordedAnchoring } from './batch';
import type { SubmissionRecord, TenantSubmission } from './submission';
import { anchorBatch } from './anchor-batch';
import { BatchTreeCache, leafIndexOf } from './batch-trees';
import { NotaryEvents } from './events';
import { groupCommit } from './group-commit';
import type { AnchoringChain, NotaryStore } from './ports';

/** How many of the newest anchored batches are re-checked against the chain at start. */
const RECONCILE_DEPTH = 200;
/** How often the anchoring replica re-checks recent anchorings while it runs (besides at start). */
const RECONCILE_INTERVAL_MS = 10 * 60_000;
/** Anchorings read from the chain at once while re-checking: 200 one after another over a remote RPC take seconds. */
const RECONCILE_PARALLELISM = 8;
const RECEIPT_BATCH_MAX_AGE_MS = 1_000;
/** The longest wait between two failed rounds; a chain that comes back is noticed sooner (below). */
const MAX_RETRY_BACKOFF_MS = 30_000;
/** How often a chain that could not be reached is asked whether it answers again. */
const CHAIN_PROBE_INTERVAL_MS = 1_000;
/** How often a replica that does not anchor tries to take the anchoring lock. */
const LEADERSHIP_POLL_MS = 500;
/** Submissions read per query while exporting a batch's receipts. */
const EXPORT_CHUNK = 2_000;

export interface NotaryOptions {
  batchIntervalMs: number;
  batchMaxSize: number;
  confirmations: number;
  maxDocumentsPerRequest: number;
  /** The service DID named as receipt issuer. */
  issuerDid: string;
  transactionTimeoutMs?: number;
  /** How long an anchoring transaction may stay unmined before a fee-bumped replacement. */
  replaceAfterMs?: number;
  pollIntervalMs?: number;
  /**
   * How long a batch row read from the store lets receipts of that batch come from memory (default
   * 1 s). Anchorings move only on a reorganisation (re-anchored by the leader, maybe another
   * replica): a receipt can lag that by this much, then the next lookup reads the store again.
   */
  receiptBatchMaxAgeMs?: number;
  /**
   * How often the anchoring replica re-checks the chain for the recent batches' anchorings (default
   * 10 minutes; also in the first round, and when a replica takes over the anchoring). A deep
   * reorganisation can drop an anchoring long after it was confirmed.
   */
  reconcileIntervalMs?: number;
  /** How often a chain that could not be reached is probed for its return (default 1 s). */
  chainProbeIntervalMs?: number;
}

export interface SubmissionMetadata {
  label?: string;
  externalRef?: string;
}

/** Public view of a batch. */
export interface BatchView {
  id: string;
  root: string;
  treeSize: number;
  status: 'sealed' | 'anchored';
  sealedAt: string;
  anchor: (ReceiptAnchor & { gasUsed: number | null }) | null;
}


export class Notary {
  private readonly trees: BatchTreeCache;
  private readonly commitSubmissions: (documents: TenantSubmission[]) => Promise<SubmissionRecord[]>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<BatchRecord | null> | null = null;
  private unsealedEstimate = 0;
  private readonly abort = new AbortController();
  private failures = 0;
  private stopped = false;
  private needsReconcile = false;
  private lastReconcileAt = Number.NEGATIVE_INFINITY;
  private follower = false;
  private unfollowAnchoringRequests: (() => Promise<void>) | undefined;
  private chainWatch: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: NotaryStore,
    private readonly chain: AnchoringChain,
    private readonly options: NotaryOptions,
    private readonly logger: Logger,
    private readonly events: NotaryEvents = new NotaryEvents(),
  ) {
    this.trees = new BatchTreeCache(store);
    this.commitSubmissions = groupCommit((documents) => store.insertTenantSubmissions(documents));
  }

  /** Parses client identifiers, rejecting bad ones and duplicates with the offending index. */
  parseIdentifiers(identifiers: readonly string[]): DocumentId[] {
    if (identifiers.length === 0) throw new DomainError('INVALID_DOCUMENT_ID', 'the list of documents is empty');
    if (identifiers.length > this.options.maxDocumentsPerRequest) {
      throw new DomainError(
        'TOO_MANY_DOCUMENTS',
        `at most ${this.options.maxDocumentsPerRequest} documents per request, got ${identifiers.length}`,
        { limit: this.options.maxDocumentsPerRequest, count: identifiers.length },
      );
    }
    const seen = new Map<string, number>();
    return identifiers.map((identifier, index) => {
      let id: DocumentId;
      try {
        id = parseDocumentId(identifier);
      } catch (error) {
        if (error instanceof DomainError) {
          throw new DomainError(error.code, `hashes[${index}]: ${error.message}`, { ...(error.details ?? {}), index, value: identifier.slice(0, 200) });
        }
        throw error;
      }
      const previous = seen.get(id.multihashHex);
      if (previous !== undefined) {
        throw new DomainError('DUPLICATE_DOCUMENTS', `hashes[${index}] is the same document as hashes[${previous}]`, { index, duplicateOf: previous });
      }
      seen.set(id.multihashHex, index);
      return id;
    });
  }

  /** Commits documents for a tenant and returns their receipts in input order (202 semantics). */
  async submit(tenantId: string, documents: DocumentId[], metadata: SubmissionMetadata = {}): Promise<Receipt[]> {
    const records = await this.commitSubmissions(
      documents.map((d) => ({ tenantId, multihash: d.multihash, multihashHex: d.multihashHex, label: metadata.label, externalRef: metadata.externalRef })),
    );
    const fresh = records.filter((r) => !r.existing).length;
    this.events.publish({ type: 'documents-submitted', count: records.length, fresh });
    this.unsealedEstimate += fresh;
    if (this.unsealedEstimate >= this.options.batchMaxSize && !this.follower) this.kick();
    // Resubmitted documents may already be anchored: find their batches with one query, not one each.
    const resubmitted = records.filter((r) => r.existing).map((r) => r.seq);
    const batches = resubmitted.length === 0 ? [] : await this.store.findBatchesCovering(Math.min(...resubmitted), Math.max(...resubmitted));
    const batchOf = (seq: number) => batches.find((b) => b.firstSeq <= seq && seq <= b.lastSeq) ?? null;
    return Promise.all(
      records.map((record, i) =>
        record.existing ? this.receiptFor(record, documents[i]!, batchOf(record.seq)) : Promise.resolve(pendingReceipt(record, documents[i]!, this.options.issuerDid)),
      ),
    );
  }

  /** The receipt of a document by any identifier form; DOCUMENT_NOT_FOUND when never submitted. */
  async getReceipt(identifier: string): Promise<Receipt> {
    const id = parseDocumentId(identifier);
    const leafHash = hashLeaf(id.multihash);
    const indexed = this.trees.findIndexedLeaf(leafHash, Date.now(), this.options.receiptBatchMaxAgeMs ?? RECEIPT_BATCH_MAX_AGE_MS);
    if (indexed) {
      const receipt = pendingReceipt({ submittedAt: new Date(indexed.submittedAt) }, id, this.options.issuerDid);
      return anchoredReceipt(receipt, indexed.batch, indexed.tree, indexed.leafIndex, leafHash);
    }
    const readAt = Date.now();
    const found = await this.store.findSubmission(id.multihash);
    if (!found) throw new DomainError('DOCUMENT_NOT_FOUND', `no document ${id.cid} was submitted here`);
    const receipt = await this.receiptFor(found.submission, id, found.batch, leafHash);
    // The store's answer confirms the batch row for the receipts that memory can answer next.
    const { batch } = found;
    if (batch) {
      this.trees.confirmAnchored(batch, readAt, (error) => this.logger.warn({ err: error, batch: batch.id }, 'receipt index not built; receipts of this batch come from the store'));
    }
    return receipt;
  }

  /** Resolves once receipts of the batch can come from memory (true) or its index failed (false): for tests. */
  receiptIndexSettled(batchId: string): Promise<boolean> {
    return this.trees.receiptIndexSettled(batchId);
  }

  async getBatch(id: string): Promise<BatchView> {
    const batch = await this.store.getBatch(id);
    if (!batch) throw new DomainError('BATCH_NOT_FOUND', `no batch ${id}`);
    return batchView(batch);
  }

  /**
   * The receipts of a tenant's documents whose leaves are in an anchored batch, in leaf order, from
   * the leaf after `afterLeafIndex` (-1: from the first): what an export streams. A resubmitted
   * document whose leaf is in an earlier batch belongs to that batch's export, not this one.
   */
  async *batchReceipts(tenantId: string, batchId: string, afterLeafIndex = -1): AsyncGenerator<Receipt> {
    const batch = await this.store.getBatch(batchId);
    if (!batch) throw new DomainError('BATCH_NOT_FOUND', `no batch ${batchId}`);
    if (batch.status !== 'anchored' || !batch.anchor) throw new DomainError('BATCH_NOT_ANCHORED', `batch ${batchId} is not anchored yet`);
    const { tree, seqs } = await this.trees.get(batch);
    let fromSeq = afterLeafIndex >= 0 ? (seqs[afterLeafIndex] ?? batch.lastSeq) + 1 : batch.firstSeq;
    for (;;) {
      const submissions = await this.store.listTenantSubmissionsInRange(tenantId, fromSeq, batch.lastSeq, EXPORT_CHUNK);
      for (const submission of submissions) {
        const leafIndex = leafIndexOf(seqs, submission.seq);
        if (leafIndex < 0) continue;
        const id = documentIdFromMultihash(submission.multihash);
        yield anchoredReceipt(pendingReceipt(submission, id, this.options.issuerDid), batch, tree, leafIndex, hashLeaf(id.multihash));
      }
      if (submissions.length < EXPORT_CHUNK) return;
      fromSeq = submissions.at(-1)!.seq + 1;
    }
  }

  /** A page of batches in id order (ids grow but may skip numbers). */
  async listBatches(afterId: number, limit: number): Promise<BatchView[]> {
    return (await this.store.listBatches(afterId, limit)).map(batchView);
  }

  /** Verifies a receipt (JSON from a client) against the chain, never against our own records. */
  async verifyReceipt(receiptJson: unknown, hash?: string): Promise<ReceiptVerification> {
    // Something that is not a receipt at all is a bad request (400), not a failed verification.
    if (hash !== undefined) parseDocumentId(hash);
    const result = await this.chain.verifyReceipt(parseReceipt(receiptJson), hash);
    this.events.publish({ type: 'receipt-verified', result });
    return result;
  }

  /**
   * Starts the batching loop: seal and anchor every interval (and when a batch fills up). The first
   * round, and one every `reconcileIntervalMs` after it, re-checks recent anchorings against the
   * chain, so one lost since (reorg, crashed embedded chain) is anchored again instead of leaving
   * receipts that point at nothing.
   */
  start(): void {
    this.stopped = false;
    this.needsReconcile = true;
    // Another replica's POST /v1/batches/anchor reaches the anchoring one here.
    this.store.followAnchoringRequests(() => {
      if (!this.follower) this.kick();
    }).then(
      (unsubscribe) => {
        this.unfollowAnchoringRequests = unsubscribe;
      },
      (error: unknown) => this.logger.warn({ err: error }, 'cannot follow other replicas\' requests to anchor now; they wait for the batch timer'),
    );
    void this.store.countUnsealed().then((n) => {
      this.unsealedEstimate = n;
    });
    this.schedule(0);
  }

  /** Re-queues recent batches whose anchoring the chain no longer holds. */
  private async reconcileAnchors(): Promise<void> {
    const batches = await this.store.listRecentAnchoredBatches(RECONCILE_DEPTH);
    for (let start = 0; start < batches.length; start += RECONCILE_PARALLELISM) {
      const chunk = batches.slice(start, start + RECONCILE_PARALLELISM);
      const anchorings = await Promise.all(chunk.map((batch) => this.chain.readAnchoring(bytesToHex(batch.root))));
      for (const [i, batch] of chunk.entries()) {
        const anchoring = anchorings[i];
        if (anchoring && anchoring.blockNumber === batch.anchor?.blockNumber) continue;
        const reason = anchoring
          ? `anchoring moved from block ${batch.anchor?.blockNumber} to ${anchoring.blockNumber}`
          : 'the chain no longer holds this anchoring';
        this.logger.warn({ batch: batch.id, root: bytesToHex(batch.root), reason }, 're-anchoring a batch');
        this.trees.forget(batch.id);
        await this.store.reopenBatch(batch.id, reason);
      }
    }
  }

  /** Acknowledged documents not yet sealed (kept up to date in memory, exact after each seal). */
  pendingEstimate(): number {
    return this.unsealedEstimate;
  }

  /** Stops the loop and waits for a running seal/anchor round to finish or give up. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.unfollowAnchoringRequests?.().catch(() => undefined);
    if (this.timer) clearTimeout(this.timer);
    this.stopChainWatch();
    this.abort.abort();
    await this.running?.catch(() => null);
  }

  /** Seals whatever is waiting and anchors every unanchored batch now; returns the batch just sealed. */
  async anchorNow(): Promise<BatchView | null> {
    const batch = await this.round();
    if (this.follower) {
      // Only the anchoring replica may seal: it is asked to now, and the caller is told so.
      await this.store.requestAnchoringRound();
      throw new DomainError(
        'ANCHORED_BY_ANOTHER_REPLICA',
        'another replica seals and anchors; it has been asked to anchor now: GET /v1/batches shows the batch once it is anchored',
      );
    }
    return batch ? batchView(batch) : null;
  }

  /**
   * Runs `work` while no seal or anchor round runs here, on the anchoring replica only: a key
   * rotation sends transactions from the anchoring account, which must not send two at once. Throws
   * ANCHORED_BY_ANOTHER_REPLICA on a replica that does not anchor.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => null);
    let result: T | undefined;
    const run = (async () => {
      if (!(await this.store.tryAnchoringLeadership())) {
        throw new DomainError('ANCHORED_BY_ANOTHER_REPLICA', 'another replica anchors, with the account a key rotation changes: rotate the keys there');
      }
      result = await work();
      return null;
    })();
    this.running = run;
    try {
      await run;
      return result as T;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  /**
   * Re-checks recent anchorings against the chain in the next round, which starts now: for a chain
   * that may have lost its newest blocks (the embedded Anvil restarted after a crash).
   */
  recheckAnchorings(): void {
    this.needsReconcile = true;
    this.kick();
  }

  private kick(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      this.timer = undefined;
      try {
        await this.round();
        this.failures = 0;
        // A follower asks for the anchoring lock more often than batches are due: when the anchoring
        // replica dies, the next one takes over within LEADERSHIP_POLL_MS, not a batch interval.
        const next = this.follower ? Math.min(this.options.batchIntervalMs, LEADERSHIP_POLL_MS) : this.options.batchIntervalMs;
        this.schedule(this.unsealedEstimate >= this.options.batchMaxSize && !this.follower ? 0 : next);
      } catch (error) {
        this.failures += 1;
        const backoff = Math.min(MAX_RETRY_BACKOFF_MS, this.options.batchIntervalMs * 2 ** Math.min(this.failures, 6));
        this.events.publish({ type: 'round-failed', error });
        const chainDown = error instanceof ChainUnavailableError;
        this.logger.warn(
          { err: error, retryInMs: backoff },
          chainDown ? 'the chain cannot be reached; anchoring resumes as soon as it answers again' : 'seal/anchor round failed; will retry',
        );
        this.schedule(backoff);
        // While the chain is down, a cheap probe notices its return, so catching up does not wait
        // out the backoff.
        if (chainDown) this.watchForChain();
      }
    }, delayMs);
    this.timer.unref?.();
  }

  /** Asks the chain for its block number every second; the first answer starts a round at once. */
  private watchForChain(): void {
    if (this.chainWatch) return;
    const probe = async () => {
      if (this.stopped) return this.stopChainWatch();
      try {
        await this.chain.getBlockNumber();
      } catch {
        return; // still down
      }
      this.stopChainWatch();
      this.logger.info('the chain answers again; resuming anchoring');
      this.failures = 0;
      this.kick();
    };
    this.chainWatch = setInterval(() => void probe(), this.options.chainProbeIntervalMs ?? CHAIN_PROBE_INTERVAL_MS);
    this.chainWatch.unref?.();
  }

  private stopChainWatch(): void {
    if (this.chainWatch) clearInterval(this.chainWatch);
    this.chainWatch = undefined;
  }

  /**
   * One round, never two at once: seal one batch if anything waits, then anchor all unanchored.
   * The timer and anchorNow() may both ask; a caller waits for the round running, then runs its own.
   */
  private async round(): Promise<BatchRecord | null> {
    while (this.running) await this.running.catch(() => null);
    const run = (async () => {
      if (!(await this.store.tryAnchoringLeadership())) {
        if (!this.follower) this.logger.info('another replica seals and anchors; this one only takes submissions');
        this.follower = true;
        return null;
      }
      if (this.follower) {
        this.logger.info('became the sealing and anchoring replica');
        // The replica before may have died without re-checking what a reorganisation took.
        this.needsReconcile = true;
      }
      this.follower = false;
      if (this.needsReconcile || Date.now() - this.lastReconcileAt >= (this.options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS)) {
        try {
          await this.reconcileAnchors();
          this.needsReconcile = false;
          this.lastReconcileAt = Date.now();
        } catch (error) {
          // Before the first check nothing is anchored on top of an unchecked chain; a later, periodic
          // one that fails must not stop sealing: it is tried again in the next round.
          if (this.needsReconcile) throw error;
          this.logger.warn({ err: error }, 'could not re-check recent anchorings against the chain; trying again next round');
        }
      }
      const started = Date.now();
      const sealed = await this.seal();
      if (sealed) this.events.publish({ type: 'batch-sealed', batch: sealed.batch, durationMs: Date.now() - started, oldestSubmittedAt: sealed.oldestSubmittedAt });
      let latest: BatchRecord | null = sealed?.batch ?? null;
      for (const batch of await this.store.listUnanchoredBatches()) {
        const anchorStarted = Date.now();
        const anchored = await anchorBatch(
          this.store,
          this.chain,
          batch,
          {
            confirmations: this.options.confirmations,
            transactionTimeoutMs: this.options.transactionTimeoutMs ?? 600_000,
            replaceAfterMs: this.options.replaceAfterMs ?? 90_000,
            pollIntervalMs: this.options.pollIntervalMs ?? 250,
            signal: this.abort.signal,
          },
          this.logger,
        );
        this.events.publish({ type: 'batch-anchored', batch: anchored, durationMs: Date.now() - anchorStarted });
        if (latest?.id === anchored.id) latest = anchored;
      }
      return latest;
    })();
    this.running = run;
    try {
      return await run;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  /**
   * Seals the next batch: the committed range the store offers, its tree built here with no
   * transaction open, recorded unless another sealer recorded one first.
   */
  private async seal(): Promise<{ batch: BatchRecord; oldestSubmittedAt: Date } | null> {
    const range = await this.store.readSealableRange(this.options.batchMaxSize);
    if (!range) return null;
    const built = BatchTreeCache.build(range.leaves);
    const batch = await this.store.recordSealedBatch(range, built.tree.root);
    if (!batch) return null;
    this.unsealedEstimate = Math.max(0, this.unsealedEstimate - batch.treeSize);
    // The tree built for the root serves the batch's proofs: build once per seal.
    this.trees.remember(batch.id, built);
    this.logger.info({ batch: batch.id, treeSize: batch.treeSize }, 'batch sealed');
    return { batch, oldestSubmittedAt: range.oldestSubmittedAt };
  }

  private async receiptFor(submission: SubmissionRecord, id: DocumentId, knownBatch?: BatchRecord | null, leafHash?: Uint8Array): Promise<Receipt> {
    const batch = knownBatch === undefined ? await this.store.findBatchOfSeq(submission.seq) : knownBatch;
    const receipt = pendingReceipt(submission, id, this.options.issuerDid);
    if (!batch || batch.status !== 'anchored' || !batch.anchor) return receipt;
    const { tree, seqs } = await this.trees.get(batch);
    const leafIndex = leafIndexOf(seqs, submission.seq);
    if (leafIndex < 0) throw new Error(`submission ${submission.seq} missing from batch ${batch.id}`);
    return anchoredReceipt(receipt, batch, tree, leafIndex, leafHash ?? hashLeaf(id.multihash));
  }
}

/** The pending receipt with the batch, proof and anchor of an anchored batch. */
function anchoredReceipt(receipt: Receipt, batch: BatchRecord, tree: MerkleTree, leafIndex: number, leafHash: Uint8Array): Receipt {
  if (!batch.anchor) throw new Error(`batch ${batch.id} has no anchoring`);
  // Never hand out a proof that does not lead to the anchored root. The tree's root is the batch's:
  // sealing took it from this tree, and a tree rebuilt from the store is checked against it before
  // it is cached. So what can go wrong per receipt is the leaf, checked here, not re-hashing the path.
  if (tree.size !== batch.treeSize || !tree.leafHashEquals(leafIndex, leafHash)) {
    throw new Error(`leaf ${leafIndex} of batch ${batch.id} is not document ${receipt.document.cid}`);
  }
  // The path straight into one buffer and out as hex by Node: receipts are the hottest read.
  const pathBytes = Buffer.allocUnsafe(tree.auditPathLength(leafIndex) * 32);
  const auditPath: string[] = [];
  for (let i = 0, count = tree.writeAuditPath(leafIndex, pathBytes, 0); i < count; i++) auditPath.push(pathBytes.toString('hex', 32 * i, 32 * i + 32));
  return buildAnchoredReceipt(receipt, { id: batch.id, root: bytesToHex(batch.root), treeSize: batch.treeSize }, { leafIndex, auditPath }, receiptAnchor(batch.anchor));
}

function pendingReceipt(submission: Pick<SubmissionRecord, 'submittedAt'>, id: DocumentId, issuer: string): Receipt {
  return buildPendingReceipt({ cid: id.cid, multihash: id.multihashHex }, isoTime(submission.submittedAt), issuer);
}

let lastIsoDate: Date | undefined;
let lastIsoText = '';

/** `date.toISOString()`, remembered for the last Date: the documents of one insert share theirs. */
function isoTime(date: Date): string {
  if (date !== lastIsoDate) {
    lastIsoText = date.toISOString();
    lastIsoDate = date;
  }
  return lastIsoText;
}

function batchView(batch: BatchRecord): BatchView {
  return {
    id: batch.id,
    root: bytesToHex(batch.root),
    treeSize: batch.treeSize,
    status: batch.status,
    sealedAt: batch.sealedAt.toISOString(),
    anchor: batch.anchor ? { ...receiptAnchor(batch.anchor), gasUsed: batch.anchor.gasUsed } : null,
  };
}

/** The receipt's view of an anchoring: what the chain recorded, without our bookkeeping. */
function receiptAnchor(anchor: RecordedAnchoring): ReceiptAnchor {
  const { chain, contract, transactionHash, blockNumber, blockHash, timestamp } = anchor;
  return { chain, contract, transactionHash, blockNumber, blockHash, timestamp };
}
