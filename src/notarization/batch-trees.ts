// Merkle trees of sealed batches, rebuilt from the store on demand and kept in a small LRU,
// so a receipt's inclusion proof costs a lookup, not a rebuild. Trees of anchored batches that
// receipts are asked for also get a receipt index (receipt-index.ts), so those receipts need no store.
import { equalBytes } from '../core/bytes';
import type { MerkleTree } from '../core/merkle/tree';
import type { BatchLeaves, BatchRecord } from './batch';
import type { NotaryStore } from './ports';
import type { SubmissionTimeRuns } from './submission';
import { proofFromSubtree, subtreeOfSeq, type LeafProof } from './batch-subtrees';
import { buildMerkleTreeInParallel } from './parallel-merkle';
import { BatchReceiptIndex, type IndexedLeaf } from './receipt-index';

/** Submissions read per statement while indexing, so a large batch never holds the store for long. */
const INDEX_READ_CHUNK = 100_000;
/**
 * Batches indexed at once: a receipt not in memory (pending, unknown) probes every index, about
 * 0.3 µs each. The least recently answered index goes first.
 */
const MAX_RECEIPT_INDEXES = 32;
/** After a failed build, receipts of that batch come from the store this long before a retry. */
const INDEX_RETRY_MS = 60_000;

export interface BatchTree {
  tree: MerkleTree;
  /** Submission sequence numbers in leaf order: leaf index = position of a seq here (the tree may have one leaf more: the log commitment). */
  seqs: number[];
}

/** A receipt answered from memory: the batch as last read from the store, its tree, the document's leaf. */
export interface IndexedReceiptLeaf extends IndexedLeaf {
  batch: BatchRecord;
  tree: MerkleTree;
}

interface ReceiptIndexState {
  index?: BatchReceiptIndex;
  building?: Promise<void>;
  failedAt?: number;
  /** The batch row, and when the store was asked for it (anchorings can move: reorgs, other replicas). */
  batch: BatchRecord;
  confirmedAt: number;
}

/** Bounded by total leaves, not by count: one huge batch should not pin many others. */
export class BatchTreeCache {
  private readonly entries = new Map<string, BatchTree>();
  private readonly receiptIndexes = new Map<string, ReceiptIndexState>();
  /** Tenants seen in submissions through `throughSeq` (see severalTenantsThrough). */
  private readonly tenantScan = { throughSeq: 0, tenants: new Set<string>() };
  private readonly loading = new Map<string, Promise<BatchTree>>();
  private leaves = 0;

  constructor(
    private readonly store: Pick<NotaryStore, 'findSubmittingTenants' | 'readSubmissionTimes' | 'findResubmittedSeqs' | 'loadBatchLeaves' | 'readBatchSubtrees'>,
    private readonly maxLeaves = 4_000_000,
    /** A whole tree loaded behind a subtree proof (proofOf) that failed: nobody waits for it, so it is reported here. */
    private readonly onBackgroundLoadError: (error: unknown, batch: BatchRecord) => void = () => undefined,
  ) {}

  /**
   * Builds the tree over a batch's leaves (sealing and cache misses share this). The core's default
   * hasher hashes whole levels in flat buffers (WebAssembly SIMD where available), and large batches
   * are split with a helper thread.
   */
  static build(leaves: BatchLeaves, logCommitment?: Uint8Array | null): BatchTree {
    // The log commitment, when the batch has one, is the tree's last leaf: after every document, so
    // a document's leaf index is still its place among the batch's submissions.
    const leafData = logCommitment ? [...leaves.multihashes, logCommitment] : leaves.multihashes;
    return { tree: buildMerkleTreeInParallel(leafData), seqs: leaves.seqs };
  }

  remember(batchId: string, entry: BatchTree): void {
    this.entries.delete(batchId);
    this.entries.set(batchId, entry);
    this.leaves += entry.seqs.length;
    for (const [id, old] of this.entries) {
      if (this.leaves <= this.maxLeaves || id === batchId) break;
      this.entries.delete(id);
      this.receiptIndexes.delete(id);
      this.leaves -= old.seqs.length;
    }
  }

  forget(batchId: string): void {
    this.receiptIndexes.delete(batchId);
    const entry = this.entries.get(batchId);
    if (!entry) return;
    this.entries.delete(batchId);
    this.leaves -= entry.seqs.length;
  }

