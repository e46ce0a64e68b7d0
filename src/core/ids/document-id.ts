// Document identifiers: a document is its multihash. Clients may name it by a hex SHA-256
// digest, a multihash in hex or base58btc, or a CID in any multibase; all resolve to one DocumentId whose
// canonical form is the CIDv1 with the raw codec in base32.
import { excerpt, InvalidDocumentIdError } from '../errors';
import { bytesToHex, hexToBytes, tryHexToBytes } from '../hex';
import { decodeBareBase58btc, decodeMultibase, hasMultibasePrefix } from './multibase';
import {
  decodeMultihash,
  encodeMultihash,
  multihashAlgorithm,
  readMultihashLayout,
  readVarint,
  SHA2_256,
  type MultihashAlgorithm,
} from './multihash';

/** One document, in every form the system uses. */
export interface DocumentId {
  /** Multihash bytes: the Merkle leaf data. */
  readonly multihash: Uint8Array;
  /** Lower-case hex of `multihash`, e.g. '1220…'. */
  readonly multihashHex: string;
  /** CIDv1, raw codec, base32: 'bafkrei…' for sha2-256. Used in URLs and receipts. */
  readonly cid: string;
  /** Lower-case hex of the bare digest. */
  readonly digestHex: string;
  /** Multihash code: 0x12 sha2-256 or 0x13 sha2-512. */
  readonly code: number;
}

const RAW_CODEC = 0x55;
const CID_VERSION_1 = 0x01;
/** Longer than any supported id in any base (a sha2-512 CID in base2 has 545 characters). */
const MAX_INPUT_LENGTH = 1000;
const SHA256_HEX_DIGEST_LENGTH = 64;

/**
 * Parses any accepted form of a document identifier:
 * - 64 hex characters (either case): a SHA-256 digest;
 * - other hex: a multihash ('1220…'), unless it only reads as multibase text ('f0155…', base2/8/10);
 * - text starting with a multibase prefix ('b', 'z', 'f', 'k', 'm', …): a CIDv1 of any codec (its
 *   multihash is used) or a multibase multihash;
 * - anything else: a bare base58btc multihash ('Qm…', the CIDv0 form).
 * Throws `InvalidDocumentIdError` (code `INVALID_DOCUMENT_ID`) saying exactly what is wrong, and no
 * other error for any string.
 */
export function parseDocumentId(input: string): DocumentId {
  if (typeof input !== 'string') throw new InvalidDocumentIdError('document id must be a string');
  if (input.length === 0) throw new InvalidDocumentIdError('document id is empty');
  if (input.length > MAX_INPUT_LENGTH) {
    throw new InvalidDocumentIdError(`document id is ${input.length} characters long, at most ${MAX_INPUT_LENGTH} allowed`, {
      length: input.length,
    });
  }
  // The common form first (a bulk request carries thousands): 64 hex digits, the digest itself.
  const digest = input.length === SHA256_HEX_DIGEST_LENGTH ? tryHexToBytes(input) : undefined;
  if (digest) return documentIdFromParts(SHA2_256, digest, input.toLowerCase());
  if (/^[0-9a-fA-F]+$/.test(input)) return parseHex(input);
  if (hasMultibasePrefix(input)) return documentIdFromBinary(decodeMultibase(input), input);
  return documentIdFromBinary(decodeBareBase58btc(input), input);
}

/** The id of a document whose SHA-256 digest is `sha256Digest` (32 bytes). */
export function documentIdFromDigest(sha256Digest: Uint8Array): DocumentId {
  return documentIdFromParts(SHA2_256, sha256Digest);
}

/** The id for multihash bytes (as stored); throws `InvalidDocumentIdError` for unaccepted ones. */
export function documentIdFromMultihash(multihash: Uint8Array): DocumentId {
  const { algorithm, digest } = decodeMultihash(multihash);
  return documentIdFromParts(algorithm, digest);
}

/** Hashes a document's bytes with sha2-256, or with another accepted algorithm (see multihash.ts). */
export function hashDocument(bytes: Uint8Array, algorithm: MultihashAlgorithm = SHA2_256): DocumentId {
  return documentIdFromParts(algorithm, algorithm.hash(bytes));
}

