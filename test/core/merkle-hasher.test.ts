import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { createMerkleHasher, defaultMerkleHasher, scalarMerkleHasher } from '../../src/core/merkle/hasher';
import { sha256Simd, sha256SimdModuleBytes } from '../../src/core/sha256/simd';
import { DomainError } from '../../src/core/errors';

const referenceLeafHash = (data: Uint8Array): Uint8Array => sha256(Uint8Array.of(0x00, ...data));
const referenceNodeHash = (pair: Uint8Array): Uint8Array => sha256(Uint8Array.of(0x01, ...pair));

function leafHashes(hasher: typeof defaultMerkleHasher, leaves: Uint8Array[]): Uint8Array[] {
  const out = new Uint8Array(32 * leaves.length);
  hasher.hashLeaves(leaves, out);
  return leaves.map((_, i) => out.slice(32 * i, 32 * i + 32));
}

describe('defaultMerkleHasher (unrolled SHA-256)', () => {
  it('hashes leaves of every length across the padding boundaries like @noble/hashes', () => {
    const leaves = Array.from({ length: 260 }, (_, length) => Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff));
    expect(leafHashes(defaultMerkleHasher, leaves)).toEqual(leaves.map(referenceLeafHash));
  });

  it('hashes random leaves like @noble/hashes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1000 }), { maxLength: 20 }), (leaves) => {
        expect(leafHashes(defaultMerkleHasher, leaves)).toEqual(leaves.map(referenceLeafHash));
      }),
    );
  });

  it('hashes node pairs like @noble/hashes, many per call', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }).chain((pairs) => fc.uint8Array({ minLength: 64 * pairs, maxLength: 64 * pairs })), (nodes) => {
        const pairCount = nodes.length / 64;
        const out = new Uint8Array(32 * pairCount);
        defaultMerkleHasher.hashNodePairs(nodes, pairCount, out);
        for (let p = 0; p < pairCount; p++) {
          expect(out.slice(32 * p, 32 * p + 32)).toEqual(referenceNodeHash(nodes.slice(64 * p, 64 * p + 64)));
        }
      }),
    );
  });

  it('reads and writes through subarrays at any offset', () => {
    const backing = Uint8Array.from({ length: 64 * 3 + 5 }, (_, i) => i);
    const nodes = backing.subarray(5, 5 + 128);
    const outBacking = new Uint8Array(3 + 64);
    defaultMerkleHasher.hashNodePairs(nodes, 2, outBacking.subarray(3));
    expect(outBacking.slice(3, 35)).toEqual(referenceNodeHash(nodes.slice(0, 64)));
    expect(outBacking.slice(35, 67)).toEqual(referenceNodeHash(nodes.slice(64, 128)));
    expect(outBacking.slice(0, 3)).toEqual(new Uint8Array(3));
  });
});

describe('createMerkleHasher', () => {
  const nodeHasher = createMerkleHasher((data) => hash('sha256', data, 'buffer'));

  it('agrees with the default when built on node:crypto', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 2, maxLength: 20 }), (leaves) => {
        const fromNode = leafHashes(nodeHasher, leaves);
        expect(fromNode).toEqual(leafHashes(defaultMerkleHasher, leaves));
        const pairs = new Uint8Array(64 * Math.floor(leaves.length / 2));
        fromNode.slice(0, 2 * Math.floor(leaves.length / 2)).forEach((node, i) => pairs.set(node, 32 * i));
        const a = new Uint8Array(pairs.length / 2);
        const b = new Uint8Array(pairs.length / 2);
        nodeHasher.hashNodePairs(pairs, pairs.length / 64, a);
        defaultMerkleHasher.hashNodePairs(pairs, pairs.length / 64, b);
        expect(a).toEqual(b);
      }),
    );
  });

  it('rejects a hash function that does not return 32 bytes', () => {
    const broken = createMerkleHasher(() => new Uint8Array(20));
    expect(() => broken.hashLeaves([new Uint8Array(1)], new Uint8Array(32))).toThrow(DomainError);
  });
});

