import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { createMerkleHasher, defaultMerkleHasher } from '../../src/core/merkle-hasher';
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
