// Node only: the Merkle hasher that sealing, tree rebuilds and exports use. Interior nodes go to the
// native SHA-256 (native/merkle-sha256.c, OpenSSL's SHA-256 with the CPU's SHA extensions, twice the
// speed here) when `npm ci` built it; leaves, and everything where it was not built, to the core's
// default (WebAssembly SIMD, the same bytes). The native file says why leaves stay in WebAssembly.
// The core itself stays free of Node: browsers and the library keep the WebAssembly code.
import os from 'node:os';
import path from 'node:path';
import { defaultMerkleHasher, type MerkleHasher } from '../core/merkle/hasher';

/** What native/merkle-sha256.c exports. */
interface NativeMerkleSha256 {
  hashNodePairs(nodes: Uint8Array, pairCount: number, out: Uint8Array): void;
}

/** Below this many pairs per call, the native code is not worth the call. */
const NATIVE_MIN_PAIRS = 64;

/** Where scripts/build-native.js leaves the addon (node-gyp's Release directory). */
export const NATIVE_ADDON_FILE = path.join(__dirname, '..', '..', 'native', 'build', 'Release', 'merkle_sha256.node');

function loadNative(): NativeMerkleSha256 | null {
  // DID_NOTARY_NATIVE=off: the WebAssembly hashing, as on a machine where the addon was not built.
  if (process.env.DID_NOTARY_NATIVE === 'off') return null;
  try {
    const module = { exports: {} as NativeMerkleSha256 };
    // RTLD_NOW: a missing OpenSSL symbol fails here, into the fallback, not at the first call.
    process.dlopen(module, NATIVE_ADDON_FILE, os.constants.dlopen.RTLD_NOW);
    return module.exports;
  } catch {
    return null;
  }
}

/** Node pairs on the native SHA-256 (which checks the buffers' lengths against the count), leaves on the default. */
function nativeMerkleHasher(native: NativeMerkleSha256): MerkleHasher {
  return {
    hashLeaves(leafData, out) {
      defaultMerkleHasher.hashLeaves(leafData, out);
    },
    hashNodePairs(nodes, pairCount, out) {
      // A few pairs (a tree's top levels, a single parent) in small, often on-heap arrays: the
      // WebAssembly or JavaScript code, which neither crosses into C nor moves those arrays off V8's heap.
      if (pairCount < NATIVE_MIN_PAIRS) defaultMerkleHasher.hashNodePairs(nodes, pairCount, out);
      else native.hashNodePairs(nodes, pairCount, out);
    },
  };
}

const native = loadNative();

/** The hasher for Merkle trees built in Node: the native one where it loaded, else the default. */
export const nodeMerkleHasher: MerkleHasher = native ? nativeMerkleHasher(native) : defaultMerkleHasher;

/** Which SHA-256 `nodeMerkleHasher` runs, for the start-up log and the bench. */
export const merkleHashing: 'native (OpenSSL) for nodes, WebAssembly SIMD for leaves' | 'WebAssembly SIMD' = native
  ? 'native (OpenSSL) for nodes, WebAssembly SIMD for leaves'
  : 'WebAssembly SIMD';