  /**
   * The document with this leaf hash in an indexed anchored batch whose row the store confirmed
   * within `maxAgeMs`; undefined sends the caller to the store (whose answer it then passes to
   * `confirmAnchored`). Never a document some tenant submitted earlier in another batch.
   */
  findIndexedLeaf(leafHash: Uint8Array, now: number, maxAgeMs: number): IndexedReceiptLeaf | undefined {
    for (const [batchId, state] of this.receiptIndexes) {
      if (!state.index) continue;
      const leaf = state.index.find(leafHash);
      if (!leaf) continue;
      if (now - state.confirmedAt > maxAgeMs || state.batch.status !== 'anchored') return undefined;
      // Answered from memory is used: both the tree and its index move to the recent end.
      const entry = this.entries.get(batchId);
      if (entry) {
        this.entries.delete(batchId);
        this.entries.set(batchId, entry);
      }
      this.receiptIndexes.delete(batchId);
      this.receiptIndexes.set(batchId, state);
      return { leafIndex: leaf.leafIndex, seq: leaf.seq, submittedAt: leaf.submittedAt, batch: state.batch, tree: state.index.tree };
    }
    return undefined;
  }

  /**
   * Records the row of an anchored batch whose tree is cached, as the store gave it when asked at
   * `readAt` (an older read than the one held changes nothing), and starts indexing the tree for
   * receipts if it is not yet. A failed build leaves the batch to the store for a while.
   */
  confirmAnchored(batch: BatchRecord, readAt: number, onIndexError: (error: unknown) => void): void {
    if (batch.status !== 'anchored' || !this.entries.has(batch.id)) return;
    let state = this.receiptIndexes.get(batch.id);
    if (!state) {
      state = { batch, confirmedAt: readAt };
      this.receiptIndexes.set(batch.id, state);
      for (const id of this.receiptIndexes.keys()) {
        if (this.receiptIndexes.size <= MAX_RECEIPT_INDEXES) break;
        this.receiptIndexes.delete(id);
      }
    } else if (readAt >= state.confirmedAt) {
      state.batch = batch;
      state.confirmedAt = readAt;
    }
    const retryable = state.failedAt === undefined || readAt - state.failedAt >= INDEX_RETRY_MS;
    if (!state.index && !state.building && retryable) {
      const indexed = state;
      const building = this.buildReceiptIndex(batch)
        .then((index) => {
          if (this.receiptIndexes.get(batch.id) === indexed && index) indexed.index = index;
        })
        .catch((error: unknown) => {
          indexed.failedAt = Date.now();
          onIndexError(error);
        })
        .finally(() => {
          if (indexed.building === building) indexed.building = undefined;
        });
      indexed.building = building;
    }
  }

  /** Resolves once the batch's receipt index is built (or its build failed): for tests. */
  async receiptIndexSettled(batchId: string): Promise<boolean> {
    await this.receiptIndexes.get(batchId)?.building;
    return this.receiptIndexes.get(batchId)?.index !== undefined;
  }

  /**
   * Whether submissions up to `lastSeq` come from more than one tenant. Read once per process in
   * ranges of seq and remembered (sealed ranges do not change); once two tenants are
   * seen, the answer stays yes without asking.
   */
  private async severalTenantsThrough(lastSeq: number): Promise<boolean> {
    const scan = this.tenantScan;
    while (scan.tenants.size < 2 && scan.throughSeq < lastSeq) {
      const from = scan.throughSeq;
      const to = Math.min(lastSeq, from + INDEX_READ_CHUNK);
      for (const tenant of await this.store.findSubmittingTenants(from, to)) scan.tenants.add(tenant);
      scan.throughSeq = Math.max(scan.throughSeq, to);
    }
    return scan.tenants.size >= 2;
  }

  private async buildReceiptIndex(batch: BatchRecord): Promise<BatchReceiptIndex | undefined> {
    const times: SubmissionTimeRuns[] = [];
    const resubmittedSeqs = new Set<number>();
    // One tenant only: no document can have an earlier submission by another (the common case, and
    // the check below is an index probe per document).
    const severalTenants = await this.severalTenantsThrough(batch.lastSeq);
    for (let from = batch.firstSeq; from <= batch.lastSeq; from += INDEX_READ_CHUNK) {
      const to = Math.min(batch.lastSeq, from + INDEX_READ_CHUNK - 1);
      times.push(await this.store.readSubmissionTimes(from, to));
      if (severalTenants) for (const seq of await this.store.findResubmittedSeqs(from, to, batch.firstSeq)) resubmittedSeqs.add(seq);
    }
    const entry = this.entries.get(batch.id);
    if (!entry) return undefined; // evicted meanwhile
    return BatchReceiptIndex.build({ tree: entry.tree, seqs: entry.seqs, times: concatRuns(times), resubmittedSeqs });
  }

