// The roots of a sealed batch's aligned 4,096-leaf subtrees, recorded with the batch. A tree not in
// memory (after a restart, or evicted) then gives its first receipt from one subtree's leaves and
// these roots, a few milliseconds, instead of reading and hashing the whole batch first (over a second
// for a million documents); the whole tree is loaded behind it for the receipts that follow.
import { equalBytes } from '../core/bytes';
import { InvalidMerkleArgumentError } from '../core/errors';
import { buildMerkleTree, buildMerkleTreeOverNodes, type MerkleTree } from '../core/merkle/tree';
import type { BatchLeaves } from './batch';

/** Subtrees of 2^12 leaves: a 1,000,000-document batch records 245 of them (about 10 KB). */
export const SUBTREE_HEIGHT = 12;
const NODE_BYTES = 32;

export interface BatchSubtrees {
  /** Each subtree covers 2^height leaves (the last one may cover fewer). */
  height: number;
  /** The submission sequence number of each subtree's first leaf, ascending. */
  firstSeqs: number[];
  /** Each subtree's root, 32 bytes each, in order. */
  roots: Uint8Array;
}

/** A leaf's place in its batch and its audit path, leaf level first, 32 bytes per node. */
export interface LeafProof {
  leafIndex: number;
  auditPath: Uint8Array;
}

/** The subtrees of a sealed tree, or null when the batch is one subtree or less (its whole tree is as cheap). */
export function subtreesOf(tree: MerkleTree, seqs: readonly number[], height = SUBTREE_HEIGHT): BatchSubtrees | null {
  const span = 2 ** height;
  if (tree.size <= span) return null;
  const firstSeqs: number[] = [];
  // A tree may end with one leaf that is no submission (the log commitment): a subtree holding only
  // it starts after the batch's last submission.
  for (let leaf = 0; leaf < tree.size; leaf += span) firstSeqs.push(leaf < seqs.length ? seqs[leaf]! : seqs[seqs.length - 1]! + 1);
  return { height, firstSeqs, roots: tree.levelNodes(height) };
}

/** Which subtree holds submission `seq`, and the sequence range to read its leaves from. */
export function subtreeOfSeq(subtrees: BatchSubtrees, seq: number, batchLastSeq: number): { index: number; firstSeq: number; lastSeq: number } {
  const { firstSeqs } = subtrees;
  let low = 0;
  let high = firstSeqs.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (firstSeqs[mid]! <= seq) low = mid;
    else high = mid - 1;
  }
  const lastSeq = low + 1 < firstSeqs.length ? firstSeqs[low + 1]! - 1 : batchLastSeq;
  return { index: low, firstSeq: firstSeqs[low]!, lastSeq };
}

/**
 * The proof of submission `seq` in a batch of `treeSize` leaves and root `batchRoot`, from the leaves
 * of subtree `index` and the recorded roots; `leafHash` is the document's. Everything it uses is
 * checked against what the seal recorded: the subtree's leaves must hash to its recorded root, the
 * roots to the batch root, and the submission's leaf to `leafHash`.
 */
export function proofFromSubtree(
  subtrees: BatchSubtrees,
  index: number,
  leaves: BatchLeaves,
  batch: { root: Uint8Array; treeSize: number },
  seq: number,
  leafHash: Uint8Array,
  /** The batch tree's last leaf when it is no submission (the log commitment): the last subtree ends with it. */
  trailingLeaf?: Uint8Array | null,
): LeafProof {
  const span = 2 ** subtrees.height;
  const count = subtrees.roots.length / NODE_BYTES;
  const last = index + 1 === count;
  const leafData = last && trailingLeaf ? [...leaves.multihashes, trailingLeaf] : leaves.multihashes;
  const expectedLeaves = last ? batch.treeSize - index * span : span;
  if (count !== Math.ceil(batch.treeSize / span) || leafData.length !== expectedLeaves) {
    throw new InvalidMerkleArgumentError(`subtree ${index} has ${leafData.length} leaves in the store, not the ${expectedLeaves} sealed`);
  }
  const subtree = buildMerkleTree(leafData);
  if (!equalBytes(subtree.root, subtrees.roots.subarray(index * NODE_BYTES, (index + 1) * NODE_BYTES))) {
    throw new InvalidMerkleArgumentError(`the leaves of subtree ${index} no longer hash to its sealed root`);
  }
  const above = buildMerkleTreeOverNodes(subtrees.roots);
  if (!equalBytes(above.root, batch.root)) throw new InvalidMerkleArgumentError('the recorded subtree roots do not hash to the batch root');
  const position = leaves.seqs.indexOf(seq);
  if (position < 0 || !subtree.leafHashEquals(position, leafHash)) {
    throw new InvalidMerkleArgumentError(`submission ${seq} is not the document asked for in subtree ${index}`);
  }
  const auditPath = new Uint8Array((subtree.auditPathLength(position) + above.auditPathLength(index)) * NODE_BYTES);
  const lower = subtree.writeAuditPath(position, auditPath, 0);
  above.writeAuditPath(index, auditPath, lower * NODE_BYTES);
  return { leafIndex: index * span + position, auditPath };
}

/** The stored form: height (1 byte), then per subtree its first sequence number (8 bytes, big-endian) and root. */
export function encodeBatchSubtrees(subtrees: BatchSubtrees): Uint8Array {
  const count = subtrees.firstSeqs.length;
  const bytes = Buffer.alloc(1 + count * (8 + NODE_BYTES));
  bytes[0] = subtrees.height;
  subtrees.firstSeqs.forEach((seq, i) => {
    const at = 1 + i * (8 + NODE_BYTES);
    bytes.writeBigUInt64BE(BigInt(seq), at);
    bytes.set(subtrees.roots.subarray(i * NODE_BYTES, (i + 1) * NODE_BYTES), at + 8);
  });
  return bytes;
}

export function decodeBatchSubtrees(stored: Uint8Array): BatchSubtrees {
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const count = (bytes.length - 1) / (8 + NODE_BYTES);
  if (bytes.length < 1 || !Number.isInteger(count)) throw new InvalidMerkleArgumentError(`stored batch subtrees of ${bytes.length} bytes do not split into entries`);
  const firstSeqs: number[] = [];
  const roots = new Uint8Array(count * NODE_BYTES);
  for (let i = 0; i < count; i++) {
    const at = 1 + i * (8 + NODE_BYTES);
    firstSeqs.push(Number(bytes.readBigUInt64BE(at)));
    roots.set(bytes.subarray(at + 8, at + 8 + NODE_BYTES), i * NODE_BYTES);
  }
  return { height: bytes[0]!, firstSeqs, roots };
}
