// Proofs put together from one subtree and the recorded subtree roots must be the whole tree's
// proofs, byte for byte, for every leaf of trees of every shape; and every recorded value they rest on
// is checked, so a changed leaf, root or count gives no proof at all.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMerkleTree, hashLeaf, merkleRoot } from '../../src/core/merkle/tree';
import { verifyInclusion } from '../../src/core/merkle/proof';
import type { BatchLeaves, BatchRecord } from '../../src/notarization/batch';
import {
  decodeBatchSubtrees,
  encodeBatchSubtrees,
  proofFromSubtree,
  SUBTREE_HEIGHT,
  subtreeOfSeq,
  subtreesOf,
} from '../../src/notarization/batch-subtrees';
import { BatchTreeCache } from '../../src/notarization/batch-trees';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import { makeTempDir } from '../helpers/service-process';
import { insertSubmissions, openTestStores, type TestStores, withOverrides } from '../helpers/stores';

function multihash(): Uint8Array {
  return Uint8Array.from([0x12, 0x20, ...randomBytes(32)]);
}

/** Leaves with gaps in their sequence numbers, as rolled-back inserts leave them. */
function leavesOf(size: number): BatchLeaves {
  return { seqs: Array.from({ length: size }, (_, i) => 100 + 3 * i), multihashes: Array.from({ length: size }, multihash) };
}

function subtreeLeaves(leaves: BatchLeaves, firstSeq: number, lastSeq: number): BatchLeaves {
  const picked = leaves.seqs.flatMap((seq, i) => (seq >= firstSeq && seq <= lastSeq ? [i] : []));
  return { seqs: picked.map((i) => leaves.seqs[i]!), multihashes: picked.map((i) => leaves.multihashes[i]!) };
}

describe('batch subtrees', () => {
  it('give every leaf the whole tree’s proof, for trees of every shape around the subtree size', () => {
    const height = 3;
    for (const size of [9, 15, 16, 17, 24, 31, 33, 64, 65, 100]) {
      const leaves = leavesOf(size);
      const tree = buildMerkleTree(leaves.multihashes);
      const subtrees = decodeBatchSubtrees(encodeBatchSubtrees(subtreesOf(tree, leaves.seqs, height)!));
      expect(subtrees.firstSeqs).toHaveLength(Math.ceil(size / 2 ** height));
      const batch = { root: tree.root, treeSize: size };
      leaves.seqs.forEach((seq, leafIndex) => {
        const { index, firstSeq, lastSeq } = subtreeOfSeq(subtrees, seq, leaves.seqs.at(-1)!);
        const leafHash = hashLeaf(leaves.multihashes[leafIndex]!);
        const proof = proofFromSubtree(subtrees, index, subtreeLeaves(leaves, firstSeq, lastSeq), batch, seq, leafHash);
        expect(proof.leafIndex, `leaf ${leafIndex} of ${size}`).toBe(leafIndex);
        expect(Buffer.from(proof.auditPath).equals(Buffer.concat(tree.inclusionProof(leafIndex))), `path of leaf ${leafIndex} of ${size}`).toBe(true);
        const auditPath = Array.from({ length: proof.auditPath.length / 32 }, (_, i) => proof.auditPath.subarray(32 * i, 32 * i + 32));
        expect(verifyInclusion({ leafHash, leafIndex, treeSize: size, auditPath, root: tree.root })).toBe(true);
      });
    }
  });

  it('give the whole tree’s proofs when the tree ends with a leaf that is no submission (the log commitment)', () => {
    const height = 2;
    for (const size of [4, 7, 8, 11]) {
      const leaves = leavesOf(size);
      const commitment = new TextEncoder().encode('did-notary.invalid/log\n3\nAAAA\n');
      const tree = buildMerkleTree([...leaves.multihashes, commitment]);
      const subtrees = subtreesOf(tree, leaves.seqs, height)!;
      expect(subtrees.firstSeqs).toHaveLength(Math.ceil((size + 1) / 2 ** height));
      const batch = { root: tree.root, treeSize: size + 1 };
      leaves.seqs.forEach((seq, leafIndex) => {
        const { index, firstSeq, lastSeq } = subtreeOfSeq(subtrees, seq, leaves.seqs.at(-1)!);
        const proof = proofFromSubtree(subtrees, index, subtreeLeaves(leaves, firstSeq, lastSeq), batch, seq, hashLeaf(leaves.multihashes[leafIndex]!), commitment);
        expect(proof.leafIndex, `leaf ${leafIndex} of ${size}`).toBe(leafIndex);
        expect(Buffer.from(proof.auditPath).equals(Buffer.concat(tree.inclusionProof(leafIndex))), `path of leaf ${leafIndex} of ${size}`).toBe(true);
      });
    }
  });

  it('are not recorded for a batch of one subtree or less', () => {
    const leaves = leavesOf(2 ** SUBTREE_HEIGHT);
    expect(subtreesOf(buildMerkleTree(leaves.multihashes), leaves.seqs)).toBeNull();
  });

  it('give no proof from a changed leaf, subtree root, batch root, leaf count or document', () => {
    const leaves = leavesOf(20);
    const tree = buildMerkleTree(leaves.multihashes);
    const subtrees = subtreesOf(tree, leaves.seqs, 2)!;
    const batch = { root: tree.root, treeSize: 20 };
    const seq = leaves.seqs[5]!;
    const { index, firstSeq, lastSeq } = subtreeOfSeq(subtrees, seq, leaves.seqs.at(-1)!);
    const own = subtreeLeaves(leaves, firstSeq, lastSeq);
    const leafHash = hashLeaf(leaves.multihashes[5]!);
    expect(() => proofFromSubtree(subtrees, index, own, batch, seq, leafHash)).not.toThrow();

    const changedLeaf = { ...own, multihashes: own.multihashes.map((m, i) => (i === 3 ? multihash() : m)) };
    expect(() => proofFromSubtree(subtrees, index, changedLeaf, batch, seq, leafHash)).toThrow(/no longer hash to its sealed root/);
    const roots = subtrees.roots.slice();
    roots[0]! ^= 1;
    expect(() => proofFromSubtree({ ...subtrees, roots }, index, own, batch, seq, leafHash)).toThrow(/sealed root|batch root/);
    expect(() => proofFromSubtree(subtrees, index, own, { ...batch, root: new Uint8Array(32) }, seq, leafHash)).toThrow(/batch root/);
    const dropped = { seqs: own.seqs.slice(1), multihashes: own.multihashes.slice(1) };
    expect(() => proofFromSubtree(subtrees, index, dropped, batch, seq, leafHash)).toThrow(/leaves in the store/);
    expect(() => proofFromSubtree(subtrees, index, own, batch, seq, hashLeaf(multihash()))).toThrow(/not the document/);
  });
});

