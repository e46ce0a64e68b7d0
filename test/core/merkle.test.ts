import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { hashDocument, parseDocumentId } from '../../src/core/ids/document-id';
import { DomainError } from '../../src/core/errors';
import { bytesToHex, hexToBytes } from '../../src/core/hex';
import { buildMerkleTree, hashChildren, hashMerkleLevels, MerkleTree, merkleTreeLayout, hashLeaf, merkleRoot } from '../../src/core/merkle/tree';
import { rootFromInclusionProof, verifyInclusion } from '../../src/core/merkle/proof';
import { createMerkleHasher, defaultMerkleHasher, scalarMerkleHasher } from '../../src/core/merkle/hasher';

interface InclusionVector {
  leafIndex: number;
  treeSize: number;
  leafHash?: string;
  root?: string;
  auditPath: string[];
}
const vectors = JSON.parse(
  readFileSync(path.join(__dirname, '../../../shared/vectors/rfc9162-merkle.json'), 'utf8'),
) as {
  leaves: string[];
  roots: string[];
  inclusion: InclusionVector[];
  multihashTree: { documents: string[]; multihashes: string[]; root: string; inclusion: InclusionVector[] };
};

const nodeHasher = createMerkleHasher((data) => hash('sha256', data, 'buffer'));
const hex = (bytes: Uint8Array): string => bytesToHex(bytes);

// Naive RFC 9162 §2.1 straight from the text: MTH and PATH by recursion over arrays, @noble/hashes.
type Side = 'left' | 'right';
function naiveRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return sha256(Uint8Array.of(0, ...leaves[0]));
  const k = largestPowerOfTwoBelow(leaves.length);
  return sha256(Uint8Array.of(1, ...naiveRoot(leaves.slice(0, k)), ...naiveRoot(leaves.slice(k))));
}
/** PATH(m, D[n]) together with the side each sibling sits on (the proof's "shape"). */
function naivePath(m: number, leaves: Uint8Array[]): { node: Uint8Array; side: Side }[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...naivePath(m, leaves.slice(0, k)), { node: naiveRoot(leaves.slice(k)), side: 'right' }]
    : [...naivePath(m - k, leaves.slice(k)), { node: naiveRoot(leaves.slice(0, k)), side: 'left' }];
}
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
/** Sides of PATH(m, D[n]); leaf contents do not matter. */
function shape(m: number, n: number): string {
  return naivePath(m, Array.from({ length: n }, () => new Uint8Array(0)))
    .map((step) => step.side)
    .join(',');
}

const leafData = (n: number, seed = 0): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, seed & 0xff, 0x12, 0x20));

