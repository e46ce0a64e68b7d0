// Standard base64 (RFC 4648 §4, with padding), strict both ways: checkpoints and signed notes carry
// hashes and signatures in it, and a lenient decoder would let two texts name the same bytes.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Padded standard base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? `${ALPHABET[(n >> 6) & 63]!}=` : '==';
  }
  return out;
}

/**
 * The bytes of padded standard base64, or undefined for anything else (wrong length, another
 * alphabet, non-zero padding bits): the canonical encoding is the only one accepted.
 */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const digits = [0, 1, 2, 3].map((j) => {
      const c = text.charCodeAt(i + j);
      if (last && j >= 4 - padding && c === 61) return 0;
      return c < 128 ? VALUES[c]! : -1;
    });
    if (digits.some((d) => d < 0)) return undefined;
    const n = (digits[0]! << 18) | (digits[1]! << 12) | (digits[2]! << 6) | digits[3]!;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
    if (last && padding > 0 && (padding === 2 ? n & 0xffff : n & 0xff) !== 0) return undefined;
  }
  return out;
}
