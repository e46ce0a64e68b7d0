// Batch hashing for RFC 9162 trees: one call hashes a whole level, so an implementation can amortise
// per-call cost (or hand the level to native code, WASM or worker threads) instead of paying it for
// every node.
import { InvalidMerkleArgumentError } from '../errors';
import type { Sha256 } from '../sha256/sha256';
import { compressBlock, resetState } from '../sha256/scalar';
import { SIMD_CHUNK, SIMD_INPUT, SIMD_OUTPUT, sha256Simd } from '../sha256/simd';

/** The two hash shapes of RFC 9162 §2.1.1, over flat buffers of 32-byte nodes. */
export interface MerkleHasher {
  /** Writes SHA-256(0x00 ‖ leafData[i]) to `out[32i, 32i+32)` for every i. */
  hashLeaves(leafData: readonly Uint8Array[], out: Uint8Array): void;
  /** Writes SHA-256(0x01 ‖ nodes[64p, 64p+64)) to `out[32p, 32p+32)` for every p < pairCount. */
  hashNodePairs(nodes: Uint8Array, pairCount: number, out: Uint8Array): void;
}

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * A MerkleHasher on top of any one-shot SHA-256, e.g. `(d) => crypto.hash('sha256', d, 'buffer')` in
 * Node. Simple, but pays the function's per-call cost on every node.
 */
export function createMerkleHasher(sha256: Sha256): MerkleHasher {
  const pair = new Uint8Array(65);
  pair[0] = NODE_PREFIX;
  const writeHash = (message: Uint8Array, out: Uint8Array, offset: number): void => {
    const digest = sha256(message);
    if (digest.length !== 32) {
      throw new InvalidMerkleArgumentError(`sha256 function returned ${digest.length} bytes instead of 32`);
    }
    out.set(digest, offset);
  };
  return {
    hashLeaves(leafData, out) {
      for (let i = 0; i < leafData.length; i++) {
        const data = leafData[i];
        const message = new Uint8Array(data.length + 1);
        message[0] = LEAF_PREFIX;
        message.set(data, 1);
        writeHash(message, out, 32 * i);
      }
    },
    hashNodePairs(nodes, pairCount, out) {
      for (let p = 0; p < pairCount; p++) {
        pair.set(nodes.subarray(64 * p, 64 * p + 64), 1);
        writeHash(pair, out, 32 * p);
      }
    },
  };
}

/**
 * SHA-256 in plain JavaScript that reads nodes straight from the level buffer and never allocates. A
 * tree costs about a third of what `createMerkleHasher` over Node's `crypto.hash` costs, and it runs in
 * any JavaScript engine: the default hasher's fallback, and its path for small calls.
 */
function createScalarMerkleHasher(): MerkleHasher {
  const state = new Int32Array(8);
  const block = new Int32Array(16);
  const scratch = new Uint8Array(64);
  const scratchView = new DataView(scratch.buffer);
  return {
    hashLeaves(leafData, out) {
      const outView = viewOf(out);
      for (let i = 0; i < leafData.length; i++) {
        hashPrefixedMessage(state, block, scratch, scratchView, LEAF_PREFIX, leafData[i]);
        storeDigest(state, outView, 32 * i);
      }
    },
    hashNodePairs(nodes, pairCount, out) {
      const nodesView = viewOf(nodes);
      const outView = viewOf(out);
      for (let p = 0; p < pairCount; p++) {
        const base = 64 * p;
        resetState(state);
        // The message 0x01 ‖ left ‖ right is the pair shifted right by one byte: block 1 holds the
        // prefix and the pair's first 63 bytes, block 2 its last byte, padding and the length.
        let previous = NODE_PREFIX;
        for (let j = 0; j < 16; j++) {
          const word = nodesView.getInt32(base + 4 * j);
          block[j] = (previous << 24) | (word >>> 8);
          previous = word;
        }
        compressBlock(state, block);
        block[0] = (previous << 24) | 0x800000;
        for (let j = 1; j < 15; j++) block[j] = 0;
        block[15] = 65 * 8;
        compressBlock(state, block);
        storeDigest(state, outView, 32 * p);
      }
    },
  };
}

/** Below this many messages per call, copying into WebAssembly memory costs more than it saves. */
const SIMD_MIN_MESSAGES = 16;
/** Leaf data up to this length makes a one-block message (prefix, data, 0x80, 8-byte length). */
const SINGLE_BLOCK_LEAF_BYTES = 64 - 1 - 1 - 8;

/**
 * The default: four messages at a time in WebAssembly SIMD (core/sha256/simd.ts), about 2.5 times the
 * scalar speed on x64; the scalar code for small calls, long leaves, and engines without SIMD. Levels
 * are copied through the module's memory in chunks, so trees keep ordinary, independent buffers.
 */
