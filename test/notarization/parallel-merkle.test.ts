import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree, type MerkleTree } from '../../src/core/merkle/tree';
import { buildMerkleTreeInParallel, startMerkleHelper } from '../../src/notarization/parallel-merkle';

/** Leaves shaped like the notary's (34-byte multihashes), with a few longer ones mixed in. */
function leaves(count: number): Uint8Array[] {
  const bytes = randomBytes(34 * count);
  return Array.from({ length: count }, (_, i) => (i % 997 === 5 ? randomBytes(70) : bytes.subarray(34 * i, 34 * i + 34)));
}

/** Every node of every level, as the tree stores them. */
function allNodes(tree: MerkleTree): Buffer {
  const nodes = (tree as unknown as { nodes: Uint8Array }).nodes;
  return Buffer.from(nodes.buffer, nodes.byteOffset, nodes.byteLength);
}

describe('buildMerkleTreeInParallel', () => {
  it('builds the sequential tree before its helper thread is up', () => {
    const data = leaves((1 << 15) + 3);
    const tree = buildMerkleTreeInParallel(data);
    expect(allNodes(tree).equals(allNodes(buildMerkleTree(data)))).toBe(true);
  });

  it('writes every node exactly as the sequential build, for sizes around the split boundaries', async () => {
    expect(await startMerkleHelper()).toBe(true);
    const sizes = [1, 2, 3, 5, 1000, (1 << 15) - 1, 1 << 15, (1 << 15) + 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 * (1 << 14) + 5, 100_003, (1 << 17) + 17];
    for (let k = 0; k < 4; k++) sizes.push((1 << 15) + Math.floor(Math.random() * (1 << 17)));
    for (const size of sizes) {
      const data = leaves(size);
      const parallel = buildMerkleTreeInParallel(data);
      const sequential = buildMerkleTree(data);
      expect(parallel.size).toBe(size);
      expect(Buffer.from(parallel.root).toString('hex'), `root of ${size}`).toBe(Buffer.from(sequential.root).toString('hex'));
      expect(allNodes(parallel).equals(allNodes(sequential)), `nodes of ${size}`).toBe(true);
    }
  });

  it('hands out proofs and roots in ordinary (not shared) memory', async () => {
    expect(await startMerkleHelper()).toBe(true);
    const tree = buildMerkleTreeInParallel(leaves(1 << 15));
    expect(tree.root.buffer).toBeInstanceOf(ArrayBuffer);
    expect(tree.inclusionProof(7)[0]!.buffer).toBeInstanceOf(ArrayBuffer);
  });
});