describe('defaultMerkleHasher (WebAssembly SIMD, four messages at a time)', () => {
  const random = (seed: number) => () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (seed >>> 0) / 2 ** 32;
  };
  const bytes = (next: () => number, length: number): Uint8Array => Uint8Array.from({ length }, () => Math.floor(next() * 256));
  const pairsOf = (next: () => number, count: number): Uint8Array => bytes(next, 64 * count);
  const nodeHashes = (hasher: typeof defaultMerkleHasher, nodes: Uint8Array, count: number): Uint8Array => {
    const out = new Uint8Array(32 * count);
    hasher.hashNodePairs(nodes, count, out);
    return out;
  };

  it('is available on this Node, so the tests below exercise it', () => {
    expect(WebAssembly.validate(sha256SimdModuleBytes())).toBe(true);
    expect(sha256Simd()).not.toBeNull();
  });

  it('hashes node pairs like the scalar hasher for counts around the lane and chunk sizes', () => {
    const next = random(1);
    for (const count of [15, 16, 17, 18, 19, 20, 63, 2047, 2048, 2049, 2050, 4096 + 3]) {
      const nodes = pairsOf(next, count);
      expect(nodeHashes(defaultMerkleHasher, nodes, count)).toEqual(nodeHashes(scalarMerkleHasher, nodes, count));
    }
  });

  it('hashes node pairs like @noble/hashes, read from and written to unaligned subarrays', () => {
    const next = random(2);
    const count = 37;
    const backing = bytes(next, 64 * count + 3);
    const nodes = backing.subarray(3);
    const outBacking = new Uint8Array(32 * count + 5);
    defaultMerkleHasher.hashNodePairs(nodes, count, outBacking.subarray(1, 1 + 32 * count));
    for (let p = 0; p < count; p++) {
      expect(outBacking.slice(1 + 32 * p, 33 + 32 * p)).toEqual(referenceNodeHash(nodes.slice(64 * p, 64 * p + 64)));
    }
    expect([outBacking[0], ...outBacking.slice(1 + 32 * count)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('hashes leaves of random lengths (one-block and longer, mixed) like @noble/hashes', () => {
    const next = random(3);
    for (const count of [16, 17, 19, 100, 2049, 4100]) {
      const leaves = Array.from({ length: count }, () => bytes(next, Math.floor(next() * (next() < 0.9 ? 55 : 200))));
      expect(leafHashes(defaultMerkleHasher, leaves)).toEqual(leaves.map(referenceLeafHash));
    }
  });

  it('hashes leaves at the one-block boundary (54 and 55 bytes) and multihash-sized leaves', () => {
    const next = random(4);
    for (const length of [0, 1, 33, 34, 53, 54, 55, 56, 63, 64]) {
      const leaves = Array.from({ length: 21 }, () => bytes(next, length));
      expect(leafHashes(defaultMerkleHasher, leaves)).toEqual(leaves.map(referenceLeafHash));
    }
  });

  it('keeps leaf padding right across calls of other lengths and node pair calls in between', () => {
    const next = random(5);
    const rounds: Array<() => void> = [];
    for (const length of [34, 34, 10, 54, 34]) {
      rounds.push(() => {
        const leaves = Array.from({ length: 40 }, () => bytes(next, length));
        expect(leafHashes(defaultMerkleHasher, leaves)).toEqual(leaves.map(referenceLeafHash));
      });
      rounds.push(() => {
        const nodes = pairsOf(next, 40);
        expect(nodeHashes(defaultMerkleHasher, nodes, 40)).toEqual(nodeHashes(scalarMerkleHasher, nodes, 40));
      });
    }
    rounds.forEach((round) => round());
  });

  it('agrees with the scalar hasher on random leaf sets (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 16, maxLength: 60 }), (leaves) => {
        expect(leafHashes(defaultMerkleHasher, leaves)).toEqual(leafHashes(scalarMerkleHasher, leaves));
      }),
      { numRuns: 50 },
    );
  });
});

describe('defaultMerkleHasher without WebAssembly', () => {
  it('falls back to the scalar code and hashes the same (node --jitless has no WebAssembly)', () => {
    const script = `
      require('tsx/cjs/api').register();
      const { defaultMerkleHasher } = require('./src/core/merkle/hasher.ts');
      const { sha256Simd } = require('./src/core/sha256/simd.ts');
      const leaves = Array.from({ length: 40 }, (_, i) => new Uint8Array(i + 20).fill(i));
      const out = new Uint8Array(32 * 40);
      defaultMerkleHasher.hashLeaves(leaves, out);
      const parents = new Uint8Array(32 * 20);
      defaultMerkleHasher.hashNodePairs(out, 20, parents);
      process.stdout.write(JSON.stringify({ simd: sha256Simd(), leaves: Buffer.from(out).toString('hex'), parents: Buffer.from(parents).toString('hex') }));
    `;
    const child = spawnSync(process.execPath, ['--jitless', '-e', script], { cwd: path.join(__dirname, '../..'), encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as { simd: null; leaves: string; parents: string };
    expect(result.simd).toBeNull();
    const leaves = Array.from({ length: 40 }, (_, i) => new Uint8Array(i + 20).fill(i));
    const expectedLeaves = Buffer.concat(leaves.map(referenceLeafHash));
    expect(result.leaves).toBe(expectedLeaves.toString('hex'));
    const expectedParents = Buffer.concat(Array.from({ length: 20 }, (_, p) => referenceNodeHash(expectedLeaves.subarray(64 * p, 64 * p + 64))));
    expect(result.parents).toBe(expectedParents.toString('hex'));
  });
});
