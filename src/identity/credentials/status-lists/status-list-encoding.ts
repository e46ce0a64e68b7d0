// `encodedList` of a Bitstring Status List: GZIP, then base64url with the multibase prefix `u`.
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeBase64url } from '../verification/compact-jwt';

/** A decoded list larger than this is refused: the guard against a gzip bomb in a foreign list. */
export const MAX_DECODED_STATUS_LIST_BYTES = 16 * 1024 * 1024;

/** Encodes a bitstring as the specification's multibase base64url GZIP string. */
export function encodeStatusList(bits: Uint8Array): string {
  return `u${gzipSync(bits, { level: 9 }).toString('base64url')}`;
}

/**
 * Decodes an `encodedList` (with the `u` prefix, or without it as StatusList2021 lists are written).
 * Throws a plain Error with a readable message when it is not valid.
 */
export function decodeStatusList(encoded: string, maxBytes: number = MAX_DECODED_STATUS_LIST_BYTES): Uint8Array {
  const compressed = decodeBase64url(encoded.startsWith('u') ? encoded.slice(1) : encoded);
  if (!compressed) throw new Error('encodedList is not base64url');
  try {
    return new Uint8Array(gunzipSync(compressed, { maxOutputLength: maxBytes }));
  } catch (error) {
    throw new Error(`encodedList is not a GZIP stream of at most ${maxBytes} bytes: ${(error as Error).message}`);
  }
}
