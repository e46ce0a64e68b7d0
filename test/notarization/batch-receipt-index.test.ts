// The receipt index on its own: every leaf found at its place, the earliest of equal leaves, left-out
// submissions not found, acknowledgement times by run, across the slices it is built in.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree, hashLeaf } from '../../src/core/merkle/tree';
import { BatchReceiptIndex } from '../../src/notarization/receipt-index';

const multihash = () => Uint8Array.from([0x12, 0x20, ...randomBytes(32)]);

describe('BatchReceiptIndex', () => {
  it('finds every leaf of a batch larger than one build slice, and nothing else', async () => {
    const leaves = Array.from({ length: 70_001 }, multihash);
    const tree = buildMerkleTree(leaves);
    const seqs = leaves.map((_, i) => 1_000 + 2 * i); // gaps, as BIGSERIAL leaves them
    const times = { seqs: Float64Array.from([1_000, 1_000 + 2 * 50_000]), times: Float64Array.from([111, 222]) };
    const index = await BatchReceiptIndex.build({ tree, seqs, times, resubmittedSeqs: new Set() });
    for (let leaf = 0; leaf < leaves.length; leaf++) {
      const found = index.find(hashLeaf(leaves[leaf]!));
      if (found?.leafIndex !== leaf || found.seq !== seqs[leaf] || found.submittedAt !== (leaf < 50_000 ? 111 : 222)) {
        expect({ leaf, found }).toEqual({ leaf, found: { leafIndex: leaf, seq: seqs[leaf], submittedAt: leaf < 50_000 ? 111 : 222 } });
      }
    }
    for (let i = 0; i < 1_000; i++) expect(index.find(hashLeaf(multihash()))).toBeUndefined();
    expect(index.find(new Uint8Array(31))).toBeUndefined();
  });

  it('answers the earliest of equal leaves and leaves out submissions made earlier elsewhere', async () => {
    const [a, b, c] = [multihash(), multihash(), multihash()];
    const leaves = [a, b, a, c, b];
    const tree = buildMerkleTree(leaves);
    const seqs = [10, 11, 12, 13, 14];
    const times = { seqs: Float64Array.from([10]), times: Float64Array.from([5]) };
    // b was submitted before this batch (by some tenant): both its leaves here are left out.
    const index = await BatchReceiptIndex.build({ tree, seqs, times, resubmittedSeqs: new Set([11, 14]) });
    expect(index.find(hashLeaf(a))).toEqual({ leafIndex: 0, seq: 10, submittedAt: 5 });
    expect(index.find(hashLeaf(b))).toBeUndefined();
    expect(index.find(hashLeaf(c))).toEqual({ leafIndex: 3, seq: 13, submittedAt: 5 });
  });
});