describe('BatchTreeCache.proofOf on a real store', () => {
  let stores: TestStores;
  let store: SqlNotaryStore;
  let batch: BatchRecord;
  let documents: Uint8Array[];
  const size = 2 ** SUBTREE_HEIGHT + 904;
  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-subtrees-') });
    store = stores.notary;
    documents = Array.from({ length: size }, multihash);
    await insertSubmissions(store, 't', documents.map((m) => ({ multihash: m })));
    const range = (await store.readSealableRange(size))!;
    const tree = BatchTreeCache.build(range.leaves);
    batch = { ...(await store.recordSealedBatch(range, tree.tree.root, undefined, subtreesOf(tree.tree, tree.seqs)))!, status: 'anchored' };
  });
  afterAll(async () => {
    await stores?.close();
  });

  it('answers a tree not in memory from one subtree, then from the whole tree loaded behind it', async () => {
    const reads: number[] = [];
    const counting = withOverrides(store, {
      loadBatchLeaves(range) {
        reads.push(range.lastSeq - range.firstSeq + 1);
        return store.loadBatchLeaves(range);
      },
    });
    const cache = new BatchTreeCache(counting);
    const whole = buildMerkleTree(documents);
    expect(Buffer.from(whole.root).equals(Buffer.from(batch.root))).toBe(true);
    const found = (await store.findSubmission(documents[size - 1]!))!.submission;
    const proof = await cache.proofOf(batch, found.seq, hashLeaf(documents[size - 1]!));
    expect(proof.leafIndex).toBe(size - 1);
    expect(Buffer.from(proof.auditPath).equals(Buffer.concat(whole.inclusionProof(size - 1)))).toBe(true);
    // The subtree's 904 leaves first; the whole batch behind it.
    expect(reads[0]).toBe(904);
    await cache.get(batch);
    expect(reads).toEqual([904, size]);
    const first = (await store.findSubmission(documents[0]!))!.submission;
    const cached = await cache.proofOf(batch, first.seq, hashLeaf(documents[0]!));
    expect(Buffer.from(cached.auditPath).equals(Buffer.concat(whole.inclusionProof(0)))).toBe(true);
    expect(reads).toHaveLength(2);
  });

  it('refuses a subtree whose leaves changed in the store behind it', async () => {
    const cache = new BatchTreeCache(
      withOverrides(store, {
        async loadBatchLeaves(range) {
          const leaves = await store.loadBatchLeaves(range);
          return { ...leaves, multihashes: leaves.multihashes.map((m, i) => (i === 0 ? multihash() : m)) };
        },
      }),
      undefined,
      () => undefined,
    );
    const found = (await store.findSubmission(documents[1]!))!.submission;
    await expect(cache.proofOf(batch, found.seq, hashLeaf(documents[1]!))).rejects.toThrow(/no longer hash to its sealed root/);
  });

  it('keeps a root computed from the leaves alone', () => {
    expect(Buffer.from(merkleRoot(documents)).equals(Buffer.from(batch.root))).toBe(true);
  });
});