  /**
   * The leaf index and audit path of submission `seq` (whose leaf hash is `leafHash`) in `batch`.
   * From the cached tree when there is one; otherwise, for a batch sealed with subtree roots, from the
   * one subtree holding it (batch-subtrees.ts) while the whole tree loads in the background for the
   * receipts that follow, so the first receipt after a restart does not wait for a million leaves.
   */
  async proofOf(batch: BatchRecord, seq: number, leafHash: Uint8Array): Promise<LeafProof> {
    if (!this.entries.has(batch.id)) {
      const subtrees = await this.store.readBatchSubtrees(batch.id);
      if (subtrees) {
        const { index, firstSeq, lastSeq } = subtreeOfSeq(subtrees, seq, batch.lastSeq);
        const leaves = await this.store.loadBatchLeaves({ firstSeq, lastSeq });
        const proof = proofFromSubtree(subtrees, index, leaves, batch, seq, leafHash, batch.logCommitment?.leaf);
        // Only now: the embedded database has one connection, and this proof should not queue behind
        // the whole batch. Proofs asked for while it loads come from their subtrees too.
        if (!this.loading.has(batch.id)) this.get(batch).catch((error: unknown) => this.onBackgroundLoadError(error, batch));
        return proof;
      }
    }
    const { tree, seqs } = await this.get(batch);
    return proofFromTree(tree, batch, leafIndexOf(seqs, seq), leafHash);
  }

  /** The batch's tree; rebuilt from the store when not cached, and checked against the sealed root. */
  async get(batch: BatchRecord): Promise<BatchTree> {
    const cached = this.entries.get(batch.id);
    if (cached) {
      this.entries.delete(batch.id);
      this.entries.set(batch.id, cached);
      return cached;
    }
    // Concurrent misses on one batch share a single load: rebuilding a large batch costs seconds.
    let loading = this.loading.get(batch.id);
    if (!loading) {
      loading = this.load(batch).finally(() => this.loading.delete(batch.id));
      this.loading.set(batch.id, loading);
    }
    return loading;
  }

  private async load(batch: BatchRecord): Promise<BatchTree> {
    const entry = BatchTreeCache.build(await this.store.loadBatchLeaves(batch), batch.logCommitment?.leaf);
    if (entry.tree.size !== batch.treeSize || !equalBytes(entry.tree.root, batch.root)) {
      throw new Error(`batch ${batch.id}: leaves in the store no longer hash to the sealed root`);
    }
    this.remember(batch.id, entry);
    return entry;
  }
}

/** Throws unless leaf `leafIndex` of the batch's tree is the document whose leaf hash is given. */
export function checkLeafOf(tree: MerkleTree, batch: Pick<BatchRecord, 'id' | 'treeSize'>, leafIndex: number, leafHash: Uint8Array): void {
  if (leafIndex < 0 || tree.size !== batch.treeSize || !tree.leafHashEquals(leafIndex, leafHash)) {
    throw new Error(`leaf ${leafIndex} of batch ${batch.id} is not the document asked for`);
  }
}

/**
 * The proof of leaf `leafIndex` in a batch's whole tree. Never a proof that does not lead to the
 * anchored root: the tree's root is the batch's (sealing took it from this tree, and a tree rebuilt
 * from the store is checked against it before it is cached), so what can go wrong per proof is the
 * leaf, checked here, not re-hashing the path.
 */
export function proofFromTree(tree: MerkleTree, batch: Pick<BatchRecord, 'id' | 'treeSize'>, leafIndex: number, leafHash: Uint8Array): LeafProof {
  checkLeafOf(tree, batch, leafIndex, leafHash);
  const auditPath = Buffer.allocUnsafe(tree.auditPathLength(leafIndex) * 32);
  tree.writeAuditPath(leafIndex, auditPath, 0);
  return { leafIndex, auditPath };
}

/** Leaf index of a submission in its batch, by binary search over the ordered seqs. */
export function leafIndexOf(seqs: readonly number[], seq: number): number {
  let low = 0;
  let high = seqs.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const value = seqs[mid]!;
    if (value === seq) return mid;
    if (value < seq) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

function concatRuns(parts: SubmissionTimeRuns[]): SubmissionTimeRuns {
  const count = parts.reduce((n, part) => n + part.seqs.length, 0);
  const runs: SubmissionTimeRuns = { seqs: new Float64Array(count), times: new Float64Array(count) };
  let offset = 0;
  for (const part of parts) {
    runs.seqs.set(part.seqs, offset);
    runs.times.set(part.times, offset);
    offset += part.seqs.length;
  }
  return runs;
}
