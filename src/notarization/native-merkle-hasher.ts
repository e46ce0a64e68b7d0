// Node only: the Merkle hasher that sealing, tree rebuilds and exports use. The native SHA-256
// (native/merkle-sha256.c, OpenSSL's SHA-256 with the CPU's SHA extensions) when `npm ci` built it,
// else the core's default (WebAssembly SIMD, the same bytes at about a third of the speed here). The
// core itself stays free of Node: browsers and the library keep the WebAssembly code.
import path from 'node:path';
import { defaultMerkleHasher, type MerkleHasher } from '../core/merkle/hasher';

/** What native/merkle-sha256.c exports. */
interface NativeMerkleSha256 {
  hashNodePairs(nodes: Uint8Array, pairCount: number, out: Uint8Array): void;
  hashLeaves(leaves: readonly Uint8Array[], first: number, end: number, out: Uint8Array): void;
}

/** Where scripts/build-native.js leaves the addon (node-gyp's Release directory). */
export const NATIVE_ADDON_FILE = path.join(__dirname, '..', '..', 'native', 'build', 'Release', 'merkle_sha256.node');

function loadNative(): NativeMerkleSha256 | null {
  // DID_NOTARY_NATIVE=off: the WebAssembly hashing, as on a machine where the addon was not built.
  if (process.env.DID_NOTARY_NATIVE === 'off') return null;
  try {
    const module = { exports: {} as NativeMerkleSha256 };
    process.dlopen(module, NATIVE_ADDON_FILE);
    return module.exports;
  } catch {
    return null;
  }
}

/** The hasher over the native SHA-256; the addon checks every buffer's length against the counts. */
export function nativeMerkleHasher(native: NativeMerkleSha256): MerkleHasher {
  return {
    hashLeaves(leafData, out) {
      native.hashLeaves(leafData, 0, leafData.length, out);
    },
    hashNodePairs(nodes, pairCount, out) {
      native.hashNodePairs(nodes, pairCount, out);
    },
  };
}

const native = loadNative();

/** The hasher for Merkle trees built in Node: the native one where it loaded, else the default. */
export const nodeMerkleHasher: MerkleHasher = native ? nativeMerkleHasher(native) : defaultMerkleHasher;

/** Which SHA-256 `nodeMerkleHasher` runs, for the start-up log and the bench. */
export const merkleHashing: 'native (OpenSSL)' | 'WebAssembly SIMD' = native ? 'native (OpenSSL)' : 'WebAssembly SIMD';
