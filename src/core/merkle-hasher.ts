// Batch hashing for RFC 9162 trees: one call hashes a whole level, so an implementation can amortise
// per-call cost (or hand the level to native code, WASM or worker threads) instead of paying it for
// every node.
import { InvalidMerkleArgumentError } from './errors';
import type { Sha256 } from './sha256';
import { compressBlock, resetState } from './sha256-compress';

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
 * The default: SHA-256 in plain JavaScript that reads nodes straight from the level buffer and never
 * allocates. A tree costs about a third of what `createMerkleHasher` over Node's `crypto.hash` costs,
 * and it runs in the browser.
 */
function createDefaultMerkleHasher(): MerkleHasher {
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
