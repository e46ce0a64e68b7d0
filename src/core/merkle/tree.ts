// RFC 9162 §2.1 Merkle trees over SHA-256 (docs/architecture.md, "Documents and trees"): building a
// tree with every level kept in one flat buffer, and the inclusion proofs it gives. Checking a proof
// needs no tree: proof.ts.
import { InvalidMerkleArgumentError } from '../errors';
import { hexToBytes } from '../hex';
import { defaultMerkleHasher, type MerkleHasher } from './hasher';

const NODE_BYTES = 32;
const WORDS_PER_NODE = NODE_BYTES / 4;
const DOUBLES_PER_NODE = NODE_BYTES / 8;

/** MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1). */
const EMPTY_TREE_ROOT = hexToBytes('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

/** Leaf hash SHA-256(0x00 ‖ leafData). */
export function hashLeaf(leafData: Uint8Array, hasher: MerkleHasher = defaultMerkleHasher): Uint8Array {
  const out = new Uint8Array(NODE_BYTES);
  hasher.hashLeaves([leafData], out);
  return out;
}

/** The four bytes of a hash at `offset` as an unsigned big-endian integer (a hash-table key). */
export function hashPrefix(hash: Uint8Array, offset = 0): number {
  return ((hash[offset]! << 24) | (hash[offset + 1]! << 16) | (hash[offset + 2]! << 8) | hash[offset + 3]!) >>> 0;
}

/** Interior node hash SHA-256(0x01 ‖ left ‖ right); both children must be 32 bytes. */
export function hashChildren(left: Uint8Array, right: Uint8Array, hasher: MerkleHasher = defaultMerkleHasher): Uint8Array {
  if (left.length !== NODE_BYTES || right.length !== NODE_BYTES) {
    throw new InvalidMerkleArgumentError(
      `child hashes must be 32 bytes, got ${left.length} and ${right.length}`,
      { leftLength: left.length, rightLength: right.length },
    );
  }
  const pair = new Uint8Array(2 * NODE_BYTES);
  pair.set(left, 0);
  pair.set(right, NODE_BYTES);
  const out = new Uint8Array(NODE_BYTES);
  hasher.hashNodePairs(pair, 1, out);
  return out;
}

/** Where each level of a tree sits in its node buffer: leaves first, the one-node root level last. */
export interface MerkleTreeLayout {
  /** Number of leaves. */
  readonly size: number;
  /** Index (in nodes) of the first node of each level. */
  readonly levelStarts: readonly number[];
  readonly levelSizes: readonly number[];
  /** Nodes of all levels together; the buffer holds 32 bytes per node. */
  readonly nodeCount: number;
}

/** The layout of a tree of `size` leaves: each level half the one below, rounded up. */
export function merkleTreeLayout(size: number): MerkleTreeLayout {
  const levelSizes: number[] = [];
  const levelStarts: number[] = [];
  let nodeCount = 0;
  let levelSize = size;
  while (levelSize > 0) {
    levelStarts.push(nodeCount);
    levelSizes.push(levelSize);
    nodeCount += levelSize;
    if (levelSize === 1) break;
    levelSize = Math.ceil(levelSize / 2);
  }
  return { size, levelStarts, levelSizes, nodeCount };
}

/**
 * Fills a tree's node buffer. `buildMerkleTree` hashes level by level on the calling thread; another
 * builder may share the levels out (Node worker threads, say) as long as it writes the same bytes.
 */
export interface MerkleTreeBuilder {
  /** The buffer for the nodes, 32 bytes each, zeroed. */
  allocate(byteLength: number): Uint8Array;
  /** Writes the leaf hashes of `leafData` to level 0 and every level's parents above it. */
  fill(leafData: readonly Uint8Array[], nodes: Uint8Array, layout: MerkleTreeLayout): void;
}

/**
 * Hashes the parents on levels fromLevel+1 .. toLevel of the nodes that cover leaves [firstLeaf,
 * endLeaf), reading level fromLevel. firstLeaf must be a multiple of 2^toLevel and endLeaf too, or the
 * tree size: then the range's pairs are the tree's pairs, and disjoint ranges can be hashed apart.
 */
export function hashMerkleLevels(
  nodes: Uint8Array,
  layout: MerkleTreeLayout,
  hasher: MerkleHasher,
  firstLeaf: number,
  endLeaf: number,
  fromLevel: number,
  toLevel: number,
): void {
  const { levelStarts, levelSizes } = layout;
  const span = 2 ** toLevel;
  if (
    toLevel >= levelSizes.length ||
    fromLevel < 0 ||
    firstLeaf % span !== 0 ||
    (endLeaf % span !== 0 && endLeaf !== layout.size) ||
    endLeaf > layout.size ||
    firstLeaf > endLeaf
  ) {
    throw new InvalidMerkleArgumentError(
      `leaves [${firstLeaf}, ${endLeaf}) on levels ${fromLevel}..${toLevel} do not cut a ${layout.size}-leaf tree between subtrees`,
    );
  }
  for (let level = fromLevel; level < toLevel; level++) {
    const first = firstLeaf / 2 ** level;
    const count = Math.ceil(endLeaf / 2 ** level) - first;
    const start = (levelStarts[level] + first) * NODE_BYTES;
    const parentStart = (levelStarts[level + 1] + first / 2) * NODE_BYTES;
    const pairCount = Math.floor(count / 2);
    hasher.hashNodePairs(
      nodes.subarray(start, start + 2 * pairCount * NODE_BYTES),
      pairCount,
      nodes.subarray(parentStart, parentStart + pairCount * NODE_BYTES),
    );
    if (count % 2 === 1) {
      // Only the level's last node can be unpaired: it passes up unchanged (RFC 9162's split at the
      // largest power of two below n).
      const last = start + 2 * pairCount * NODE_BYTES;
      nodes.copyWithin(parentStart + pairCount * NODE_BYTES, last, last + NODE_BYTES);
    }
  }
}

/** Level by level on the calling thread, with `hasher`. */
function sequentialBuilder(hasher: MerkleHasher): MerkleTreeBuilder {
  return {
    allocate: (byteLength) => new Uint8Array(byteLength),
    fill(leafData, nodes, layout) {
      hasher.hashLeaves(leafData, nodes.subarray(0, layout.size * NODE_BYTES));
      hashMerkleLevels(nodes, layout, hasher, 0, layout.size, 0, layout.levelSizes.length - 1);
    },
  };
}

/**
 * A built tree. Levels are stored bottom-up in one buffer; a level with an odd number of nodes passes
 * its last node up unchanged, which yields exactly RFC 9162's left-balanced tree (split at the largest
 * power of two below n), so proofs are reads, not hashing.
 */
export class MerkleTree {
  /** Number of leaves. */
  readonly size: number;
  private readonly nodes: Uint8Array;
  /** The same memory as `nodes`, for copying proofs a word at a time. */
  private readonly nodeWords: Int32Array;
  /** Index (in nodes) of the first node of each level, leaves first; the root level has one node. */
  private readonly levelStarts: readonly number[];
  private readonly levelSizes: readonly number[];
  /** The same memory again, 8 bytes per element; undefined if the buffer is not 8-byte aligned. */
  private readonly nodeDoubles: Float64Array | undefined;
  /** For writeAuditPath: the level sizes, and each level's start in elements of `nodeDoubles`. */
  private readonly levelSizeTable: Int32Array;
  private readonly levelDoubleStarts: Int32Array;

  /** Use `buildMerkleTree`. `builder` defaults to hashing level by level with `hasher`. */
  constructor(leafData: readonly Uint8Array[], hasher: MerkleHasher, builder: MerkleTreeBuilder = sequentialBuilder(hasher)) {
    const layout = merkleTreeLayout(leafData.length);
    this.size = layout.size;
    this.levelStarts = layout.levelStarts;
    this.levelSizes = layout.levelSizes;
    this.levelSizeTable = Int32Array.from(layout.levelSizes);
    this.levelDoubleStarts = Int32Array.from(layout.levelStarts, (start) => start * DOUBLES_PER_NODE);
    this.nodes = builder.allocate(layout.nodeCount * NODE_BYTES);
    if (this.nodes.byteOffset % 4 !== 0 || this.nodes.length !== layout.nodeCount * NODE_BYTES) {
      throw new InvalidMerkleArgumentError('a tree builder allocated a misaligned or wrongly sized node buffer');
    }
    this.nodeWords = new Int32Array(this.nodes.buffer, this.nodes.byteOffset, this.nodes.length / 4);
    this.nodeDoubles = this.nodes.byteOffset % 8 === 0 ? new Float64Array(this.nodes.buffer, this.nodes.byteOffset, this.nodes.length / 8) : undefined;
    if (this.size > 0) builder.fill(leafData, this.nodes, layout);
  }

  /** The tree head MTH(D[n]); SHA-256('') for the empty tree. A fresh copy. */
  get root(): Uint8Array {
    if (this.size === 0) return EMPTY_TREE_ROOT.slice();
    const start = this.levelStarts[this.levelStarts.length - 1] * NODE_BYTES;
    return this.nodes.slice(start, start + NODE_BYTES);
  }

  /** SHA-256(0x00 ‖ d) of leaf `leafIndex`. */
  leafHash(leafIndex: number): Uint8Array {
    this.checkLeafIndex(leafIndex);
    return this.nodes.slice(leafIndex * NODE_BYTES, (leafIndex + 1) * NODE_BYTES);
  }

  /**
   * A copy of the nodes of `level` (0: the leaf hashes), 32 bytes each, left to right. Level l holds
   * the roots of the tree's aligned 2^l-leaf subtrees (the last one may cover fewer leaves).
   */
  levelNodes(level: number): Uint8Array {
    if (!Number.isInteger(level) || level < 0 || level >= this.levelSizes.length) {
      throw new InvalidMerkleArgumentError(`level ${level} is outside a tree of ${this.levelSizes.length} levels`, { level });
    }
    const start = this.levelStarts[level] * NODE_BYTES;
    return this.nodes.slice(start, start + this.levelSizes[level] * NODE_BYTES);
  }

  /** The first four bytes of every leaf hash as unsigned integers: SHA-256 output, so ready hash-table keys. */
  leafHashPrefixes(): Uint32Array {
    const prefixes = new Uint32Array(this.size);
    const nodes = this.nodes;
    for (let leaf = 0; leaf < prefixes.length; leaf++) prefixes[leaf] = hashPrefix(nodes, leaf * NODE_BYTES);
    return prefixes;
  }

  /** Whether leaf `leafIndex` hashes to `leafHash`: a lookup's check without copying the leaf out. */
  leafHashEquals(leafIndex: number, leafHash: Uint8Array): boolean {
    this.checkLeafIndex(leafIndex);
    if (leafHash.length !== NODE_BYTES) return false;
    const start = leafIndex * NODE_BYTES;
    for (let i = 0; i < NODE_BYTES; i++) if (this.nodes[start + i] !== leafHash[i]) return false;
    return true;
  }

  /** The audit path PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf level first; copies, not views of the tree. */
  inclusionProof(leafIndex: number): Uint8Array[] {
    const flat = new Uint8Array(this.auditPathLength(leafIndex) * NODE_BYTES);
    const count = this.writeAuditPath(leafIndex, flat, 0);
    const path: Uint8Array[] = [];
    for (let i = 0; i < count; i++) path.push(flat.subarray(i * NODE_BYTES, (i + 1) * NODE_BYTES));
    return path;
  }

  /** Number of nodes in the audit path of `leafIndex`. */
  auditPathLength(leafIndex: number): number {
    this.checkLeafIndex(leafIndex);
    let count = 0;
    let index = leafIndex;
    for (let level = 0; level + 1 < this.levelSizes.length; level++) {
      if ((index ^ 1) < this.levelSizes[level]) count++;
      index >>>= 1;
    }
    return count;
  }

  /**
   * Writes the audit path of `leafIndex` to `out` from `offset` on, 32 bytes per node, and returns the
   * node count. For callers that serialise many proofs: no allocation, one walk up the levels, and
   * 8 or 4 bytes per move when `out` is aligned there.
   */
  writeAuditPath(leafIndex: number, out: Uint8Array, offset = 0): number {
    const levels = this.levelSizes.length - 1;
    // Fast checks first (integers within int32, the longest path fits); the exact ones only otherwise.
    if (!(leafIndex >= 0 && leafIndex < this.size && (leafIndex | 0) === leafIndex)) this.checkLeafIndex(leafIndex);
    if (!(offset >= 0 && (offset | 0) === offset && offset + levels * NODE_BYTES <= out.length)) {
      const needed = this.auditPathLength(leafIndex) * NODE_BYTES;
      if (!Number.isInteger(offset) || offset < 0 || offset + needed > out.length) {
        throw new InvalidMerkleArgumentError(
          `the audit path of leaf ${leafIndex} needs ${needed} bytes at offset ${offset} of a ${out.length}-byte buffer`,
          { leafIndex },
        );
      }
    }
    const sizes = this.levelSizeTable;
    let written = 0;
    let index = leafIndex;
    const byteStart = out.byteOffset + offset;
    const doubles = this.nodeDoubles;
    if (byteStart % 8 === 0 && doubles !== undefined) {
      // Eight bytes per move (copyNode).
      const outDoubles = doublesOf(out.buffer);
      const outWords = wordsOf(out.buffer);
      const doubleStarts = this.levelDoubleStarts;
      let to = byteStart >> 3;
      for (let level = 0; level < levels; level++) {
        const sibling = index ^ 1;
        if (sibling < sizes[level]) {
          copyNode(doubles, this.nodeWords, doubleStarts[level] + sibling * DOUBLES_PER_NODE, outDoubles, outWords, to);
          to += DOUBLES_PER_NODE;
          written++;
        }
        index >>>= 1;
      }
      return written;
    }
    if (byteStart % 4 === 0) {
      const outWords = wordsOf(out.buffer);
      const words = this.nodeWords;
      const doubleStarts = this.levelDoubleStarts;
      let to = byteStart >> 2;
      for (let level = 0; level < levels; level++) {
        const sibling = index ^ 1;
        if (sibling < sizes[level]) {
          copyNodeWords(words, 2 * (doubleStarts[level] + sibling * DOUBLES_PER_NODE), outWords, to);
          to += WORDS_PER_NODE;
          written++;
        }
        index >>>= 1;
      }
      return written;
    }
    for (let level = 0; level < levels; level++) {
      const sibling = index ^ 1;
      if (sibling < sizes[level]) {
        const from = (this.levelStarts[level] + sibling) * NODE_BYTES;
        const to = offset + written * NODE_BYTES;
        for (let i = 0; i < NODE_BYTES; i++) out[to + i] = this.nodes[from + i];
        written++;
      }
      index >>>= 1;
    }
    return written;
  }

  /**
   * Calls `visit` with the audit path of every leaf in [from, to), in leaf order: the bytes
   * `writeAuditPath(leafIndex, …)` would write, `nodeCount` nodes of 32 bytes. `path` is one buffer
   * owned by this call and rewritten between callbacks: it is valid only during the callback (copy it
   * to keep it) and must not be modified (later paths reuse its bytes). Its length is exactly
   * nodeCount * 32.
   *
   * Why: consecutive leaves share most of their path. From leaf i-1 to i only the siblings on the
   * levels below bitlength(i ^ (i-1)) change, about two on average, so exporting or checking every
   * receipt of a batch costs about two node copies per proof instead of one per level (twenty at
   * 2^20). The exception is where a level loses its sibling (the last node of an odd-sized level, near
   * the right edge of a tree whose size is not a power of two): the nodes above it move down one
   * place, so that path is written whole. Such gaps only appear, never vanish, as the leaf index grows
   * (an odd-sized level l has one from the largest multiple of 2^l below the size on), so a walk
   * writes at most one whole path per level besides its first.
   */
  forEachAuditPath(visit: (leafIndex: number, path: Uint8Array, nodeCount: number) => void, from = 0, to: number = this.size): void {
    if (typeof visit !== 'function') throw new InvalidMerkleArgumentError('forEachAuditPath needs a callback');
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > this.size || from > to) {
      throw new InvalidMerkleArgumentError(`leaf range [${from}, ${to}) is not within a tree of ${this.size} leaves`, {
        treeSize: this.size,
      });
    }
    if (from === to) return;
    const levels = this.levelSizes.length - 1;
    const sizes = this.levelSizeTable;
    const buffer = new Uint8Array(levels * NODE_BYTES);
    // One view per node count, so `path` has the path's length without an allocation per leaf.
    const views: Uint8Array[] = [];
    for (let count = 0; count <= levels; count++) views.push(buffer.subarray(0, count * NODE_BYTES));

    // The leaves at which a level loses its sibling, ascending: level l at (sizes[l] - 1) * 2^l, the
    // largest multiple of 2^l below the size, if sizes[l] is odd. Higher levels come first.
    const gapLeaves: number[] = [];
    for (let level = levels - 1; level >= 0; level--) {
      const gapLeaf = (sizes[level] - 1) * 2 ** level;
      if (sizes[level] % 2 === 1 && gapLeaf > from) gapLeaves.push(gapLeaf);
    }
    let nextGap = 0;
    let nextGapLeaf = gapLeaves.length > 0 ? gapLeaves[0] : to;

    let count = this.writeAuditPath(from, buffer, 0);
    visit(from, views[count], count);
    const doubles = this.nodeDoubles;
    const doubleStarts = this.levelDoubleStarts;
    const words = this.nodeWords;
    // The buffer is fresh, hence 8-byte aligned: whole nodes go by copyNode, or as eight words if the
    // tree's buffer is not 8-byte aligned.
    const outDoubles = new Float64Array(buffer.buffer);
    const outWords = new Int32Array(buffer.buffer);
    for (let leafIndex = from + 1; leafIndex < to; leafIndex++) {
      if (leafIndex >= nextGapLeaf) {
        // A level lost its sibling: the nodes above it move one place down. Whole path.
        while (nextGap < gapLeaves.length && gapLeaves[nextGap] <= leafIndex) nextGap++;
        nextGapLeaf = nextGap < gapLeaves.length ? gapLeaves[nextGap] : to;
        count = this.writeAuditPath(leafIndex, buffer, 0);
      } else {
        // Only the levels below `changed` have another node index than for the previous leaf, a larger
        // one. None of them lacks a sibling: that would be the level's last node, and a gap the previous
        // leaf did not have (it had a smaller index there), i.e. a new gap, handled above. So level l
        // sits at position l, and the nodes above, with the same gaps below them, stay where they are.
        const changed = 32 - Math.clz32(leafIndex ^ (leafIndex - 1));
        let index = leafIndex;
        for (let level = 0; level < changed; level++) {
          const from8 = doubleStarts[level] + (index ^ 1) * DOUBLES_PER_NODE;
          const to8 = level * DOUBLES_PER_NODE;
          if (doubles !== undefined) copyNode(doubles, words, from8, outDoubles, outWords, to8);
          else copyNodeWords(words, 2 * from8, outWords, 2 * to8);
          index >>>= 1;
        }
      }
      visit(leafIndex, views[count], count);
    }
  }

  private checkLeafIndex(leafIndex: number): void {
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.size) {
      throw new InvalidMerkleArgumentError(`leaf index ${leafIndex} is outside a tree of ${this.size} leaves`, {
        leafIndex,
        treeSize: this.size,
      });
    }
  }
}

