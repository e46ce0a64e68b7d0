// Bitstring Status List encoding: bit order, GZIP + multibase base64url, and the gzip-bomb guard.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bitstringWithSetBits, MIN_STATUS_LIST_BITS, readBit } from '../../../src/identity/credentials/status-lists/bitstring';
import { decodeStatusList, encodeStatusList } from '../../../src/identity/credentials/status-lists/status-list-encoding';

describe('bitstring', () => {
  it('puts index 0 in the most significant bit of the first byte', () => {
    const bits = bitstringWithSetBits(16, [0, 9, 15]);
    expect([...bits]).toEqual([0b1000_0000, 0b0100_0001]);
    expect([0, 1, 9, 15].map((i) => readBit(bits, i))).toEqual([true, false, true, true]);
    expect(readBit(bits, 16)).toBeUndefined();
  });

  it('refuses indices outside the list', () => {
    expect(() => bitstringWithSetBits(16, [16])).toThrow(RangeError);
  });
});

describe('encodedList', () => {
  it('round-trips a minimum-size list as "u" + base64url(gzip)', () => {
    const bits = bitstringWithSetBits(MIN_STATUS_LIST_BITS, [0, 12_345, MIN_STATUS_LIST_BITS - 1]);
    const encoded = encodeStatusList(bits);
    expect(encoded).toMatch(/^uH4sI[A-Za-z0-9_-]+$/);
    expect(encoded.length).toBeLessThan(300);
    const decoded = decodeStatusList(encoded);
    expect(decoded.length * 8).toBe(MIN_STATUS_LIST_BITS);
    expect([0, 1, 12_345, MIN_STATUS_LIST_BITS - 1].map((i) => readBit(decoded, i))).toEqual([true, false, true, true]);
  });

  it('reads StatusList2021 lists without the multibase prefix', () => {
    const bits = bitstringWithSetBits(MIN_STATUS_LIST_BITS, [7]);
    expect(readBit(decodeStatusList(gzipSync(bits).toString('base64url')), 7)).toBe(true);
  });

  it('refuses a gzip bomb and garbage', () => {
    const bomb = `u${gzipSync(Buffer.alloc(32 * 1024 * 1024)).toString('base64url')}`;
    expect(() => decodeStatusList(bomb)).toThrow(/at most/);
    expect(() => decodeStatusList('u!!!')).toThrow(/base64url/);
    expect(() => decodeStatusList('uAAAA')).toThrow(/GZIP/);
  });
});
