// The append-only log tree and RFC 9162 proofs against vectors this project did not generate (the
// testdata of transparency-dev/merkle, test/core/vectors/transparency-dev-merkle.json), then against
// every size fast-check picks: proofs the log builds verify, and every mutated proof is rejected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../src/core/base64';
import { hexToBytes } from '../../src/core/hex';
import { verifyConsistency } from '../../src/core/merkle/consistency';
import { MerkleLogTree } from '../../src/core/merkle/log-tree';
import { rootFromInclusionProof } from '../../src/core/merkle/proof';
import { hashLeaf, merkleRoot } from '../../src/core/merkle/tree';
import vectors from './vectors/transparency-dev-merkle.json';
import reference from '../../../shared/vectors/rfc9162-merkle.json';

const b64 = (text: string): Uint8Array => {
  const bytes = base64ToBytes(text);
  if (!bytes) throw new Error(`not base64: ${text}`);
  return bytes;
};
const referenceLog = (): MerkleLogTree => {
  const log = new MerkleLogTree();
  for (const leaf of reference.leaves) log.appendLeafData(hexToBytes(leaf));
  return log;
};

describe('transparency-dev/merkle consistency vectors', () => {
  for (const vector of vectors.consistency) {
    it(`${vector.source}: ${vector.desc} → ${vector.wantErr ? 'rejected' : 'accepted'}`, () => {
      const result = verifyConsistency({
        size1: vector.size1,
        size2: vector.size2,
        root1: b64(vector.root1),
        root2: b64(vector.root2),
        proof: (vector.proof ?? []).map(b64),
      });
      expect(result.ok, JSON.stringify(result)).toBe(!vector.wantErr);
    });
  }

  it('our log builds exactly the published proofs', () => {
    const log = referenceLog();
    for (const vector of vectors.consistency.filter((v) => !v.wantErr)) {
      expect(log.consistencyProof(vector.size1, vector.size2).map(bytesToBase64)).toEqual(vector.proof ?? []);
      expect(bytesToBase64(log.root(vector.size2))).toBe(vector.root2);
    }
  });
});

describe('transparency-dev/merkle inclusion vectors', () => {
  for (const vector of vectors.inclusion) {
    it(`${vector.source}: ${vector.desc} → ${vector.wantErr ? 'rejected' : 'accepted'}`, () => {
      const computed = rootFromInclusionProof({
        leafHash: b64(vector.leafHash),
        leafIndex: vector.leafIdx,
        treeSize: vector.treeSize,
        auditPath: (vector.proof ?? []).map(b64),
      });
      const accepted = computed.ok && bytesToBase64(computed.root) === vector.root;
      expect(accepted).toBe(!vector.wantErr);
    });
  }

  it('our log builds exactly the published proofs', () => {
    const log = referenceLog();
    for (const vector of vectors.inclusion.filter((v) => !v.wantErr)) {
      expect(log.inclusionProof(vector.leafIdx, vector.treeSize).map(bytesToBase64)).toEqual(vector.proof ?? []);
      expect(bytesToBase64(log.leafHash(vector.leafIdx))).toBe(vector.leafHash);
    }
  });
});

/** Every way a proof can be damaged: each must be rejected. */
function mutations(proof: Uint8Array[]): Array<{ what: string; proof: Uint8Array[] }> {
  const out: Array<{ what: string; proof: Uint8Array[] }> = [];
  proof.forEach((node, i) => {
    for (const bit of [0, 7, 100, 255]) {
      const flipped = node.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      out.push({ what: `bit ${bit} of node ${i} flipped`, proof: proof.map((n, j) => (j === i ? flipped : n)) });
    }
    out.push({ what: `node ${i} dropped`, proof: proof.filter((_, j) => j !== i) });
    if (i + 1 < proof.length && bytesToBase64(node) !== bytesToBase64(proof[i + 1]!)) {
      const swapped = proof.slice();
      [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
      out.push({ what: `nodes ${i} and ${i + 1} swapped`, proof: swapped });
    }
  });
  out.push({ what: 'a node appended', proof: [...proof, new Uint8Array(32)] });
  return out;
}

describe('log proofs for any sizes (fast-check)', () => {
  const leaves = Array.from({ length: 300 }, (_, i) => Uint8Array.of(0x12, 0x20, i & 0xff, i >> 8));
  const log = new MerkleLogTree();
  for (const leaf of leaves) log.appendLeafData(leaf);

  it('tree heads at every size equal the batch tree builder\'s root', () => {
    for (let size = 0; size <= leaves.length; size += 7) expect(log.root(size)).toEqual(merkleRoot(leaves.slice(0, size)));
  });

  it('consistency proofs verify, and every mutation of one is rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: leaves.length }), fc.integer({ min: 0, max: leaves.length }), (a, b) => {
        const [size1, size2] = a <= b ? [a, b] : [b === 0 ? 1 : b, a];
        if (size1 > size2) return;
        const proof = log.consistencyProof(size1, size2);
        const base = { size1, size2, root1: log.root(size1), root2: log.root(size2) };
        expect(verifyConsistency({ ...base, proof }).ok).toBe(true);
        for (const mutated of mutations(proof)) {
          expect(verifyConsistency({ ...base, proof: mutated.proof }).ok, mutated.what).toBe(false);
        }
        // Wrong sizes. A wrong size1 puts root1 at another place of the walk, and swapped sizes claim a
        // shrinking log: both must fail. (A larger size2 alone can pass when the extra leaves fit in the
        // proof's last subtree: the proof binds the heads; the signed checkpoint binds size and head.)
        for (const [s1, s2] of [[size1 + 1, size2], [size1 - 1, size2], [size2, size1]] as const) {
          if ((s1 === size1 && s2 === size2) || s1 < 1 || s1 === s2) continue;
          const result = verifyConsistency({ size1: s1, size2: s2, root1: base.root1, root2: base.root2, proof });
          expect(result.ok, `sizes ${s1} and ${s2} instead of ${size1} and ${size2}`).toBe(false);
        }
      }),
      { seed: 9162, numRuns: 300 },
    );
  });

  it('inclusion proofs verify, and every mutation of one is rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: leaves.length }), fc.nat(), (size, pick) => {
        const index = pick % size;
        const proof = log.inclusionProof(index, size);
        const root = bytesToBase64(log.root(size));
        const leafHash = hashLeaf(leaves[index]!);
        const leads = (p: Uint8Array[], i = index, n = size) => {
          const computed = rootFromInclusionProof({ leafHash, leafIndex: i, treeSize: n, auditPath: p });
          return computed.ok && bytesToBase64(computed.root) === root;
        };
        expect(leads(proof)).toBe(true);
        for (const mutated of mutations(proof)) expect(leads(mutated.proof), mutated.what).toBe(false);
        if (size > 1) {
          expect(leads(proof, (index + 1) % size)).toBe(false);
          expect(leads(proof, index, size * 2)).toBe(false);
        }
      }),
      { seed: 6962, numRuns: 300 },
    );
  });
});
