// An append-only RFC 9162 Merkle tree that keeps every complete subtree hash, so that the tree
// head, inclusion proofs and consistency proofs of ANY earlier size are a few reads and at most a
// few dozen hashes: what a transparency log serves (docs/transparency-log.md). Checking the proofs
// needs no tree: proof.ts (inclusion) and consistency.ts.
import { InvalidMerkleArgumentError } from '../errors';
import { defaultMerkleHasher, type MerkleHasher } from './hasher';
import { hashChildren, hashLeaf } from './tree';

const NODE_BYTES = 32;
/** MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1). */
const EMPTY_ROOT = Uint8Array.from([
  0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
  0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

/** The largest power of two strictly below `n` (n ≥ 2): RFC 9162's split point `k`. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The log's tree. Level `l` holds MTH of each complete, aligned run of 2^l leaves, so memory is
 * about 64 bytes a leaf; any subtree the RFC's algorithms ask for is either one stored node or is
 * combined from O(log n) of them.
 */
export class MerkleLogTree {
  private readonly levels: Uint8Array[] = [];
  private readonly counts: number[] = [];

  constructor(private readonly hasher: MerkleHasher = defaultMerkleHasher) {}

  /** Number of leaves. */
  get size(): number {
    return this.counts[0] ?? 0;
  }

  /** Appends a leaf by its data (leaf hash SHA-256(0x00 ‖ data)). */
  appendLeafData(data: Uint8Array): void {
    this.appendLeafHash(hashLeaf(data, this.hasher));
  }

  /** Appends a leaf by its leaf hash, and the complete subtrees it finishes. */
  appendLeafHash(leafHash: Uint8Array): void {
    if (leafHash.length !== NODE_BYTES) throw new InvalidMerkleArgumentError(`a leaf hash is 32 bytes, got ${leafHash.length}`);
    let node = leafHash;
    for (let level = 0; ; level++) {
      const index = this.push(level, node);
      if (index % 2 === 0) return;
      node = hashChildren(this.node(level, index - 1), node, this.hasher);
    }
  }

  /** The leaf hash at `index`. */
  leafHash(index: number): Uint8Array {
    this.checkRange(index, index + 1, this.size);
    return this.node(0, index).slice();
  }

  /** MTH of the first `size` leaves (the tree head at that size). */
  root(size: number = this.size): Uint8Array {
    this.checkSize(size);
    return size === 0 ? EMPTY_ROOT.slice() : this.subtree(0, size).slice();
  }

  /** RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf level first. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.checkSize(size);
    this.checkRange(index, index + 1, size);
    const path: Uint8Array[] = [];
    this.path(index, 0, size, path);
    return path;
  }

  /** RFC 9162 §2.1.4.1 PROOF(size1, D[size2]); empty when the sizes are equal or size1 is 0. */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.checkSize(size2);
    if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) {
      throw new InvalidMerkleArgumentError(`no consistency proof from size ${size1} to size ${size2}`);
    }
    const proof: Uint8Array[] = [];
    if (size1 > 0) this.subproof(size1, 0, size2, true, proof);
    return proof;
  }

  /** MTH(D[start:end]) from stored complete subtrees. */
  private subtree(start: number, end: number): Uint8Array {
    const n = end - start;
    if ((n & (n - 1)) === 0 && n <= 2 ** 30 && start % n === 0) {
      const level = Math.log2(n);
      if (start / n < (this.counts[level] ?? 0)) return this.node(level, start / n);
    }
    const k = splitPoint(n);
    return hashChildren(this.subtree(start, start + k), this.subtree(start + k, end), this.hasher);
  }

  private path(index: number, start: number, end: number, out: Uint8Array[]): void {
    if (end - start <= 1) return;
    const k = splitPoint(end - start);
    if (index < start + k) {
      this.path(index, start, start + k, out);
      out.push(this.subtree(start + k, end));
    } else {
      this.path(index, start + k, end, out);
      out.push(this.subtree(start, start + k));
    }
  }

  /** SUBPROOF(m, D[start:end], b), m counted from `start`. */
  private subproof(m: number, start: number, end: number, complete: boolean, out: Uint8Array[]): void {
    const n = end - start;
    if (m === n) {
      if (!complete) out.push(this.subtree(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, start + k, complete, out);
      out.push(this.subtree(start + k, end));
    } else {
      this.subproof(m - k, start + k, end, false, out);
      out.push(this.subtree(start, start + k));
    }
  }

  private push(level: number, node: Uint8Array): number {
    const count = this.counts[level] ?? 0;
    let buffer = this.levels[level];
    if (!buffer || buffer.length < (count + 1) * NODE_BYTES) {
      const grown = new Uint8Array(Math.max(64, (count + 1) * 2) * NODE_BYTES);
      if (buffer) grown.set(buffer.subarray(0, count * NODE_BYTES));
      this.levels[level] = buffer = grown;
    }
    buffer.set(node, count * NODE_BYTES);
    this.counts[level] = count + 1;
    return count;
  }

  private node(level: number, index: number): Uint8Array {
    return this.levels[level]!.subarray(index * NODE_BYTES, (index + 1) * NODE_BYTES);
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new InvalidMerkleArgumentError(`size ${size} is not between 0 and the log's ${this.size} leaves`, { size, logSize: this.size });
    }
  }

  private checkRange(start: number, end: number, size: number): void {
    if (!Number.isSafeInteger(start) || start < 0 || end > size) {
      throw new InvalidMerkleArgumentError(`leaf ${start} is outside a tree of ${size} leaves`, { index: start, size });
    }
  }
}
