// The notarization use cases: submit documents, seal and anchor batches, hand out and verify receipts.
import { DomainError } from '../core/errors';
import { parseDocumentId, type DocumentId } from '../core/ids/document-id';
import { bytesToHex } from '../core/hex';
import { hashLeaf, type MerkleTree } from '../core/merkle/tree';
import { buildAnchoredReceipt, buildPendingReceipt } from '../core/receipts/build';
import { parseReceipt, type Receipt, type ReceiptAnchor, type ReceiptLog } from '../core/receipts/receipt';
import { parseCheckpoint } from '../core/log/checkpoint';
import { verifyReceipt, type ReceiptVerification } from '../core/receipts/verify';
import type { Logger } from '../platform/observability/logger';
import type { BatchRecord, LogCommitment, RecordedAnchoring } from './batch';
import { InvalidLogRangeError, TransparencyLog } from './log/transparency-log';
import type { SubmissionRecord, TenantSubmission } from './submission';
import { subtreesOf, type LeafProof } from './batch-subtrees';
import { batchReceiptLines } from './batch-export';
import { receiptWriterOf, type ReceiptLineWriter } from './receipt-line-writer';
import { BatchTreeCache, checkLeafOf, proofFromTree } from './batch-trees';
import { NotaryEvents } from './events';
import { groupCommit } from './group-commit';
import { listTenantDocuments, type DocumentListQuery, type DocumentPage } from './document-listing';
import type { AnchoringChain, NotaryStore } from './ports';
import { ChainAnchorer, type ChainAnchoringStatus } from './chain-anchorer';

const RECEIPT_BATCH_MAX_AGE_MS = 1_000;
/** A receipt writer's buffer: one receipt at a time (under 2,400 bytes for a 2^32-leaf tree). */
const RECEIPT_WRITER_BYTES = 8192;
/** The longest wait between two failed seal rounds. */
const MAX_RETRY_BACKOFF_MS = 30_000;
/** How often a replica that does not anchor tries to take the anchoring lock. */
const LEADERSHIP_POLL_MS = 500;
/** The log origin when none is configured (tests; the service always names one). */
const DEFAULT_LOG_ORIGIN = 'did-notary.invalid/log';

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
  /**
   * The transparency log's origin, named in every batch's log commitment (service.ts passes the one
   * the deployment binding recorded; it must never change for a database).
   */
  logOrigin?: string;
}

/** One entry of the transparency log, as GET /v1/log/entries shows it. */
export interface LogEntryView {
  index: number;
  batchId: string;
  root: string;
  treeSize: number;
  commitment: ReceiptLog['commitment'] | null;
  anchor: ReceiptAnchor | null;
}

/** A chain to anchor on, and how: its confirmations, and the first log place it anchors. */
export interface AnchoringTarget {
  chain: AnchoringChain;
  /** Default: the notary's `confirmations`. */
  confirmations?: number;
  /** Default 0; a chain added to a running deployment anchors from where it joined. */
  firstLogIndex?: number;
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
  /** Documents in the batch: `treeSize` less the log commitment leaf, when the batch has one. */
  documentCount: number;
  /** The batch's place in the transparency log. */
  logIndex: number;
  anchor: (ReceiptAnchor & { gasUsed: number | null }) | null;
  /** Every chain's anchoring, the first confirmed first, each with the gas it cost. */
  anchors: Array<ReceiptAnchor & { gasUsed: number | null }>;
}


export class Notary {
  /** The log of sealed batches: its tree heads and proofs (GET /v1/log/…), and each seal's commitment. */
  readonly log: TransparencyLog;
  private readonly trees: BatchTreeCache;
  private readonly commitSubmissions: (documents: TenantSubmission[]) => Promise<SubmissionRecord[]>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<BatchRecord | null> | null = null;
  private unsealedEstimate = 0;
  private readonly abort = new AbortController();
  private failures = 0;
  private stopped = false;
  private follower = false;
  private unfollowAnchoringRequests: (() => Promise<void>) | undefined;
  /** One anchorer per chain: each anchors every sealed batch on its chain at its own pace. */
  private readonly anchorers: ChainAnchorer[];
  /** Each in-memory tree's receipt writer, with the batch row its shared pieces were made from. */
  private readonly receiptWriters = new WeakMap<MerkleTree, { batch: BatchRecord; writer: ReceiptLineWriter }>();

