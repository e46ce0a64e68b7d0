// What the notary needs from the world, as interfaces it owns: the chain it anchors on (implemented
// with ethers in platform/chain) and the store of its queue and batches (implemented in SQL in
// sql/notary-store.ts). Tests and fault injection implement or wrap them; nobody patches a class.
import type { AnchorLookup, Anchoring } from '../core/receipts/verify';
import type { SqlExecutor } from '../platform/database/sql-client';
import type { BatchLeaves, BatchRecord, BatchSpan, ChainAnchoringJob, LogCommitment, RecordedAnchoring, SealableRange, TenantLeaves } from './batch';
import type { BatchSubtrees } from './batch-subtrees';
import type { ListedSubmission, SubmissionRecord, SubmissionTimeRuns, TenantSubmission, TenantSubmissionQuery } from './submission';

/** A signed transaction not yet (or not necessarily) broadcast. */
export interface PreparedTransaction {
  hash: string;
  nonce: number;
  raw: string;
}

export interface MinedTransaction {
  blockNumber: number;
  blockHash: string;
  succeeded: boolean;
  gasUsed: number;
  feeWei: string;
}

/** The chain the notary anchors roots on (one DocumentAnchor contract; one account at a time sends). */
export interface AnchoringChain {
  /** CAIP-2 id, `eip155:<chainId>`. */
  readonly chain: string;
  readonly chainId: number;
  /** Lower-case anchor contract address. */
  readonly contract: string;
  /** The account new anchoring transactions come from (a key rotation changes it). */
  readonly signerAddress: string;
  readAnchoring(rootHex: string): Promise<Anchoring | null>;
  /** The transaction and block that anchored `rootHex` in `blockNumber`, from the RootAnchored event. */
  findAnchoringEvent(rootHex: string, blockNumber: number): Promise<{ transactionHash: string; blockHash: string } | null>;
  prepareAnchorTransaction(rootHex: string, treeSize: number): Promise<PreparedTransaction>;
  /** The same transaction (same account and nonce) with fees raised enough for nodes to accept it as a replacement. */
  prepareReplacement(raw: string): Promise<PreparedTransaction>;
  /** Broadcasts a signed transaction; an "already known" answer counts as success. */
  broadcast(raw: string): Promise<void>;
  /** The mined transaction, or null when it is not (yet) in a block. */
  getMinedTransaction(hash: string): Promise<MinedTransaction | null>;
  /**
   * The next nonce, counting only mined transactions, of the account that signed `raw`: after a key
   * rotation, a transaction recorded before it is judged by its own account's history.
   */
  getConfirmedNonce(raw: string): Promise<number>;
  getBlockNumber(): Promise<number>;
  /** The anchoring of a root by a contract on this chain, for clients' receipt checks (may be cached briefly). */
  lookupAnchor: AnchorLookup;
}

/** The durable queue of submissions and the batches sealed from it. */
export interface NotaryStore {
  /** How many submission writes may run at once: 1 on one connection, more where commits can overlap. */
  readonly parallelWrites: number;
  /** Whether this process may seal and anchor; with several replicas on PostgreSQL only one may. */
  tryAnchoringLeadership(): Promise<boolean>;
  /** Asks the anchoring replica, wherever it runs, to seal and anchor now (a hint: it may be down). */
  requestAnchoringRound(): Promise<void>;
  /** Calls `listener` whenever any replica asks for an anchoring round; returns the unsubscribe. */
  followAnchoringRequests(listener: () => void): Promise<() => Promise<void>>;

  /**
   * Commits documents of one or several tenants (a group commit) and returns one record per input, in
   * input order. A document its tenant submitted before keeps its original record (`existing`).
   */
  insertTenantSubmissions(documents: TenantSubmission[]): Promise<SubmissionRecord[]>;
  /** Committed documents not yet in a sealed batch. */
  countUnsealed(): Promise<number>;
  /** The first submission of a document (any tenant unless one is given) and the batch holding it. */
  findSubmission(multihash: Uint8Array, tenantId?: string): Promise<{ submission: SubmissionRecord; batch: BatchRecord | null } | null>;
  /** When each submission in [fromSeq, toSeq] was acknowledged, as runs. */
  readSubmissionTimes(fromSeq: number, toSeq: number): Promise<SubmissionTimeRuns>;
  /** The tenants that submitted in (afterSeq, throughSeq]. */
  findSubmittingTenants(afterSeq: number, throughSeq: number): Promise<string[]>;
  /** Submissions in [fromSeq, toSeq] whose document some tenant had submitted before `beforeSeq`. */
  findResubmittedSeqs(fromSeq: number, toSeq: number, beforeSeq: number): Promise<number[]>;