function parseHex(input: string): DocumentId {
  if (input.length === SHA256_HEX_DIGEST_LENGTH) return documentIdFromDigest(hexToBytes(input));
  const bytes = input.length % 2 === 0 ? hexToBytes(input) : undefined;
  const layout = bytes === undefined ? 'a hex multihash has an even length' : readMultihashLayout(bytes);
  // Hex digits also spell multibase text ('f0155…', 'BAFK…' prefixes, base2/8/10 digits). A hex
  // multihash with an accepted code starts with '12' or '13', never a multibase prefix, so try
  // multibase only when the hex reading names no accepted hash.
  if (bytes !== undefined && typeof layout !== 'string' && multihashAlgorithm(layout.code) !== undefined) {
    return documentIdFromMultihash(bytes);
  }
  if (hasMultibasePrefix(input)) return documentIdFromBinary(decodeMultibase(input), input);
  if (bytes !== undefined && typeof layout !== 'string') return documentIdFromMultihash(bytes);
  throw new InvalidDocumentIdError(
    `hex digest must be ${SHA256_HEX_DIGEST_LENGTH} characters, got ${input.length}, and it is no multihash either (${layout})`,
    { length: input.length },
  );
}

/** Decoded bytes of a CIDv1 (version byte 0x01) or otherwise of a multihash. */
function documentIdFromBinary(bytes: Uint8Array, input: string): DocumentId {
  if (bytes[0] !== CID_VERSION_1) return documentIdFromMultihash(bytes);
  const codec = readVarint(bytes, 1, 'CID codec');
  if (typeof codec === 'string') throw new InvalidDocumentIdError(codec, { value: excerpt(input) });
  return documentIdFromMultihash(bytes.subarray(codec.end));
}

/** `digestHex`, when the caller has it (lower case), saves encoding the digest again. */
function documentIdFromParts(algorithm: MultihashAlgorithm, digest: Uint8Array, digestHex = bytesToHex(digest)): DocumentId {
  const prefix = multihashPrefix(algorithm);
  if (digest.length !== algorithm.digestLength) encodeMultihash(algorithm, digest); // throws its error
  const multihash = new Uint8Array(prefix.bytes.length + digest.length);
  multihash.set(prefix.bytes);
  multihash.set(digest, prefix.bytes.length);
  return {
    multihash,
    multihashHex: prefix.hex + digestHex,
    cid: rawCidBase32(multihash),
    digestHex,
    code: algorithm.code,
  };
}

const prefixByCode = new Map<number, { bytes: Uint8Array; hex: string }>();

/** A multihash's code and length varints, the same for every digest of an algorithm. */
function multihashPrefix(algorithm: MultihashAlgorithm): { bytes: Uint8Array; hex: string } {
  let prefix = prefixByCode.get(algorithm.code);
  if (prefix === undefined) {
    const empty = encodeMultihash(algorithm, new Uint8Array(algorithm.digestLength));
    const bytes = empty.slice(0, empty.length - algorithm.digestLength);
    prefix = { bytes, hex: bytesToHex(bytes) };
    prefixByCode.set(algorithm.code, prefix);
  }
  return prefix;
}

const BASE32_CODES = Uint8Array.from('abcdefghijklmnopqrstuvwxyz234567', (c) => c.charCodeAt(0));

/**
 * 'b' + RFC 4648 base32 (lower case, unpadded) of the CIDv1 bytes 0x01 0x55 ‖ multihash: the same text
 * as multiformats' `CID.createV1(raw, digest).toString()`, at a fraction of its cost, which mattered
 * for bulk submissions (a CID per document, a thousand per request).
 */
function rawCidBase32(multihash: Uint8Array): string {
  const length = multihash.length + 2;
  const codes = new Array<number>(1 + Math.ceil((length * 8) / 5));
  codes[0] = 0x62; // 'b'
  let out = 1;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < length; i++) {
    buffer = ((buffer << 8) | (i === 0 ? CID_VERSION_1 : i === 1 ? RAW_CODEC : multihash[i - 2]!)) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      codes[out++] = BASE32_CODES[(buffer >>> bits) & 31]!;
    }
  }
  if (bits > 0) codes[out++] = BASE32_CODES[(buffer << (5 - bits)) & 31]!;
  return String.fromCharCode.apply(null, codes);
}
