import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError, InvalidHexError } from '../../src/core/errors';
import { bytesToHex, hexToBytes, isLowerHex, tryHexToBytes } from '../../src/core/hex';

describe('hex', () => {
  it('round-trips bytes through lower-case hex (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const hex = bytesToHex(bytes);
        expect(hex).toBe(Buffer.from(bytes).toString('hex'));
        expect(hexToBytes(hex)).toEqual(bytes);
        expect(hexToBytes(hex.toUpperCase())).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['abc', 'hex must have an even number of characters, got 3', { length: 3 }],
    ['0g', 'invalid hex character "g" at index 1', { index: 1 }],
    ['0x00', 'invalid hex character "x" at index 1', { index: 1 }],
    [' 0', 'invalid hex character " " at index 0', { index: 0 }],
  ])('rejects %j', (input, message, details) => {
    let thrown: unknown;
    try {
      hexToBytes(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidHexError);
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ code: 'INVALID_HEX', message, details, name: 'InvalidHexError' });
  });

  it('tryHexToBytes decodes what hexToBytes decodes and answers undefined where it throws (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => bytesToHex(b)), fc.string({ maxLength: 80 })), (text) => {
        let expected: Uint8Array | undefined;
        try {
          expected = hexToBytes(text);
        } catch {
          expected = undefined;
        }
        expect(tryHexToBytes(text)).toEqual(expected);
        expect(tryHexToBytes(text.toUpperCase())).toEqual(/^[0-9a-f]*$/i.test(text.toUpperCase()) && text.length % 2 === 0 ? hexToBytes(text.toUpperCase()) : undefined);
      }),
    );
    expect(tryHexToBytes('0g')).toBeUndefined();
    expect(tryHexToBytes('abc')).toBeUndefined();
  });

  it('isLowerHex accepts only the canonical form of the given length', () => {
    expect(isLowerHex('00ff', 4)).toBe(true);
    expect(isLowerHex('00FF', 4)).toBe(false);
    expect(isLowerHex('00f', 4)).toBe(false);
    expect(isLowerHex('00fg', 4)).toBe(false);
  });
});
