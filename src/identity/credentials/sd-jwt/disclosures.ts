// SD-JWT disclosures (RFC 9901, SD-JWT §4.2): how a claim is hidden behind a digest and revealed again.
// Shared by the issuer, which makes them, and the verifier, which checks them. SHA-256 only (`_sd_alg`).
import { hash, randomBytes } from 'node:crypto';

/** The only `_sd_alg` this service issues and accepts. */
export const SD_HASH_ALGORITHM = 'sha-256';

/** A disclosure: `[salt, name, value]` for an object property, `[salt, value]` for an array element. */
export type Disclosure = [string, string, unknown] | [string, unknown];

/** The base64url SHA-256 of an ASCII string: a disclosure's digest, or a KB-JWT's `sd_hash`. */
export function sdDigest(ascii: string): string {
  return hash('sha256', ascii, 'base64url');
}

/** Encodes a disclosure (base64url of its JSON) and returns it with its digest. */
export function encodeDisclosure(disclosure: Disclosure): { encoded: string; digest: string } {
  const encoded = Buffer.from(JSON.stringify(disclosure), 'utf8').toString('base64url');
  return { encoded, digest: sdDigest(encoded) };
}

/**
 * 128-bit salts, base64url (SD-JWT §9.3), drawn from a pooled buffer: one random call per 256 salts
 * instead of one per disclosure.
 */
export class SaltSource {
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): string {
    if (this.offset + 16 > this.pool.length) {
      this.pool = randomBytes(16 * 256);
      this.offset = 0;
    }
    const salt = this.pool.toString('base64url', this.offset, this.offset + 16);
    this.offset += 16;
    return salt;
  }
}