let cachedWordsBuffer: ArrayBufferLike | undefined;
let cachedWords: Int32Array = new Int32Array(0);
let cachedDoublesBuffer: ArrayBufferLike | undefined;
let cachedDoubles: Float64Array = new Float64Array(0);

/** The Float64Array counterpart of `wordsOf`. */
function doublesOf(buffer: ArrayBufferLike): Float64Array {
  if (buffer !== cachedDoublesBuffer || cachedDoubles.length !== buffer.byteLength >> 3) {
    cachedDoubles = new Float64Array(buffer, 0, buffer.byteLength >> 3);
    cachedDoublesBuffer = buffer;
  }
  return cachedDoubles;
}

/**
 * Copies one node, four doubles from double `from8` to double `to8`. A double read from a
 * Float64Array is written back bit for bit unless it is a NaN, whose bits an engine may canonicalise;
 * a node holding one (about 1 in 500) goes as int32 words instead (`words`/`outWords`: the same memory).
 */
function copyNode(doubles: Float64Array, words: Int32Array, from8: number, outDoubles: Float64Array, outWords: Int32Array, to8: number): void {
  const a = doubles[from8];
  const b = doubles[from8 + 1];
  const c = doubles[from8 + 2];
  const d = doubles[from8 + 3];
  // `x === x` is false only for NaN: the cheapest test the copy loop can make per double.
  // eslint-disable-next-line no-self-compare
  if (a === a && b === b && c === c && d === d) {
    outDoubles[to8] = a;
    outDoubles[to8 + 1] = b;
    outDoubles[to8 + 2] = c;
    outDoubles[to8 + 3] = d;
  } else {
    copyNodeWords(words, 2 * from8, outWords, 2 * to8);
  }
}

