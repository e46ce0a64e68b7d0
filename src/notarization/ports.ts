// What the notary needs from the world, as interfaces it owns: the chain it anchors on (implemented
// with ethers in platform/chain) and the store of its queue and batches (implemented in SQL in
// sql/notary-store.ts). Tests and fault injection implement or wrap them; nobody patches a class.
import type { Anchoring, ReceiptVerification } from '../core/receipts/verify';
import type { BatchLeaves, BatchRecord, RecordedAnchoring, SealableRange } from './batch';
import type { SubmissionRecord, SubmissionTimeRuns, TenantSubmission } from './submission';

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
  /** Verifies a receipt against the chain alone (not the store). */
  verifyReceipt(receipt: unknown, hash?: string): Promise<ReceiptVerification>;
}

/** The durable queue of submissions and the batches sealed from it. */
export interface NotaryStore {
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
  /** A tenant's submissions with fromSeq ≤ seq ≤ toSeq, in seq order, at most `limit`. */
  listTenantSubmissionsInRange(tenantId: string, fromSeq: number, toSeq: number, limit: number): Promise<Array<Pick<SubmissionRecord, 'seq' | 'multihash' | 'submittedAt'>>>;
  /**
   * Records the batch sealed over `range` with `root`, only if the last sealed batch is still the one
   * the range was read after; null when another sealer recorded one meanwhile.
   */
  recordSealedBatch(range: SealableRange, root: Uint8Array): Promise<BatchRecord | null>;
  loadBatchLeaves(batch: Pick<BatchRecord, 'firstSeq' | 'lastSeq'>): Promise<BatchLeaves>;
  getBatch(id: string): Promise<BatchRecord | null>;
  /** Batches in id order after `afterId`. */
  listBatches(afterId: number, limit: number): Promise<BatchRecord[]>;
  listUnanchoredBatches(): Promise<BatchRecord[]>;
  /** Anchored batches, newest first. */
  listRecentAnchoredBatches(limit: number): Promise<BatchRecord[]>;
  /** Every batch overlapping [minSeq, maxSeq], in order. */
  findBatchesCovering(minSeq: number, maxSeq: number): Promise<BatchRecord[]>;
  findBatchOfSeq(seq: number): Promise<BatchRecord | null>;

  /** Records the signed transaction before it is broadcast. */
  recordIntendedTransaction(batchId: string, transaction: PreparedTransaction): Promise<void>;
  markAnchored(batchId: string, anchoring: RecordedAnchoring): Promise<BatchRecord>;
  /** Puts an anchored batch back in the anchoring queue: the chain no longer holds its anchoring. */
  reopenBatch(batchId: string, reason: string): Promise<void>;
}