describe('RFC 9162 vectors (shared/vectors/rfc9162-merkle.json)', () => {
  const leaves = vectors.leaves.map(hexToBytes);

  it.each(vectors.roots.map((root, n) => ({ n, root })))('root of the first $n leaves', ({ n, root }) => {
    expect(hex(merkleRoot(leaves.slice(0, n)))).toBe(root);
    expect(hex(merkleRoot(leaves.slice(0, n), nodeHasher))).toBe(root);
    expect(hex(buildMerkleTree(leaves.slice(0, n)).root)).toBe(root);
  });

  it.each(vectors.inclusion)('inclusion of leaf $leafIndex in a tree of $treeSize', (vector) => {
    const tree = buildMerkleTree(leaves.slice(0, vector.treeSize));
    expect(tree.size).toBe(vector.treeSize);
    expect(hex(tree.leafHash(vector.leafIndex))).toBe(vector.leafHash);
    expect(hex(hashLeaf(leaves[vector.leafIndex]))).toBe(vector.leafHash);
    expect(tree.inclusionProof(vector.leafIndex).map(hex)).toEqual(vector.auditPath);
    expect(tree.auditPathLength(vector.leafIndex)).toBe(vector.auditPath.length);
    const proof = {
      leafHash: hexToBytes(vector.leafHash!),
      leafIndex: vector.leafIndex,
      treeSize: vector.treeSize,
      auditPath: vector.auditPath.map(hexToBytes),
    };
    const computed = rootFromInclusionProof(proof);
    expect(computed.ok && hex(computed.root)).toBe(vector.root);
    expect(verifyInclusion({ ...proof, root: hexToBytes(vector.root!) })).toBe(true);
    expect(verifyInclusion({ ...proof, root: hexToBytes(vector.root!) }, nodeHasher)).toBe(true);
  });

  it('covers every (leafIndex, treeSize) pair for sizes 1..8', () => {
    expect(vectors.inclusion).toHaveLength(36);
  });

  describe('multihashTree: 13 documents, leaf data = multihashes', () => {
    const tree13 = vectors.multihashTree;
    const multihashes = tree13.multihashes.map(hexToBytes);

    it('documents hash to the listed multihashes, in every id form', () => {
      tree13.documents.forEach((text, i) => {
        const id = hashDocument(new TextEncoder().encode(text));
        expect(id.multihashHex).toBe(tree13.multihashes[i]);
        expect(parseDocumentId(tree13.multihashes[i]).multihashHex).toBe(tree13.multihashes[i]);
        expect(parseDocumentId(id.cid).multihashHex).toBe(tree13.multihashes[i]);
        expect(parseDocumentId(id.digestHex).multihashHex).toBe(tree13.multihashes[i]);
      });
    });

    it('has the listed root', () => {
      expect(hex(merkleRoot(multihashes))).toBe(tree13.root);
      expect(hex(merkleRoot(multihashes, nodeHasher))).toBe(tree13.root);
      expect(hex(naiveRoot(multihashes))).toBe(tree13.root);
    });

    it.each(tree13.inclusion)('inclusion of leaf $leafIndex', (vector) => {
      const tree = buildMerkleTree(multihashes);
      expect(tree.inclusionProof(vector.leafIndex).map(hex)).toEqual(vector.auditPath);
      expect(
        verifyInclusion({
          leafHash: hashLeaf(multihashes[vector.leafIndex]),
          leafIndex: vector.leafIndex,
          treeSize: vector.treeSize,
          auditPath: vector.auditPath.map(hexToBytes),
          root: hexToBytes(tree13.root),
        }),
      ).toBe(true);
    });
  });
});

describe('against a naive recursive RFC 9162 implementation', () => {
  it('agrees on the root and every audit path for sizes 0..70', () => {
    for (let n = 0; n <= 70; n++) {
      const leaves = leafData(n, n);
      const tree = buildMerkleTree(leaves);
      expect(hex(tree.root)).toBe(hex(naiveRoot(leaves)));
      for (let m = 0; m < n; m++) {
        expect(tree.inclusionProof(m).map(hex)).toEqual(naivePath(m, leaves).map((step) => hex(step.node)));
      }
    }
  });

  it('agrees for random sizes and leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 300 }), fc.nat(), (leaves, pick) => {
        const tree = buildMerkleTree(leaves);
        expect(hex(tree.root)).toBe(hex(naiveRoot(leaves)));
        const m = pick % leaves.length;
        expect(tree.inclusionProof(m).map(hex)).toEqual(naivePath(m, leaves).map((step) => hex(step.node)));
      }),
      { numRuns: 60 },
    );
  });
});