/** Copies one node (8 words) from `from` in `words` to `to` in `outWords`. */
function copyNodeWords(words: Int32Array, from: number, outWords: Int32Array, to: number): void {
  // Unrolled: twice as fast as the loop on V8.
  outWords[to] = words[from];
  outWords[to + 1] = words[from + 1];
  outWords[to + 2] = words[from + 2];
  outWords[to + 3] = words[from + 3];
  outWords[to + 4] = words[from + 4];
  outWords[to + 5] = words[from + 5];
  outWords[to + 6] = words[from + 6];
  outWords[to + 7] = words[from + 7];
}

/**
 * An Int32Array over all of `buffer`. Callers writing many proofs reuse one buffer, so the view is kept
 * instead of allocated per proof (and remade if the buffer was resized).
 */
function wordsOf(buffer: ArrayBufferLike): Int32Array {
  if (buffer !== cachedWordsBuffer || cachedWords.length !== buffer.byteLength >> 2) {
    cachedWords = new Int32Array(buffer, 0, buffer.byteLength >> 2);
    cachedWordsBuffer = buffer;
  }
  return cachedWords;
}

/** Builds the RFC 9162 tree over `leafData` (for us: the documents' multihash bytes). */
export function buildMerkleTree(leafData: readonly Uint8Array[], hasher: MerkleHasher = defaultMerkleHasher): MerkleTree {
  return new MerkleTree(leafData, hasher);
}

