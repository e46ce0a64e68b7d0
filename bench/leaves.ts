// Test documents: random sha2-256 multihashes (0x12 0x20 ‖ 32-byte digest), the leaf data of our trees.
import { randomBytes } from 'node:crypto';

export const MULTIHASH_BYTES = 34;

/**
 * `count` distinct multihashes as Buffers (which are Uint8Arrays, so both our tree and the peers take
 * the very same objects), viewing one shared allocation.
 */
export function randomMultihashes(count: number): Buffer[] {
  const digests = randomBytes(32 * count);
  const all = Buffer.allocUnsafe(MULTIHASH_BYTES * count);
  const leaves: Buffer[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const leaf = all.subarray(MULTIHASH_BYTES * i, MULTIHASH_BYTES * (i + 1));
    leaf[0] = 0x12;
    leaf[1] = 0x20;
    digests.copy(leaf, 2, 32 * i, 32 * (i + 1));
    leaves[i] = leaf;
  }
  return leaves;
}

/** The 64-hex SHA-256 digest form that clients send (`{"hash": …}`). */
export function digestHex(multihash: Uint8Array): string {
  return Buffer.from(multihash.buffer, multihash.byteOffset + 2, 32).toString('hex');
}

/** `count` random 64-hex digests as one JSON array body fragment is built from (bulk requests). */
export function randomDigestHexes(count: number): string[] {
  const hex = randomBytes(32 * count).toString('hex');
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = hex.slice(64 * i, 64 * (i + 1));
  return out;
}
