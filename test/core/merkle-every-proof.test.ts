// MerkleTree.forEachAuditPath: every path of a range, rewritten incrementally in one buffer, must be
// byte for byte what writeAuditPath writes for that leaf.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/core/hex';
import { buildMerkleTree, MerkleTree } from '../../src/core/merkle/tree';
import { verifyInclusion } from '../../src/core/merkle/proof';
import { defaultMerkleHasher } from '../../src/core/merkle/hasher';

const leafData = (n: number, seed = 0): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, seed & 0xff, 0x12, 0x20));

/** Deterministic pseudo-random integers (xorshift32), so a failure reproduces. */
function random(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % below;
  };
}

/**
 * Runs forEachAuditPath over [from, to) and checks every visit against writeAuditPath; returns the
 * first problem, or null. Byte loops rather than expect() per leaf: thousands of leaves per tree.
 */
function checkRange(tree: MerkleTree, from?: number, to?: number): string | null {
  const first = from ?? 0;
  const end = to ?? tree.size;
  const expected = new Uint8Array(32 * 40);
  let next = first;
  let problem: string | null = null;
  tree.forEachAuditPath(
    (leafIndex, path, nodeCount) => {
      if (problem !== null) return;
      if (leafIndex !== next) {
        problem = `visited leaf ${leafIndex}, expected ${next}`;
        return;
      }
      next++;
      const count = tree.writeAuditPath(leafIndex, expected, 0);
      if (nodeCount !== count) {
        problem = `leaf ${leafIndex}: node count ${nodeCount}, writeAuditPath says ${count}`;
        return;
      }
      if (path.length !== 32 * count) {
        problem = `leaf ${leafIndex}: path is ${path.length} bytes for ${count} nodes`;
        return;
      }
      for (let k = 0; k < 32 * count; k++) {
        if (path[k] !== expected[k]) {
          problem = `leaf ${leafIndex}: byte ${k} (node ${k >> 5}) is ${path[k]}, writeAuditPath wrote ${expected[k]}`;
          return;
        }
      }
    },
    from,
    to,
  );
  if (problem === null && next !== end) problem = `visits stopped at leaf ${next}, expected ${end}`;
  return problem;
}

/** Ranges worth checking in a tree of n leaves: whole, empty, middles, and from just before and after every gap. */
function rangesFor(n: number, rand: (below: number) => number): [number, number][] {
  const ranges: [number, number][] = [[0, n], [0, 0], [n, n], [n >> 1, n >> 1], [n >> 1, n], [0, n >> 1], [n - 1, n], [0, 1]];
  // The leaves where a level loses its sibling: the largest multiple of 2^l below n (for an odd level size).
  for (let l = 0; 2 ** l < n; l++) {
    const gapLeaf = Math.ceil(n / 2 ** l - 1) * 2 ** l;
    for (const start of [gapLeaf - 1, gapLeaf, gapLeaf + 1]) if (start >= 0 && start <= n) ranges.push([start, n]);
    if (gapLeaf > 0) ranges.push([0, gapLeaf], [rand(gapLeaf), gapLeaf + 1 <= n ? gapLeaf + 1 : n]);
  }
  for (let k = 0; k < 4; k++) {
    const a = rand(n + 1);
    const b = rand(n + 1);
    ranges.push([Math.min(a, b), Math.max(a, b)]);
  }
  return ranges;
}