  constructor(
    private readonly store: NotaryStore,
    chains: AnchoringChain | readonly AnchoringTarget[],
    private readonly options: NotaryOptions,
    private readonly logger: Logger,
    private readonly events: NotaryEvents = new NotaryEvents(),
  ) {
    const targets: readonly AnchoringTarget[] = Array.isArray(chains) ? chains : [{ chain: chains as AnchoringChain }];
    this.anchorers = targets.map(
      (target) =>
        new ChainAnchorer(
          store,
          target.chain,
          {
            confirmations: target.confirmations ?? options.confirmations,
            firstLogIndex: target.firstLogIndex ?? 0,
            intervalMs: options.batchIntervalMs,
            transactionTimeoutMs: options.transactionTimeoutMs,
            replaceAfterMs: options.replaceAfterMs,
            pollIntervalMs: options.pollIntervalMs,
            reconcileIntervalMs: options.reconcileIntervalMs,
            chainProbeIntervalMs: options.chainProbeIntervalMs,
          },
          logger,
          events,
        ),
    );
    // A sealed batch wakes every chain's anchorer: each anchors it when its chain lets it.
    events.subscribe((event) => {
      if (event.type === 'batch-sealed') for (const anchorer of this.anchorers) anchorer.kick();
      // A chain lost the batch's anchoring: receipts of that batch must not come from memory now.
      if (event.type === 'anchoring-reopened') this.trees.forget(event.batchId);
    });
    this.trees = new BatchTreeCache(store, undefined, (error, batch) =>
      this.logger.warn({ err: error, batch: batch.id }, 'could not load a batch tree behind a subtree proof; the next receipt tries again'));
    this.log = new TransparencyLog(store, options.logOrigin ?? DEFAULT_LOG_ORIGIN);
    this.commitSubmissions = groupCommit((documents) => store.insertTenantSubmissions(documents), undefined, store.parallelWrites);
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
    const indexed = this.findIndexedLeaf(leafHash);
    if (indexed) {
      const receipt = pendingReceipt({ submittedAt: new Date(indexed.submittedAt) }, id, this.options.issuerDid);
      return anchoredReceipt(receipt, indexed.batch, proofFromTree(indexed.tree, indexed.batch, indexed.leafIndex, leafHash));
    }
    return this.receiptFromStore(id, leafHash);
  }

  /**
   * What GET /v1/receipts/{id} answers, as bytes: those of JSON.stringify(await getReceipt(identifier)).
   * A document of an anchored batch in memory (the common read) has its receipt written straight into
   * bytes by its batch's writer, as the export writes them: no receipt object, no audit path in hex
   * strings, no JSON string and no copy of it, which were half of what a read allocated.
   */
  async getReceiptJson(identifier: string): Promise<Buffer> {
    const id = parseDocumentId(identifier);
    const leafHash = hashLeaf(id.multihash);
    const indexed = this.findIndexedLeaf(leafHash);
    if (indexed) {
      const { tree, batch, leafIndex } = indexed;
      // As proofFromTree: never a receipt for another document than the leaf's.
      checkLeafOf(tree, batch, leafIndex, leafHash);
      let held = this.receiptWriters.get(tree);
      if (held?.batch !== batch) {
        held = { batch, writer: receiptWriterOf(this.options.issuerDid, batch, batch.anchors.map(receiptAnchor), batchLog(batch), tree, RECEIPT_WRITER_BYTES) };
        this.receiptWriters.set(tree, held);
      }
      return held.writer.receipt(id, indexed.submittedAt, leafIndex);
    }
    return Buffer.from(JSON.stringify(await this.receiptFromStore(id, leafHash)), 'utf8');
  }