  /**
   * Up to `maxSize` committed documents after the last sealed batch that no open transaction can
   * still commit below (sequence numbers commit out of order); null when none wait.
   */
  readSealableRange(maxSize: number): Promise<SealableRange | null>;
  /** A tenant's submissions in a sequence range (and time window), in seq order, at most `limit`. */
  listTenantSubmissions(query: TenantSubmissionQuery): Promise<ListedSubmission[]>;
  /**
   * The highest sequence number below which every submission is committed and none can still
   * commit (sequence numbers commit out of order): a listing never passes it, or a late commit
   * would fall behind a client's cursor. Briefly holds up submissions, as a seal does.
   */
  readListingHorizon(): Promise<number>;
  /** The last sequence number of the last sealed batch (0 for none): everything up to it is committed. */
  lastSealedSeq(): Promise<number>;
  /** A sequence number up to which every submission was acknowledged before `since` (0 when none is known). */
  lastSeqSubmittedBefore(since: Date): Promise<number>;
  /** A tenant's submissions with fromSeq ≤ seq ≤ toSeq, in seq order, at most `limit`, packed for a bulk export. */
  readTenantLeaves(tenantId: string, fromSeq: number, toSeq: number, limit: number): Promise<TenantLeaves>;
  /** How many submissions of a tenant have fromSeq ≤ seq ≤ toSeq. */
  countTenantSubmissionsInRange(tenantId: string, fromSeq: number, toSeq: number): Promise<number>;
  /** A tenant's submissions with fromSeq ≤ seq ≤ toSeq, in seq order, at most `limit`. */
  listTenantSubmissionsInRange(tenantId: string, fromSeq: number, toSeq: number, limit: number): Promise<Array<Pick<SubmissionRecord, 'seq' | 'multihash' | 'submittedAt'>>>;
  /**
   * Records the batch sealed over `range` with `root`, only if the last sealed batch is still the one
   * the range was read after (and, with `log`, the batch takes log place `log.index`); null when
   * another sealer recorded one meanwhile. Without `log` the batch has no commitment leaf.
   */
  recordSealedBatch(
    range: SealableRange,
    root: Uint8Array,
    log?: { index: number; commitment: LogCommitment },
    subtrees?: BatchSubtrees | null,
  ): Promise<BatchRecord | null>;
  /** The subtree roots recorded with a batch (batch-subtrees.ts), or null when none were. */
  readBatchSubtrees(batchId: string): Promise<BatchSubtrees | null>;
  /** Batch roots at log places [fromIndex, fromIndex + limit), in log order (the transparency log's leaves). */
  readLogRoots(fromIndex: number, limit: number): Promise<Uint8Array[]>;
  /** The batches at log places [fromIndex, toIndex), in log order. */
  listBatchesByLogIndex(fromIndex: number, toIndex: number): Promise<BatchRecord[]>;
  loadBatchLeaves(batch: Pick<BatchRecord, 'firstSeq' | 'lastSeq'>): Promise<BatchLeaves>;
  getBatch(id: string): Promise<BatchRecord | null>;
  /** Batches in id order after `afterId`. */
  listBatches(afterId: number, limit: number): Promise<BatchRecord[]>;
  /** The first `limit` batches overlapping (afterSeq, throughSeq], in order, as spans. */
  listBatchSpans(afterSeq: number, throughSeq: number, limit: number): Promise<BatchSpan[]>;
  /** Every batch overlapping [minSeq, maxSeq], in order. */
  findBatchesCovering(minSeq: number, maxSeq: number): Promise<BatchRecord[]>;
  findBatchOfSeq(seq: number): Promise<BatchRecord | null>;

  // ---- anchoring: one queue per chain ----

  /** Queues, for `chain`, every batch sealed since its last queued one, from log place `fromLogIndex` on. */
  enqueueChainAnchorings(chain: string, contract: string, fromLogIndex: number): Promise<void>;
  /** The batches waiting for their anchoring on `chain`, oldest first. */
  listPendingAnchorings(chain: string): Promise<ChainAnchoringJob[]>;
  /** Records the signed transaction for `chain` before it is broadcast. */
  recordIntendedTransaction(batchId: string, chain: string, transaction: PreparedTransaction): Promise<void>;
  /**
   * Records the batch's anchoring on `chain` and returns the batch ('anchored' from its first chain on).
   * `onFirstAnchoring` runs in the same transaction when this anchoring makes the batch anchored
   * (durable reactions, events.ts), so both commit or neither does.
   */
  markAnchored(batchId: string, chain: string, anchoring: RecordedAnchoring, onFirstAnchoring?: (tx: SqlExecutor, batch: BatchRecord) => Promise<void>): Promise<BatchRecord>;
  /** `chain`'s newest anchorings, newest first (to re-check against the chain). */
  listRecentAnchorings(chain: string, limit: number): Promise<Array<{ batchId: string; root: Uint8Array; blockNumber: number }>>;
  /** Puts a batch back in `chain`'s queue: that chain no longer holds its anchoring. */
  reopenAnchoring(batchId: string, chain: string, reason: string): Promise<void>;
}
