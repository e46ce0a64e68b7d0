// Multihash (multiformats) bytes: `varint(code) ‖ varint(length) ‖ digest`, and the hash functions we
// accept in a document identifier. Adding a function is one entry in `algorithms`.
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidDocumentIdError } from '../errors';
import { sha256 } from '../sha256/sha256';

/** A hash function a document identifier may use. */
export interface MultihashAlgorithm {
  /** Multicodec code, e.g. 0x12. */
  readonly code: number;
  /** Multicodec name, e.g. 'sha2-256'. */
  readonly name: string;
  readonly digestLength: number;
  readonly hash: (data: Uint8Array) => Uint8Array;
}

/** sha2-256 (0x12), the default for documents (core/ids/document-id.ts). */
export const SHA2_256: MultihashAlgorithm = { code: 0x12, name: 'sha2-256', digestLength: 32, hash: sha256 };

/** sha2-512 (0x13): accepted because clients and WebCrypto produce it; the tree treats every multihash alike. */
export const SHA2_512: MultihashAlgorithm = {
  code: 0x13,
  name: 'sha2-512',
  digestLength: 64,
  hash: (data) => sha512(data),
};

const algorithms: ReadonlyMap<number, MultihashAlgorithm> = new Map(
  [SHA2_256, SHA2_512].map((algorithm) => [algorithm.code, algorithm]),
);

/** The accepted algorithm with this multicodec code, or undefined. */
export function multihashAlgorithm(code: number): MultihashAlgorithm | undefined {
  return algorithms.get(code);
}

/** A decoded multihash whose code is accepted and whose digest has that algorithm's length. */
export interface Multihash {
  readonly algorithm: MultihashAlgorithm;
  readonly digest: Uint8Array;
}

/**
 * Decodes multihash bytes, throwing `InvalidDocumentIdError` that says what is wrong: a bad varint, a
 * length that disagrees with the bytes present, an unknown code, or a digest of the wrong size.
 */
export function decodeMultihash(bytes: Uint8Array): Multihash {
  const layout = readMultihashLayout(bytes);
  if (typeof layout === 'string') throw new InvalidDocumentIdError(layout);
  const algorithm = algorithms.get(layout.code);
  if (algorithm === undefined) {
    throw new InvalidDocumentIdError(`unknown multihash code 0x${layout.code.toString(16)}`, {
      multihashCode: layout.code,
    });
  }
  if (layout.digest.length !== algorithm.digestLength) {
    throw new InvalidDocumentIdError(
      `digest length ${layout.digest.length} does not match ${algorithm.name} (${algorithm.digestLength})`,
      { multihashCode: layout.code, digestLength: layout.digest.length },
    );
  }
  return { algorithm, digest: layout.digest };
}

/**
 * The multihash structure of `bytes` without judging the code, or a message saying why it has none.
 * Lets a caller tell "a multihash we do not accept" from "not a multihash at all".
 */
export function readMultihashLayout(bytes: Uint8Array): { code: number; digest: Uint8Array } | string {
  const code = readVarint(bytes, 0, 'multihash code');
  if (typeof code === 'string') return code;
  const length = readVarint(bytes, code.end, 'multihash digest length');
  if (typeof length === 'string') return length;
  const present = bytes.length - length.end;
  if (present !== length.value) {
    return `multihash declares a ${length.value}-byte digest but ${present} bytes follow`;
  }
  return { code: code.value, digest: bytes.slice(length.end) };
}

/** `varint(code) ‖ varint(digest.length) ‖ digest` for an accepted algorithm. */
export function encodeMultihash(algorithm: MultihashAlgorithm, digest: Uint8Array): Uint8Array {
  if (digest.length !== algorithm.digestLength) {
    throw new InvalidDocumentIdError(
      `digest length ${digest.length} does not match ${algorithm.name} (${algorithm.digestLength})`,
      { multihashCode: algorithm.code, digestLength: digest.length },
    );
  }
  const code = encodeVarint(algorithm.code);
  const length = encodeVarint(digest.length);
  const bytes = new Uint8Array(code.length + length.length + digest.length);
  bytes.set(code, 0);
  bytes.set(length, code.length);
  bytes.set(digest, code.length + length.length);
  return bytes;
}

// Unsigned LEB128 as multiformats uses it; 4 bytes (28 bits) cover every code and length we accept.
const MAX_VARINT_BYTES = 4;

/** Reads a minimally encoded unsigned varint at `offset`, or returns why it cannot. */
export function readVarint(
  bytes: Uint8Array,
  offset: number,
  what: string,
): { value: number; end: number } | string {
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (offset + i >= bytes.length) return `${what} is truncated`;
    const byte = bytes[offset + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) return `${what} is not minimally encoded`;
      return { value, end: offset + i + 1 };
    }
  }
  return `${what} is longer than ${MAX_VARINT_BYTES} bytes`;
}

function encodeVarint(value: number): Uint8Array {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}