  /** The document's place in an anchored batch whose receipts memory answers (batch-trees.ts). */
  private findIndexedLeaf(leafHash: Uint8Array) {
    return this.trees.findIndexedLeaf(leafHash, Date.now(), this.options.receiptBatchMaxAgeMs ?? RECEIPT_BATCH_MAX_AGE_MS);
  }

  /** The receipt as the store has it, when memory cannot answer. */
  private async receiptFromStore(id: DocumentId, leafHash: Uint8Array): Promise<Receipt> {
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
   * the leaf after `afterLeafIndex` (-1: from the first), as NDJSON bytes (whole lines): what an export
   * streams (batch-export.ts). An unknown or unanchored batch throws before the first line. A
   * resubmitted document whose leaf is in an earlier batch belongs to that batch's export.
   */
  async batchReceiptLines(tenantId: string, batchId: string, afterLeafIndex = -1): Promise<AsyncGenerator<Buffer>> {
    const batch = await this.store.getBatch(batchId);
    if (!batch) throw new DomainError('BATCH_NOT_FOUND', `no batch ${batchId}`);
    const anchor = batch.anchor;
    if (batch.status !== 'anchored' || !anchor) throw new DomainError('BATCH_NOT_ANCHORED', `batch ${batchId} is not anchored yet`);
    const { tree, seqs } = await this.trees.get(batch);
    return batchReceiptLines({ store: this.store, batch, tree, seqs, issuer: this.options.issuerDid, anchors: batch.anchors.map(receiptAnchor), log: batchLog(batch) }, tenantId, afterLeafIndex);
  }

  /** A page of a tenant's documents in submission order (document-listing.ts). */
  listDocuments(tenantId: string, query: DocumentListQuery): Promise<DocumentPage> {
    return listTenantDocuments(this.store, tenantId, query);
  }

  /**
   * The log's entries [start, end): each batch's root, its tree size, the log it commits to (null
   * for batches sealed before the log) and its first anchoring, for monitors.
   */
  async logEntries(start: number, end: number): Promise<LogEntryView[]> {
    const size = await this.log.catchUp();
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > size) {
      throw new InvalidLogRangeError(`entries [${start}, ${end}) are not within the log of ${size} batches`, { start, end, logSize: size });
    }
    const batches = await this.store.listBatchesByLogIndex(start, end);
    return batches.map((batch) => ({
      index: batch.logIndex,
      batchId: batch.id,
      root: bytesToHex(batch.root),
      treeSize: batch.treeSize,
      commitment: batch.logCommitment ? receiptLog(batch.logIndex, batch.logCommitment).commitment : null,
      anchor: batch.anchor ? receiptAnchor(batch.anchor) : null,
    }));
  }

  /** A page of batches in id order (ids grow but may skip numbers). */
  async listBatches(afterId: number, limit: number): Promise<BatchView[]> {
    return (await this.store.listBatches(afterId, limit)).map(batchView);
  }

  /**
   * Verifies a receipt (JSON from a client) against the chains this service anchors on, never against
   * our own records: valid when one of its anchors holds, each reported.
   */
  async verifyReceipt(receiptJson: unknown, hash?: string): Promise<ReceiptVerification> {
    // Something that is not a receipt at all is a bad request (400), not a failed verification.
    if (hash !== undefined) parseDocumentId(hash);
    const receipt = parseReceipt(receiptJson);
    const chains = new Map(this.anchorers.map((anchorer) => [anchorer.chain.chain, anchorer.chain]));
    const result = await verifyReceipt(receipt, {
      hash,
      expectedChains: [...chains.keys()],
      expectedContracts: Object.fromEntries([...chains].map(([id, chain]) => [id, chain.contract])),
      lookupAnchor: (query) => chains.get(query.chain)!.lookupAnchor(query),
    });
    this.events.publish({ type: 'receipt-verified', result });
    return result;
  }

  /** Each chain's anchoring health, for /health and /metrics. */
  anchoringStatus(): ChainAnchoringStatus[] {
    return this.anchorers.map((anchorer) => anchorer.status());
  }