/**
 * The tree above one level of a larger tree: its level 0 holds `nodeHashes` (32 bytes each, as
 * `levelNodes` gives them) instead of leaf hashes. Its root is the larger tree's root, and the audit
 * path of node i is the part of the larger tree's audit paths above that level, so a proof can be put
 * together from one subtree and this level without the whole tree.
 */
export function buildMerkleTreeOverNodes(nodeHashes: Uint8Array, hasher: MerkleHasher = defaultMerkleHasher): MerkleTree {
  if (nodeHashes.length === 0 || nodeHashes.length % NODE_BYTES !== 0) {
    throw new InvalidMerkleArgumentError(`node hashes must be a non-empty multiple of 32 bytes, got ${nodeHashes.length}`);
  }
  const count = nodeHashes.length / NODE_BYTES;
  return new MerkleTree(new Array<Uint8Array>(count), hasher, {
    allocate: (byteLength) => new Uint8Array(byteLength),
    fill(_leafData, nodes, layout) {
      nodes.set(nodeHashes, 0);
      hashMerkleLevels(nodes, layout, hasher, 0, layout.size, 0, layout.levelSizes.length - 1);
    },
  });
}

/** MTH(D[n]) of `leafData`. */
export function merkleRoot(leafData: readonly Uint8Array[], hasher: MerkleHasher = defaultMerkleHasher): Uint8Array {
  return buildMerkleTree(leafData, hasher).root;
}
