// The WebAssembly SIMD SHA-256 (sha256-simd.ts) and the default Merkle hasher that feeds it: the
// standard's known answers through every lane of a quad and up to a full chunk, then a differential
// check against node:crypto over every lane count and chunk boundary the hasher can meet.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultMerkleHasher } from '../../src/core/merkle/hasher';
import { SIMD_CHUNK, SIMD_INPUT, SIMD_OUTPUT, sha256Simd } from '../../src/core/sha256/simd';
import { sha256Vectors } from './vectors/sha256-vectors';

const nodeSha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** The vectors that fit one padded block (data, 0x80, 64-bit length): what hashSingleBlocks takes. */
const ONE_BLOCK = sha256Vectors(55);
/** The lane counts of the last quad (1 to 4), a single quad, and the edges of a full chunk. */
const MESSAGE_COUNTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, ONE_BLOCK.length, SIMD_CHUNK - 3, SIMD_CHUNK - 1, SIMD_CHUNK];

describe('hashSingleBlocks (SIMD)', () => {
  const simd = sha256Simd();

  it('is available in Node 20 (the path under test is the one the service takes)', () => {
    expect(simd).not.toBeNull();
  });

  it(`has ${ONE_BLOCK.length} one-block vectors from the standard to check`, () => {
    expect(ONE_BLOCK.length).toBeGreaterThanOrEqual(56);
  });

  it.each(MESSAGE_COUNTS)('gives the known answer of every vector in every slot, %i messages at a time', (count) => {
    const { memory } = simd!;
    // Slot s holds vector (s + shift) mod V: over the shifts, each vector visits each of the four lanes.
    for (let shift = 0; shift < 4; shift++) {
      const expected: string[] = [];
      for (let slot = 0; slot < count; slot++) {
        const vector = ONE_BLOCK[(slot + shift) % ONE_BLOCK.length]!;
        const base = SIMD_INPUT + 64 * slot;
        memory.fill(0, base, base + 64);
        memory.set(vector.message, base);
        memory[base + vector.message.length] = 0x80;
        const bits = vector.message.length * 8;
        memory[base + 62] = bits >>> 8;
        memory[base + 63] = bits & 0xff;
        expected.push(vector.digest);
      }
      simd!.hashSingleBlocks((count + 3) >> 2);
      for (let slot = 0; slot < count; slot++) {
        expect(Buffer.from(memory.subarray(SIMD_OUTPUT + 32 * slot, SIMD_OUTPUT + 32 * slot + 32)).toString('hex'), `slot ${slot}, shift ${shift}`).toBe(expected[slot]);
      }
    }
  });
});

/** Leaf counts around the SIMD threshold (16), each lane count of the last quad, and chunk boundaries. */
const LEAF_COUNTS = [15, 16, 17, 18, 19, 20, SIMD_CHUNK - 1, SIMD_CHUNK, SIMD_CHUNK + 1, SIMD_CHUNK + 3, 2 * SIMD_CHUNK + 1];

function deterministicBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

describe('the default Merkle hasher against node:crypto', () => {
  it.each(LEAF_COUNTS)('hashes %i leaves of mixed lengths (one-block runs and longer ones between them)', (count) => {
    const leaves = Array.from({ length: count }, (_, i) => deterministicBytes(i % 97 === 5 ? 60 + (i % 40) : 34 + (i % 21), i));
    const out = new Uint8Array(32 * count);
    defaultMerkleHasher.hashLeaves(leaves, out);
    leaves.forEach((leaf, i) => expect(Buffer.from(out.subarray(32 * i, 32 * i + 32)).equals(nodeSha256(Uint8Array.of(0), leaf)), `leaf ${i}`).toBe(true));
  });

  it.each(LEAF_COUNTS)('hashes %i node pairs', (count) => {
    const nodes = deterministicBytes(64 * count, count);
    const out = new Uint8Array(32 * count);
    defaultMerkleHasher.hashNodePairs(nodes, count, out);
    for (let p = 0; p < count; p++) {
      expect(Buffer.from(out.subarray(32 * p, 32 * p + 32)).equals(nodeSha256(Uint8Array.of(1), nodes.subarray(64 * p, 64 * p + 64))), `pair ${p}`).toBe(true);
    }
  });

  it('agrees on any leaves and pairs (property, seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 120 }), { minLength: 0, maxLength: 80 }), fc.integer({ min: 0, max: 70 }), (leaves, pairCount) => {
        const leafOut = new Uint8Array(32 * leaves.length);
        defaultMerkleHasher.hashLeaves(leaves, leafOut);
        const leavesAgree = leaves.every((leaf, i) => Buffer.from(leafOut.subarray(32 * i, 32 * i + 32)).equals(nodeSha256(Uint8Array.of(0), leaf)));
        const nodes = deterministicBytes(64 * pairCount, leaves.length);
        const pairOut = new Uint8Array(32 * pairCount);
        defaultMerkleHasher.hashNodePairs(nodes, pairCount, pairOut);
        let pairsAgree = true;
        for (let p = 0; p < pairCount; p++) pairsAgree &&= Buffer.from(pairOut.subarray(32 * p, 32 * p + 32)).equals(nodeSha256(Uint8Array.of(1), nodes.subarray(64 * p, 64 * p + 64)));
        return leavesAgree && pairsAgree;
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });
});
