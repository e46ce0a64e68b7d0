// The native SHA-256 that npm ci builds (native/merkle-sha256.c): loaded here, the same hashes as the
// core's plain JavaScript hasher for node pairs in shared memory (and for leaves, which it hands to
// the WebAssembly code), and a thrown TypeError (never a crash) for buffers that do not fit. parallel-merkle.test.ts compares whole
// trees built with it against the core's sequential build.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scalarMerkleHasher, type MerkleHasher } from '../../src/core/merkle/hasher';
import { merkleHashing, NATIVE_ADDON_FILE, nodeMerkleHasher } from '../../src/notarization/native-merkle-hasher';

/** npm ci built the addon (CI and this machine do), and DID_NOTARY_NATIVE does not turn it off. */
const nativeExpected = fs.existsSync(NATIVE_ADDON_FILE) && process.env.DID_NOTARY_NATIVE !== 'off';

const leafHashes = (hasher: MerkleHasher, leaves: Uint8Array[]) => {
  const out = new Uint8Array(32 * leaves.length);
  hasher.hashLeaves(leaves, out);
  return Buffer.from(out).toString('hex');
};

describe('the native Merkle hasher', () => {
  it('is in use wherever npm ci built it (an addon that was built but does not load fails here), and WebAssembly elsewhere', () => {
    expect(merkleHashing).toBe(nativeExpected ? 'native (OpenSSL) for nodes, WebAssembly SIMD for leaves' : 'WebAssembly SIMD');
  });

  it('hashes leaves of every length from 0 to 200 bytes as the JavaScript hasher does', () => {
    const leaves = Array.from({ length: 201 }, (_, length) => randomBytes(length));
    expect(leafHashes(nodeMerkleHasher, leaves)).toBe(leafHashes(scalarMerkleHasher, leaves));
    // Views into a larger buffer, at odd offsets.
    const backing = randomBytes(4096);
    const views = Array.from({ length: 100 }, (_, i) => new Uint8Array(backing.buffer, backing.byteOffset + 3 * i + 1, 34));
    expect(leafHashes(nodeMerkleHasher, views)).toBe(leafHashes(scalarMerkleHasher, views));
  });

  it('hashes node pairs, in shared memory too, as the JavaScript hasher does', () => {
    const count = 1000;
    const nodes = new Uint8Array(new SharedArrayBuffer(64 * count + 64)).subarray(64);
    nodes.set(randomBytes(64 * count));
    const native = new Uint8Array(new SharedArrayBuffer(32 * count));
    const scalar = new Uint8Array(32 * count);
    nodeMerkleHasher.hashNodePairs(nodes, count, native);
    scalarMerkleHasher.hashNodePairs(nodes, count, scalar);
    expect(Buffer.from(native).equals(Buffer.from(scalar))).toBe(true);
  });

  // The WebAssembly and JavaScript hashers trust their callers' lengths; the C code checks them.
  it.skipIf(!nativeExpected)('throws a TypeError for buffers shorter than the count, or a count that is not a whole number', () => {
    const pairs = 100;
    expect(() => nodeMerkleHasher.hashNodePairs(new Uint8Array(64 * pairs - 1), pairs, new Uint8Array(32 * pairs))).toThrow(TypeError);
    expect(() => nodeMerkleHasher.hashNodePairs(new Uint8Array(64 * pairs), pairs, new Uint8Array(32 * pairs - 1))).toThrow(TypeError);
    expect(() => nodeMerkleHasher.hashNodePairs(new Uint16Array(32 * pairs) as unknown as Uint8Array, pairs, new Uint8Array(32 * pairs))).toThrow(TypeError);
    for (const count of [pairs + 0.5, 2 ** 32 + pairs, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => nodeMerkleHasher.hashNodePairs(new Uint8Array(64 * pairs), count, new Uint8Array(32 * pairs))).toThrow(TypeError);
    }
  });
});
