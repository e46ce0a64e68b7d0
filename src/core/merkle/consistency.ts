// RFC 9162 §2.1.4.2: checking that a tree of size2 extends a tree of size1, from the two tree heads
// and a consistency proof, with no tree at hand. Proofs come from an untrusted log, so every
// malformed input is a failed result with a reason, never an exception.
import { defaultMerkleHasher, type MerkleHasher } from './hasher';
import { hashChildren } from './tree';

const NODE_BYTES = 32;
const EMPTY_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface ConsistencyProof {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

export type ConsistencyResult = { ok: true } | { ok: false; reason: string };

/** Whether `proof` shows that the tree (size2, root2) extends the tree (size1, root1). */
export function verifyConsistency(input: ConsistencyProof, hasher: MerkleHasher = defaultMerkleHasher): ConsistencyResult {
  const { size1, size2, root1, root2, proof } = input;
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < 0) {
    return fail(`sizes must be non-negative integers, got ${size1} and ${size2}`);
  }
  if (size1 > size2) return fail(`size1 ${size1} is larger than size2 ${size2}: a log never shrinks`);
  if (root1.length !== NODE_BYTES || root2.length !== NODE_BYTES) return fail('tree heads must be 32 bytes');
  const bad = proof.findIndex((node) => node.length !== NODE_BYTES);
  if (bad >= 0) return fail(`proof hash ${bad} is not 32 bytes`);
  if (size1 === size2) {
    if (proof.length !== 0) return fail('equal sizes need an empty proof');
    return equal(root1, root2) ? { ok: true } : fail('two different tree heads for the same size');
  }
  if (size1 === 0) {
    if (proof.length !== 0) return fail('a proof from the empty tree must be empty');
    return hex(root1) === EMPTY_ROOT_HEX ? { ok: true } : fail('the empty tree has another head');
  }
  // 1. An empty proof cannot link two different sizes.
  if (proof.length === 0) return fail('the proof is empty');
  // 2. If size1 is a power of two, its head is the first node of the walk.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3-4. fn and sn, with the common right-hand zeros of fn shifted away.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return fail(`the proof has ${path.length - i} hash(es) too many`);
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr, hasher);
      sr = hashChildren(c, sr, hasher);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c, hasher);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7.
  if (sn !== 0) return fail('the proof is too short for these sizes');
  if (!equal(fr, root1)) return fail(`the proof does not lead to the size-${size1} head`);
  if (!equal(sr, root2)) return fail(`the proof does not lead to the size-${size2} head`);
  return { ok: true };
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fail(reason: string): ConsistencyResult {
  return { ok: false, reason };
}
