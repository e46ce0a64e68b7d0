// Which leaf of a cached batch tree a document is, without asking the store: an open-addressing
// table over the tree's own leaf hashes (4 bytes a slot, the leaves stay in the tree), plus the
// acknowledgement times of the batch's submissions. With it, a receipt of an anchored batch whose
// tree is in memory costs one SHA-256 and a few array reads instead of a database round trip.
import { hashPrefix, type MerkleTree } from '../core/merkle/tree';
import type { SubmissionTimeRuns } from './submission';

export interface BatchReceiptIndexSource {
  tree: MerkleTree;
  /** Submission sequence numbers in leaf order. */
  seqs: readonly number[];
  times: SubmissionTimeRuns;
  /**
   * Submissions whose document was submitted earlier by another tenant: their document's receipt is
   * that earlier submission's, so they are left out and looked up in the store.
   */
  resubmittedSeqs: ReadonlySet<number>;
}

/** A document's place in the batch: its leaf and its submission. */
export interface IndexedLeaf {
  leafIndex: number;
  seq: number;
  /** Epoch milliseconds. */
  submittedAt: number;
}

/** Leaves inserted between turns of the event loop: filling the table is memory-bound, about 5 ms a slice. */
const LEAVES_PER_SLICE = 32_768;

export class BatchReceiptIndex {
  /** Leaf index + 1 per slot, 0 when empty; at most half full. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  private constructor(private readonly source: BatchReceiptIndexSource) {
    let capacity = 8;
    while (capacity < 2 * source.tree.size) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Indexes a batch tree, yielding to the event loop between slices so requests keep flowing. */
  static async build(source: BatchReceiptIndexSource): Promise<BatchReceiptIndex> {
    const { tree, seqs, resubmittedSeqs } = source;
    // One leaf more than documents: the log commitment, which is no document and is not indexed.
    if (seqs.length !== tree.size && seqs.length + 1 !== tree.size) throw new Error(`${seqs.length} sequence numbers for a tree of ${tree.size} leaves`);
    const index = new BatchReceiptIndex(source);
    const prefixes = tree.leafHashPrefixes().subarray(0, seqs.length);
    for (let start = 0; start < prefixes.length; start += LEAVES_PER_SLICE) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      index.insert(prefixes, Math.min(prefixes.length, start + LEAVES_PER_SLICE), start, resubmittedSeqs);
    }
    return index;
  }

  private insert(prefixes: Uint32Array, end: number, start: number, resubmittedSeqs: ReadonlySet<number>): void {
    const { tree, seqs } = this.source;
    const slots = this.slots;
    const mask = this.mask;
    for (let leaf = start; leaf < end; leaf++) {
      if (resubmittedSeqs.size > 0 && resubmittedSeqs.has(seqs[leaf]!)) continue;
      const prefix = prefixes[leaf]!;
      let slot = prefix & mask;
      let duplicate = false;
      for (let taken = slots[slot]!; taken !== 0; taken = slots[slot]!) {
        // The same document twice in one batch (two tenants): the earlier leaf is its receipt.
        if (prefixes[taken - 1] === prefix && tree.leafHashEquals(leaf, tree.leafHash(taken - 1))) {
          duplicate = true;
          break;
        }
        slot = (slot + 1) & mask;
      }
      if (!duplicate) slots[slot] = leaf + 1;
    }
  }

  /** The leaf whose hash is `leafHash` (SHA-256(0x00 ‖ multihash)), or undefined. */
  find(leafHash: Uint8Array): IndexedLeaf | undefined {
    if (leafHash.length !== 32) return undefined;
    const { tree, seqs } = this.source;
    let slot = hashPrefix(leafHash) & this.mask;
    for (let taken = this.slots[slot]!; taken !== 0; taken = this.slots[slot]!) {
      if (tree.leafHashEquals(taken - 1, leafHash)) {
        const seq = seqs[taken - 1]!;
        return { leafIndex: taken - 1, seq, submittedAt: timeOf(this.source.times, seq) };
      }
      slot = (slot + 1) & this.mask;
    }
    return undefined;
  }

  /** The tree the leaves are found in. */
  get tree(): MerkleTree {
    return this.source.tree;
  }

}

/** The time of the run holding `seq`: the last run starting at or before it. */
function timeOf(runs: SubmissionTimeRuns, seq: number): number {
  let low = 0;
  let high = runs.seqs.length - 1;
  if (high < 0 || runs.seqs[0]! > seq) throw new Error(`no acknowledgement time known for submission ${seq}`);
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (runs.seqs[mid]! <= seq) low = mid;
    else high = mid - 1;
  }
  return runs.times[low]!;
}