describe('inclusion proofs (property tests)', () => {
  const treeAndLeaf = fc
    .integer({ min: 1, max: 300 })
    .chain((size) => fc.record({ size: fc.constant(size), leafIndex: fc.integer({ min: 0, max: size - 1 }), seed: fc.nat(255) }));

  function proofFor({ size, leafIndex, seed }: { size: number; leafIndex: number; seed: number }) {
    const tree = buildMerkleTree(leafData(size, seed));
    return {
      leafHash: tree.leafHash(leafIndex),
      leafIndex,
      treeSize: size,
      auditPath: tree.inclusionProof(leafIndex),
      root: tree.root,
    };
  }

  it('every proof of every leaf verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (size) => {
        const tree = buildMerkleTree(leafData(size));
        for (let leafIndex = 0; leafIndex < size; leafIndex++) {
          const proof = { leafHash: tree.leafHash(leafIndex), leafIndex, treeSize: size, auditPath: tree.inclusionProof(leafIndex) };
          expect(verifyInclusion({ ...proof, root: tree.root })).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('fails when one bit of one audit path hash flips', () => {
    fc.assert(
      fc.property(treeAndLeaf, fc.nat(), fc.integer({ min: 0, max: 255 }), (params, element, bit) => {
        const proof = proofFor(params);
        fc.pre(proof.auditPath.length > 0);
        const auditPath = proof.auditPath.map((node) => node.slice());
        auditPath[element % auditPath.length][bit >> 3] ^= 1 << (bit & 7);
        expect(verifyInclusion({ ...proof, auditPath })).toBe(false);
      }),
    );
  });

  it('fails when one bit of the leaf hash or of the root flips', () => {
    fc.assert(
      fc.property(treeAndLeaf, fc.integer({ min: 0, max: 255 }), (params, bit) => {
        const proof = proofFor(params);
        const leafHash = proof.leafHash.slice();
        leafHash[bit >> 3] ^= 1 << (bit & 7);
        expect(verifyInclusion({ ...proof, leafHash })).toBe(false);
        const root = proof.root.slice();
        root[bit >> 3] ^= 1 << (bit & 7);
        expect(verifyInclusion({ ...proof, root })).toBe(false);
      }),
    );
  });

  it('fails for any other leaf index', () => {
    fc.assert(
      fc.property(treeAndLeaf, fc.integer({ min: -5, max: 400 }), (params, otherIndex) => {
        fc.pre(otherIndex !== params.leafIndex);
        expect(verifyInclusion({ ...proofFor(params), leafIndex: otherIndex })).toBe(false);
      }),
    );
  });

  it('fails for another tree size unless the path has exactly the same shape', () => {
    // RFC 9162 proofs do not hash the tree size in: a size whose PATH has the same sibling sides
    // recomputes the same root. That is why receipts compare treeSize with the chain's record.
    let sameShapeSeen = 0;
    fc.assert(
      fc.property(treeAndLeaf, fc.integer({ min: -5, max: 400 }), (params, otherSize) => {
        fc.pre(otherSize !== params.size);
        const sameShape = otherSize > params.leafIndex && shape(params.leafIndex, otherSize) === shape(params.leafIndex, params.size);
        if (sameShape) sameShapeSeen++;
        expect(verifyInclusion({ ...proofFor(params), treeSize: otherSize })).toBe(sameShape);
      }),
      { numRuns: 300 },
    );
    expect(sameShapeSeen).toBeGreaterThan(0);
  });

  it('fails when a hash is dropped from or added to the audit path', () => {
    fc.assert(
      fc.property(treeAndLeaf, fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 }), (params, position, extra) => {
        const proof = proofFor(params);
        if (proof.auditPath.length > 0) {
          const dropped = proof.auditPath.filter((_, i) => i !== position % proof.auditPath.length);
          expect(verifyInclusion({ ...proof, auditPath: dropped })).toBe(false);
        }
        const added = [...proof.auditPath];
        added.splice(position % (added.length + 1), 0, extra);
        expect(verifyInclusion({ ...proof, auditPath: added })).toBe(false);
      }),
    );
  });
});

describe('rootFromInclusionProof rejects malformed proofs with a reason', () => {
  const tree = buildMerkleTree(leafData(13));
  const valid = { leafHash: tree.leafHash(5), leafIndex: 5, treeSize: 13, auditPath: tree.inclusionProof(5) };

  it.each([
    ['tree size 0', { treeSize: 0, leafIndex: 0, auditPath: [] }, 'tree size must be a positive integer, got 0'],
    ['a fractional tree size', { treeSize: 13.5 }, 'tree size must be a positive integer, got 13.5'],
    ['a negative leaf index', { leafIndex: -1 }, 'leaf index must be a non-negative integer, got -1'],
    ['leafIndex = treeSize', { leafIndex: 13 }, 'leaf index 13 is not below tree size 13'],
    ['a short path', { auditPath: valid.auditPath.slice(1) }, 'audit path has 3 hashes; leaf 5 of a 13-leaf tree needs 4'],
    ['a long path', { auditPath: [...valid.auditPath, valid.leafHash] }, 'audit path has 5 hashes; leaf 5 of a 13-leaf tree needs 4'],
    ['a 31-byte path hash', { auditPath: [valid.auditPath[0], new Uint8Array(31), ...valid.auditPath.slice(2)] }, 'audit path hash 1 must be 32 bytes, got 31'],
    ['a 33-byte leaf hash', { leafHash: new Uint8Array(33) }, 'leaf hash must be 32 bytes, got 33'],
  ])('%s', (_, change, reason) => {
    expect(rootFromInclusionProof({ ...valid, ...change })).toEqual({ ok: false, reason });
    expect(verifyInclusion({ ...valid, ...change, root: tree.root })).toBe(false);
  });

  it('handles tree sizes beyond 2^32 without bit-operation overflow', () => {
    // Leaf 2^32 + 1 of 2^32 + 2 leaves: its sibling, then the left 2^32-leaf subtree.
    const leafHash = hashLeaf(Uint8Array.of(1));
    const sibling = hashLeaf(Uint8Array.of(0));
    const left = hashLeaf(Uint8Array.of(2));
    const result = rootFromInclusionProof({ leafHash, leafIndex: 2 ** 32 + 1, treeSize: 2 ** 32 + 2, auditPath: [sibling, left] });
    expect(result).toEqual({ ok: true, root: hashChildren(left, hashChildren(sibling, leafHash)) });
  });
});

