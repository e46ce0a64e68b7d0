// RFC 9162 §2.1.3 inclusion proofs checked without any tree: what a verifier holds is a leaf hash, its
// index, the tree size and the audit path, all from an untrusted receipt.
import { equalBytes } from '../bytes';
import { defaultMerkleHasher, type MerkleHasher } from './hasher';
import { hashChildren } from './tree';

const NODE_BYTES = 32;

/** What a client holds to prove one leaf: RFC 9162 §2.1.3 inputs, all hashes 32 bytes. */
export interface InclusionProof {
  readonly leafHash: Uint8Array;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly auditPath: readonly Uint8Array[];
}

/** The root an inclusion proof leads to, or why the proof is unusable. */
export type InclusionProofRoot = { ok: true; root: Uint8Array } | { ok: false; reason: string };

/**
 * Runs RFC 9162 §2.1.3.2 and returns the root the proof leads to. Never throws for a malformed proof:
 * proofs come from untrusted receipts, so failures are results with a reason.
 */
export function rootFromInclusionProof(proof: InclusionProof, hasher: MerkleHasher = defaultMerkleHasher): InclusionProofRoot {
  const { leafHash, leafIndex, treeSize, auditPath } = proof;
  if (!Number.isSafeInteger(treeSize) || treeSize < 1) {
    return { ok: false, reason: `tree size must be a positive integer, got ${treeSize}` };
  }
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0) {
    return { ok: false, reason: `leaf index must be a non-negative integer, got ${leafIndex}` };
  }
  if (leafIndex >= treeSize) {
    return { ok: false, reason: `leaf index ${leafIndex} is not below tree size ${treeSize}` };
  }
  if (leafHash.length !== NODE_BYTES) {
    return { ok: false, reason: `leaf hash must be 32 bytes, got ${leafHash.length}` };
  }
  const badElement = auditPath.findIndex((node) => node.length !== NODE_BYTES);
  if (badElement >= 0) {
    return { ok: false, reason: `audit path hash ${badElement} must be 32 bytes, got ${auditPath[badElement].length}` };
  }
  const leftSibling = siblingSides(leafIndex, treeSize);
  if (auditPath.length !== leftSibling.length) {
    return {
      ok: false,
      reason: `audit path has ${auditPath.length} hashes; leaf ${leafIndex} of a ${treeSize}-leaf tree needs ${leftSibling.length}`,
    };
  }
  let root = leafHash;
  auditPath.forEach((node, i) => {
    root = leftSibling[i] ? hashChildren(node, root, hasher) : hashChildren(root, node, hasher);
  });
  return { ok: true, root: root === leafHash ? leafHash.slice() : root };
}

/** Whether the proof leads to `root` (RFC 9162 §2.1.3.2); false for any malformed input. */
export function verifyInclusion(
  proof: InclusionProof & { readonly root: Uint8Array },
  hasher: MerkleHasher = defaultMerkleHasher,
): boolean {
  const result = rootFromInclusionProof(proof, hasher);
  return result.ok && equalBytes(result.root, proof.root);
}

/**
 * For each hash of the audit path of `leafIndex` (< `treeSize`), whether it is the left sibling. This is
 * the fn/sn walk of RFC 9162 §2.1.3.2, which depends on index and size only; its length is the number
 * of hashes a valid path has (the RFC's "sn is 0" checks).
 */
function siblingSides(leafIndex: number, treeSize: number): boolean[] {
  const leftSibling: boolean[] = [];
  // Division, not shifts: sizes may exceed 2^32.
  let fn = leafIndex;
  let sn = treeSize - 1;
  while (sn !== 0) {
    const left = fn % 2 === 1 || fn === sn;
    leftSibling.push(left);
    if (left) {
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return leftSibling;
}