  /**
   * Starts the batching loop: seal and anchor every interval (and when a batch fills up). The first
   * round, and one every `reconcileIntervalMs` after it, re-checks recent anchorings against the
   * chain, so one lost since (reorg, crashed embedded chain) is anchored again instead of leaving
   * receipts that point at nothing.
   */
  start(): void {
    this.stopped = false;
    for (const anchorer of this.anchorers) anchorer.start();
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

  /** Acknowledged documents not yet sealed (kept up to date in memory, exact after each seal). */
  pendingEstimate(): number {
    return this.unsealedEstimate;
  }

  /** Stops the loop and waits for a running seal/anchor round to finish or give up. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.unfollowAnchoringRequests?.().catch(() => undefined);
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await Promise.all(this.anchorers.map((anchorer) => anchorer.stop()));
    await this.running?.catch(() => null);
  }

  /**
   * Seals whatever is waiting and anchors now: returns once the first chain has anchored every batch
   * waiting for it (the others go on at their pace), with the batch just sealed. Fails only when
   * every chain failed, with the first chain's error.
   */
  async anchorNow(): Promise<BatchView | null> {
    const sealed = await this.round();
    if (this.follower) {
      // Only the anchoring replica may seal: it is asked to now, and the caller is told so.
      await this.store.requestAnchoringRound();
      throw new DomainError(
        'ANCHORED_BY_ANOTHER_REPLICA',
        'another replica seals and anchors; it has been asked to anchor now: GET /v1/batches shows the batch once it is anchored',
      );
    }
    try {
      await Promise.any(this.anchorers.map((anchorer) => anchorer.anchorNow()));
    } catch (error) {
      throw error instanceof AggregateError ? (error.errors[0] as unknown) : error;
    }
    if (!sealed) return null;
    const batch = await this.store.getBatch(sealed.id);
    return batch ? batchView(batch) : null;
  }

  /**
   * Runs `work` while no seal round runs here and no chain's anchoring round either, on the
   * anchoring replica only: a key rotation sends transactions from the anchoring account, which must
   * not send two at once. Throws ANCHORED_BY_ANOTHER_REPLICA on a replica that does not anchor.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const withEveryChainIdle = this.anchorers.reduceRight<() => Promise<T>>((inner, anchorer) => () => anchorer.exclusive(inner), work);
    while (this.running) await this.running.catch(() => null);
    let result: T | undefined;
    const run = (async () => {
      if (!(await this.store.tryAnchoringLeadership())) {
        throw new DomainError('ANCHORED_BY_ANOTHER_REPLICA', 'another replica anchors, with the account a key rotation changes: rotate the keys there');
      }
      result = await withEveryChainIdle();
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
    for (const anchorer of this.anchorers) anchorer.recheck();
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
        this.logger.warn({ err: error, retryInMs: backoff }, 'seal round failed; will retry');
        this.schedule(backoff);
      }
    }, delayMs);
    this.timer.unref?.();
  }

  /**
   * One round, never two at once: seal one batch if anything waits (the chains' anchorers, woken by
   * the batch-sealed event, anchor it).
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
        this.recheckAnchorings();
      }
      this.follower = false;
      const started = Date.now();
      const sealed = await this.seal();
      if (sealed) this.events.publish({ type: 'batch-sealed', batch: sealed.batch, durationMs: Date.now() - started, oldestSubmittedAt: sealed.oldestSubmittedAt });
      const latest: BatchRecord | null = sealed?.batch ?? null;
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
    // The batch takes the next place in the log and commits to the log before it: its tree's last
    // leaf is that log's checkpoint text. A batch another replica sealed meanwhile makes the record
    // below fail (the range and the log place are checked under the seal lock), and the next round retries.
    const logIndex = await this.log.catchUp();
    const commitmentLeaf = this.log.commitmentLeaf(logIndex);
    const built = BatchTreeCache.build(range.leaves, commitmentLeaf);
    const commitment = { leaf: commitmentLeaf, auditPath: built.tree.inclusionProof(built.tree.size - 1) };
    const batch = await this.store.recordSealedBatch(range, built.tree.root, { index: logIndex, commitment }, subtreesOf(built.tree, built.seqs));
    if (!batch) return null;
    this.log.appendSealed(batch.logIndex, batch.root);
    this.unsealedEstimate = Math.max(0, this.unsealedEstimate - range.leaves.seqs.length);
    // The tree built for the root serves the batch's proofs: build once per seal.
    this.trees.remember(batch.id, built);
    this.logger.info({ batch: batch.id, documents: range.leaves.seqs.length, logIndex: batch.logIndex }, 'batch sealed');
    return { batch, oldestSubmittedAt: range.oldestSubmittedAt };
  }

  private async receiptFor(submission: SubmissionRecord, id: DocumentId, knownBatch?: BatchRecord | null, leafHash?: Uint8Array): Promise<Receipt> {
    const batch = knownBatch === undefined ? await this.store.findBatchOfSeq(submission.seq) : knownBatch;
    const receipt = pendingReceipt(submission, id, this.options.issuerDid);
    if (!batch || batch.status !== 'anchored' || !batch.anchor) return receipt;
    return anchoredReceipt(receipt, batch, await this.trees.proofOf(batch, submission.seq, leafHash ?? hashLeaf(id.multihash)));
  }
}

/** The pending receipt with the batch, proof and anchor of an anchored batch. */
function anchoredReceipt(receipt: Receipt, batch: BatchRecord, proof: LeafProof): Receipt {
  if (!batch.anchor) throw new Error(`batch ${batch.id} has no anchoring`);
  // Out as hex by Node, one node at a time: receipts are the hottest read.
  const { leafIndex, auditPath: pathBytes } = proof;
  const bytes = Buffer.from(pathBytes.buffer, pathBytes.byteOffset, pathBytes.byteLength);
  const auditPath: string[] = [];
  for (let at = 0; at < bytes.length; at += 32) auditPath.push(bytes.toString('hex', at, at + 32));
  return buildAnchoredReceipt(
    receipt,
    { id: batch.id, root: bytesToHex(batch.root), treeSize: batch.treeSize },
    { leafIndex, auditPath },
    batch.anchors.map(receiptAnchor),
    batchLog(batch),
  );
}

/** The receipts' `log` field of a batch, absent for batches sealed before the log. */
function batchLog(batch: BatchRecord): ReceiptLog | undefined {
  return batch.logCommitment ? receiptLog(batch.logIndex, batch.logCommitment) : undefined;
}

/** Receipts of one batch share its log field: made once per commitment read from the store. */
const receiptLogs = new WeakMap<LogCommitment, ReceiptLog>();

/** The receipt's `log` field: the batch's log place and the checkpoint its tree commits to. */
function receiptLog(logIndex: number, commitment: LogCommitment): ReceiptLog {
  let log = receiptLogs.get(commitment);
  if (!log) {
    const checkpoint = parseCheckpoint(new TextDecoder().decode(commitment.leaf));
    log = {
      origin: checkpoint.origin,
      index: logIndex,
      commitment: { size: checkpoint.size, root: bytesToHex(checkpoint.root), auditPath: commitment.auditPath.map(bytesToHex) },
    };
    receiptLogs.set(commitment, log);
  }
  return log;
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
    documentCount: batch.treeSize - (batch.logCommitment ? 1 : 0),
    logIndex: batch.logIndex,
    anchor: batch.anchor ? { ...receiptAnchor(batch.anchor), gasUsed: batch.anchor.gasUsed } : null,
    anchors: batch.anchors.map((anchor) => ({ ...receiptAnchor(anchor), gasUsed: anchor.gasUsed })),
  };
}

/** The receipt's view of an anchoring: what the chain recorded, without our bookkeeping. */
function receiptAnchor(anchor: RecordedAnchoring): ReceiptAnchor {
  const { chain, contract, transactionHash, blockNumber, blockHash, timestamp } = anchor;
  return { chain, contract, transactionHash, blockNumber, blockHash, timestamp };
}
