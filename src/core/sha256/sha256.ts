// The SHA-256 function of the core, as a plain synchronous function so that another implementation
// (Node's crypto for large files, say) can be plugged in without the core importing Node.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** One-shot SHA-256: 32-byte digest of `data`. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** Browser-safe default (audited @noble/hashes); used for document bytes and other one-off hashes. */
export const sha256: Sha256 = (data) => nobleSha256(data);
