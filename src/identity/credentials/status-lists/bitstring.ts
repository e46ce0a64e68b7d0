// Bit access for W3C Bitstring Status Lists. Pure. Index 0 is the left-most (most significant) bit of
// the first byte, as the specification requires.

/** The specification's minimum list length (16 KiB): small lists would let a verifier single a holder out. */
export const MIN_STATUS_LIST_BITS = 131_072;

/** The bit at `index`; undefined when the list is shorter. */
export function readBit(bits: Uint8Array, index: number): boolean | undefined {
  if (!Number.isSafeInteger(index) || index < 0 || index >= bits.length * 8) return undefined;
  return (bits[index >> 3]! & (0x80 >> (index & 7))) !== 0;
}

/** A zeroed list of `length` bits with the given indices set. */
export function bitstringWithSetBits(length: number, setIndices: Iterable<number>): Uint8Array {
  if (length % 8 !== 0) throw new RangeError('a status list length must be a multiple of 8');
  const bits = new Uint8Array(length / 8);
  for (const index of setIndices) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= length) throw new RangeError(`status index ${index} is outside the list`);
    bits[index >> 3]! |= 0x80 >> (index & 7);
  }
  return bits;
}