describe('MerkleTree', () => {
  it('the empty tree has the SHA-256 of the empty string as root and no leaves', () => {
    const tree = buildMerkleTree([]);
    expect(hex(tree.root)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(() => tree.inclusionProof(0)).toThrow(DomainError);
  });

  it('throws INVALID_MERKLE_ARGUMENT for leaf indexes outside the tree', () => {
    const tree = buildMerkleTree(leafData(5));
    for (const index of [-1, 5, 1.5, Number.NaN]) {
      expect(() => tree.inclusionProof(index)).toThrow(expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }));
    }
  });

  it('hands out copies: mutating a proof or the root leaves the tree intact', () => {
    const tree = buildMerkleTree(leafData(9));
    const root = hex(tree.root);
    tree.root.fill(0);
    tree.inclusionProof(3)[0].fill(0);
    tree.leafHash(2).fill(0);
    expect(hex(tree.root)).toBe(root);
    expect(verifyInclusion({ leafHash: tree.leafHash(3), leafIndex: 3, treeSize: 9, auditPath: tree.inclusionProof(3), root: tree.root })).toBe(true);
  });

  it('writeAuditPath writes the same bytes as inclusionProof', () => {
    const tree = buildMerkleTree(leafData(300));
    const out = new Uint8Array(7 + 32 * 9);
    for (const leafIndex of [0, 1, 255, 256, 299]) {
      const count = tree.writeAuditPath(leafIndex, out, 7);
      expect(count).toBe(tree.auditPathLength(leafIndex));
      expect(hex(out.slice(7, 7 + 32 * count))).toBe(tree.inclusionProof(leafIndex).map(hex).join(''));
    }
    expect(() => tree.writeAuditPath(0, new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }));
  });

  it('writeAuditPath fills exactly-sized, aligned and shared buffers, and leaves the rest untouched', () => {
    const tree = buildMerkleTree(leafData(1025));
    // Leaf 1024 of 1025 has a one-node path: a 32-byte buffer is enough although the longest path is 11.
    const exact = new Uint8Array(32);
    expect(tree.writeAuditPath(1024, exact)).toBe(1);
    expect(hex(exact)).toBe(tree.inclusionProof(1024).map(hex).join(''));
    expect(() => tree.writeAuditPath(1023, exact)).toThrow(expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }));
    for (const offset of [-4, 1.5, Number.NaN]) {
      expect(() => tree.writeAuditPath(0, new Uint8Array(1024), offset)).toThrow(expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }));
    }
    // One backing buffer, several views (as a caller serialising proofs back to back would use).
    const backing = new ArrayBuffer(4096);
    const other = buildMerkleTree(leafData(6, 1));
    for (const [view, offset] of [[new Uint8Array(backing, 8, 1024), 32], [new Uint8Array(backing, 1000), 4], [new Uint8Array(backing), 2000]] as const) {
      for (const [t, leafIndex] of [[tree, 77], [other, 5], [tree, 1024]] as const) {
        const before = new Uint8Array(backing).slice();
        const count = t.writeAuditPath(leafIndex, view, offset);
        expect(hex(view.slice(offset, offset + 32 * count))).toBe(t.inclusionProof(leafIndex).map(hex).join(''));
        const after = new Uint8Array(backing);
        const start = view.byteOffset + offset;
        expect(hex(after.slice(0, start)) + hex(after.slice(start + 32 * count))).toBe(hex(before.slice(0, start)) + hex(before.slice(start + 32 * count)));
      }
    }
  });

  it('builds the same tree with the SIMD default and the scalar hasher, at chunk-sized levels too', () => {
    for (const n of [16, 17, 31, 2047, 2048, 2049, 4097]) {
      const leaves = leafData(n, n);
      const simdTree = buildMerkleTree(leaves);
      const scalarTree = buildMerkleTree(leaves, scalarMerkleHasher);
      expect(hex(simdTree.root)).toBe(hex(scalarTree.root));
      for (const i of [0, n >> 1, n - 1]) expect(simdTree.inclusionProof(i).map(hex)).toEqual(scalarTree.inclusionProof(i).map(hex));
    }
  });

  it('a custom builder filling the levels as two subtree ranges plus the top yields the same tree', () => {
    for (const n of [64, 65, 100, 1000, 1023, 1025]) {
      const leaves = leafData(n, 7);
      const split = Math.max(8, Math.round(n / 2 / 8) * 8);
      const twoParts = new MerkleTree(leaves, defaultMerkleHasher, {
        allocate: (byteLength) => new Uint8Array(byteLength),
        fill(data, nodes, layout) {
          defaultMerkleHasher.hashLeaves(data.slice(split), nodes.subarray(32 * split, 32 * n));
          hashMerkleLevels(nodes, layout, defaultMerkleHasher, split, n, 0, 3);
          defaultMerkleHasher.hashLeaves(data.slice(0, split), nodes.subarray(0, 32 * split));
          hashMerkleLevels(nodes, layout, defaultMerkleHasher, 0, split, 0, 3);
          hashMerkleLevels(nodes, layout, defaultMerkleHasher, 0, n, 3, layout.levelSizes.length - 1);
        },
      });
      const whole = buildMerkleTree(leaves);
      expect(hex(twoParts.root)).toBe(hex(whole.root));
      for (let i = 0; i < n; i += 7) expect(twoParts.inclusionProof(i).map(hex)).toEqual(whole.inclusionProof(i).map(hex));
    }
  });

  it('writeAuditPath copies NaN, -0, subnormal and infinity bit patterns exactly (8-byte moves)', () => {
    // Node bytes chosen so that 8-byte groups are NaNs of every kind and other special doubles; a
    // builder writes them straight into the tree, so the copies can be checked byte for byte.
    const specials = ['7ff0000000000001', '7ff8000000000000', 'fff8000000000000', '7fffffffffffffff', 'ffffffffffffffff', '7ff4000000000000', '8000000000000000', '0000000000000001', '7ff0000000000000', 'fff0000000000000'];
    const n = 300;
    const layout = merkleTreeLayout(n);
    const pattern = (i: number): number[] => Array.from(hexToBytes(specials[(i * 7) % specials.length]!));
    const tree = new MerkleTree(leafData(n), defaultMerkleHasher, {
      allocate: (byteLength) => new Uint8Array(byteLength),
      fill(_data, nodes) {
        for (let k = 0; k < nodes.length / 8; k++) {
          // Mostly specials, some random words in between, so nodes mix NaN and ordinary doubles.
          nodes.set(k % 5 === 4 ? Array.from({ length: 8 }, (_, j) => (k * 31 + j * 17) & 0xff) : pattern(k), 8 * k);
        }
      },
    });
    const nodes = (tree as unknown as { nodes: Uint8Array }).nodes;
    const backing = new ArrayBuffer(32 * 16 + 16);
    for (let leafIndex = 0; leafIndex < n; leafIndex++) {
      const expected: string[] = [];
      for (let level = 0, index = leafIndex; level + 1 < layout.levelSizes.length; level++, index >>>= 1) {
        const sibling = index ^ 1;
        if (sibling < layout.levelSizes[level]!) {
          const start = 32 * (layout.levelStarts[level]! + sibling);
          expected.push(hex(nodes.subarray(start, start + 32)));
        }
      }
      for (const offset of [0, 8, 4, 1]) {
        const out = new Uint8Array(backing, offset);
        const count = tree.writeAuditPath(leafIndex, out);
        expect(hex(out.subarray(0, 32 * count)), `leaf ${leafIndex} at offset ${offset}`).toBe(expected.join(''));
      }
    }
  });

  it('hashMerkleLevels refuses ranges that do not cut the tree between subtrees', () => {
    const layout = merkleTreeLayout(100);
    const nodes = new Uint8Array(32 * layout.nodeCount);
    for (const [first, end, from, to] of [[4, 100, 0, 3], [0, 12, 0, 3], [0, 101, 0, 1], [0, 100, 0, 8], [8, 4, 0, 2]]) {
      expect(() => hashMerkleLevels(nodes, layout, defaultMerkleHasher, first, end, from, to)).toThrow(
        expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }),
      );
    }
  });

  it('hashChildren rejects children that are not 32 bytes', () => {
    expect(() => hashChildren(new Uint8Array(32), new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }),
    );
  });
});