describe('MerkleTree.forEachAuditPath', () => {
  const rand = random(0x9162);
  const sizes = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 31, 33, 63, 100, 1000, 1023, 1024, 1025, 2 ** 12 - 1, 2 ** 12, 2 ** 12 + 1,
    // Odd counts at several levels: gaps at levels 0, 1, 9 and 11; 11, 5, 0; every level.
    2 ** 11 + 2 ** 9 + 3, 2 ** 11 + 2 ** 5 + 1, 2 ** 13 - 1,
  ];
  for (let k = 0; k < 16; k++) sizes.push(1 + rand(5000));

  it.each(sizes)('visits every leaf of a %i-leaf tree in order with writeAuditPath’s bytes, whole and in ranges', (n) => {
    const tree = buildMerkleTree(leafData(n, n));
    for (const [from, to] of rangesFor(n, rand)) {
      expect(checkRange(tree, from, to), `range [${from}, ${to}) of ${n}`).toBeNull();
    }
    // Defaults: from = 0, to = size.
    expect(checkRange(tree)).toBeNull();
    expect(checkRange(tree, n >> 1)).toBeNull();
  });

  it('every path verifies against the root (RFC 9162 §2.1.3.2), copied out of the reused buffer', () => {
    for (const n of [1, 7, 300, 2 ** 11 + 2 ** 9 + 3]) {
      const tree = buildMerkleTree(leafData(n));
      const root = tree.root;
      const kept: Uint8Array[][] = [];
      tree.forEachAuditPath((leafIndex, path, nodeCount) => {
        kept.push(Array.from({ length: nodeCount }, (_, k) => path.slice(32 * k, 32 * k + 32)));
        expect(leafIndex).toBe(kept.length - 1);
      });
      expect(kept).toHaveLength(n);
      kept.forEach((auditPath, leafIndex) => {
        expect(verifyInclusion({ leafHash: tree.leafHash(leafIndex), leafIndex, treeSize: n, auditPath, root }), `leaf ${leafIndex} of ${n}`).toBe(true);
      });
    }
  });

  it('the empty tree visits nothing', () => {
    const tree = buildMerkleTree([]);
    let visits = 0;
    tree.forEachAuditPath(() => visits++);
    tree.forEachAuditPath(() => visits++, 0, 0);
    expect(visits).toBe(0);
    expect(() => tree.forEachAuditPath(() => visits++, 0, 1)).toThrow(expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }));
  });

  it('throws INVALID_MERKLE_ARGUMENT for ranges outside the tree or not of integers, before any visit', () => {
    const tree = buildMerkleTree(leafData(9));
    const bad: [number, number][] = [[-1, 9], [0, 10], [5, 4], [1.5, 9], [0, 8.5], [Number.NaN, 9], [0, Number.NaN], [0, Infinity], [10, 10]];
    for (const [from, to] of bad) {
      let visits = 0;
      expect(() => tree.forEachAuditPath(() => visits++, from, to), `[${from}, ${to})`).toThrow(
        expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT', message: expect.stringContaining(`leaf range [${from}, ${to})`) }),
      );
      expect(visits).toBe(0);
    }
    expect(() => tree.forEachAuditPath(undefined as unknown as () => void)).toThrow(expect.objectContaining({ code: 'INVALID_MERKLE_ARGUMENT' }));
  });

  it('an exception from the callback stops the walk and leaves the tree usable', () => {
    const tree = buildMerkleTree(leafData(100));
    let visits = 0;
    expect(() =>
      tree.forEachAuditPath((leafIndex) => {
        visits++;
        if (leafIndex === 41) throw new Error('stop');
      }),
    ).toThrow('stop');
    expect(visits).toBe(42);
    expect(checkRange(tree)).toBeNull();
  });

  it('nested walks over the same tree use their own buffers', () => {
    const tree = buildMerkleTree(leafData(37));
    const outer: string[] = [];
    tree.forEachAuditPath((leafIndex, path) => {
      if (leafIndex % 10 === 0) expect(checkRange(tree, 0, 37)).toBeNull();
      outer.push(bytesToHex(path));
    });
    expect(outer).toEqual(Array.from({ length: 37 }, (_, i) => tree.inclusionProof(i).map(bytesToHex).join('')));
  });

  it('copies NaN, -0, subnormal and infinity bit patterns exactly, from 8-byte aligned and misaligned node buffers', () => {
    const specials = ['7ff0000000000001', '7ff8000000000000', 'fff8000000000000', '7fffffffffffffff', 'ffffffffffffffff', '7ff4000000000000', '8000000000000000', '0000000000000001', '7ff0000000000000', 'fff0000000000000'];
    const pattern = (i: number): number[] => Array.from(hexToBytes(specials[(i * 7) % specials.length]!));
    for (const n of [300, 1025]) {
      for (const byteOffset of [0, 4]) {
        const tree = new MerkleTree(leafData(n), defaultMerkleHasher, {
          // byteOffset 4: the tree has no Float64Array view and copies words.
          allocate: (byteLength) => new Uint8Array(new ArrayBuffer(byteLength + 8), byteOffset, byteLength),
          fill(_data, nodes) {
            for (let k = 0; k < nodes.length / 8; k++) {
              nodes.set(k % 5 === 4 ? Array.from({ length: 8 }, (_, j) => (k * 31 + j * 17) & 0xff) : pattern(k), 8 * k);
            }
          },
        });
        expect(checkRange(tree), `${n} leaves, node buffer at byte ${byteOffset}`).toBeNull();
        expect(checkRange(tree, 299, n)).toBeNull();
      }
    }
  });
});