function createDefaultMerkleHasher(): MerkleHasher {
  const scalar = createScalarMerkleHasher();
  // The leaf length each input slot of the SIMD memory is padded for (-1: unknown). Leaves of a batch
  // mostly share one length, so padding is written once per slot and each leaf costs one copy.
  const slotLeafLengths = new Int16Array(SIMD_CHUNK).fill(-1);
  return {
    hashLeaves(leafData, out) {
      const simd = leafData.length >= SIMD_MIN_MESSAGES ? sha256Simd() : null;
      if (simd === null) return scalar.hashLeaves(leafData, out);
      const memory = simd.memory;
      let i = 0;
      while (i < leafData.length) {
        // A run of consecutive one-block leaves, hashed together; a longer leaf goes the scalar way.
        const runStart = i;
        let slot = 0;
        while (i < leafData.length && slot < SIMD_CHUNK) {
          const data = leafData[i];
          const length = data.length;
          if (length > SINGLE_BLOCK_LEAF_BYTES) break;
          const base = SIMD_INPUT + 64 * slot;
          if (slotLeafLengths[slot] !== length) {
            // 0x00 ‖ data ‖ 0x80 ‖ zeros ‖ 64-bit length in bits (FIPS 180-4 §5.1.1).
            memory.fill(0, base, base + 64);
            memory[base + 1 + length] = 0x80;
            const bitLength = 8 * (length + 1);
            memory[base + 62] = bitLength >>> 8;
            memory[base + 63] = bitLength & 0xff;
            slotLeafLengths[slot] = length;
          }
          memory.set(data, base + 1);
          slot++;
          i++;
        }
        if (slot > 0) {
          simd.hashSingleBlocks((slot + 3) >> 2);
          out.set(memory.subarray(SIMD_OUTPUT, SIMD_OUTPUT + 32 * slot), 32 * runStart);
        }
        if (i < leafData.length && leafData[i].length > SINGLE_BLOCK_LEAF_BYTES) {
          scalar.hashLeaves([leafData[i]], out.subarray(32 * i, 32 * i + 32));
          i++;
        }
      }
    },
    hashNodePairs(nodes, pairCount, out) {
      const simd = pairCount >= SIMD_MIN_MESSAGES ? sha256Simd() : null;
      if (simd === null) return scalar.hashNodePairs(nodes, pairCount, out);
      const memory = simd.memory;
      slotLeafLengths.fill(-1); // the pairs overwrite the leaves' padding
      for (let done = 0; done < pairCount; done += SIMD_CHUNK) {
        const count = Math.min(SIMD_CHUNK, pairCount - done);
        memory.set(nodes.subarray(64 * done, 64 * (done + count)), SIMD_INPUT);
        simd.hashNodePairs((count + 3) >> 2);
        out.set(memory.subarray(SIMD_OUTPUT, SIMD_OUTPUT + 32 * count), 32 * done);
      }
    },
  };
}

/** Leaves `state` holding SHA-256(prefix ‖ data), padding included (FIPS 180-4 §5.1.1). */
function hashPrefixedMessage(
  state: Int32Array,
  block: Int32Array,
  scratch: Uint8Array,
  scratchView: DataView,
  prefix: number,
  data: Uint8Array,
): void {
  const length = data.length + 1;
  const blockCount = Math.floor((length + 8) / 64) + 1;
  resetState(state);
  for (let start = 0; start < 64 * blockCount; start += 64) {
    for (let j = 0; j < 16; j++) scratchView.setInt32(4 * j, 0);
    // Message byte m is the prefix for m = 0 and data[m - 1] after it.
    let offset = 0;
    if (start === 0) scratch[offset++] = prefix;
    const dataEnd = Math.min(data.length, start + 63);
    for (let i = start === 0 ? 0 : start - 1; i < dataEnd; i++) scratch[offset++] = data[i];
    if (length >= start && length < start + 64) scratch[length - start] = 0x80;
    if (start === 64 * (blockCount - 1)) {
      const bitLength = length * 8;
      scratchView.setUint32(56, Math.floor(bitLength / 0x100000000));
      scratchView.setUint32(60, bitLength >>> 0);
    }
    for (let j = 0; j < 16; j++) block[j] = scratchView.getInt32(4 * j);
    compressBlock(state, block);
  }
}

function storeDigest(state: Int32Array, out: DataView, offset: number): void {
  for (let i = 0; i < 8; i++) out.setInt32(offset + 4 * i, state[i]);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Shared default instance; safe because a realm runs one hashing call at a time. */
export const defaultMerkleHasher: MerkleHasher = createDefaultMerkleHasher();

/** The plain JavaScript hasher alone: what the default falls back to, and its reference in tests. */
export const scalarMerkleHasher: MerkleHasher = createScalarMerkleHasher();
