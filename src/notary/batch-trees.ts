// Merkle trees of sealed batches, rebuilt from the store on demand and kept in a small LRU,
// so a receipt's inclusion proof costs a lookup, not a rebuild.
import type { MerkleTree } from '../core/merkle';
import type { BatchLeaves, BatchRecord, SqlStore } from '../store/store';
import { buildMerkleTreeInParallel } from './parallel-merkle';

export interface BatchTree {
  tree: MerkleTree;
  /** Submission sequence numbers in leaf order: leaf index = position of a seq here. */
  seqs: number[];
}

/** Bounded by total leaves, not by count: one huge batch should not pin many others. */
export class BatchTreeCache {
  private readonly entries = new Map<string, BatchTree>();
  private readonly loading = new Map<string, Promise<BatchTree>>();
  private leaves = 0;

  constructor(
    private readonly store: SqlStore,
    private readonly maxLeaves = 4_000_000,
  ) {}

  /**
   * Builds the tree over a batch's leaves (sealing and cache misses share this). The core's default
   * hasher hashes whole levels in flat buffers (WebAssembly SIMD where available), and large batches
   * are split with a helper thread.
   */
  static build(leaves: BatchLeaves): BatchTree {
    return { tree: buildMerkleTreeInParallel(leaves.multihashes), seqs: leaves.seqs };
  }

  remember(batchId: string, entry: BatchTree): void {
    this.entries.delete(batchId);
    this.entries.set(batchId, entry);
    this.leaves += entry.seqs.length;
    for (const [id, old] of this.entries) {
      if (this.leaves <= this.maxLeaves || id === batchId) break;
      this.entries.delete(id);
      this.leaves -= old.seqs.length;
    }
  }

  forget(batchId: string): void {
    const entry = this.entries.get(batchId);
    if (!entry) return;
    this.entries.delete(batchId);
    this.leaves -= entry.seqs.length;
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
    const entry = BatchTreeCache.build(await this.store.loadBatchLeaves(batch));
    if (entry.seqs.length !== batch.treeSize || !sameBytes(entry.tree.root, batch.root)) {
      throw new Error(`batch ${batch.id}: leaves in the store no longer hash to the sealed root`);
    }
    this.remember(batch.id, entry);
    return entry;
  }
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
