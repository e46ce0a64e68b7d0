// Hex encoding of bytes. Output is lower case (receipts and ids are compared as text); input is strict about length and
// alphabet but accepts either case, because people paste digests from tools that print upper case.
import { InvalidHexError } from './errors';

const byteToHex: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Lower-case hex of `bytes`, no `0x` prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += byteToHex[bytes[i]];
  return hex;
}

/** Decodes hex without a `0x` prefix; throws `InvalidHexError` (code `INVALID_HEX`) naming the first bad character. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) {
    throw new InvalidHexError(`hex must have an even number of characters, got ${hex.length}`, {
      length: hex.length,
    });
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const high = hexDigitValue(hex.charCodeAt(2 * i));
    const low = hexDigitValue(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) {
      const index = high < 0 ? 2 * i : 2 * i + 1;
      throw new InvalidHexError(`invalid hex character ${JSON.stringify(hex[index])} at index ${index}`, { index });
    }
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

/** Whether `value` is lower-case hex of exactly `length` characters (the canonical form in receipts). */
export function isLowerHex(value: string, length: number): boolean {
  if (value.length !== length) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** The bytes of `hex` if it is all hex digits (and of even length), else undefined: a test and a decode in one pass. */
export function tryHexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const high = hexDigitValue(hex.charCodeAt(2 * i));
    const low = hexDigitValue(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

function hexDigitValue(charCode: number): number {
  if (charCode >= 48 && charCode <= 57) return charCode - 48; // 0-9
  if (charCode >= 97 && charCode <= 102) return charCode - 87; // a-f
  if (charCode >= 65 && charCode <= 70) return charCode - 55; // A-F
  return -1;
}
