import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import { base16, base16upper } from 'multiformats/bases/base16';
import { base32upper } from 'multiformats/bases/base32';
import { base36 } from 'multiformats/bases/base36';
import { base58btc } from 'multiformats/bases/base58';
import { base64, base64url } from 'multiformats/bases/base64';
import { base2 } from 'multiformats/bases/base2';
import { base256emoji } from 'multiformats/bases/base256emoji';
import {
  documentIdFromDigest,
  documentIdFromMultihash,
  hashDocument,
  parseDocumentId,
} from '../../src/core/ids/document-id';
import { DomainError, InvalidDocumentIdError } from '../../src/core/errors';
import { bytesToHex, hexToBytes } from '../../src/core/hex';
import { SHA2_512 } from '../../src/core/ids/multihash';

const RAW = 0x55;
const DAG_PB = 0x70;

/** Every accepted spelling of the sha2-256 document with this digest. */
function representations(digest: Uint8Array): string[] {
  const multihash = createDigest(0x12, digest);
  const cid = CID.createV1(RAW, multihash);
  const hex = bytesToHex(digest);
  return [
    hex,
    hex.toUpperCase(),
    bytesToHex(multihash.bytes),
    bytesToHex(multihash.bytes).toUpperCase(),
    base58btc.baseEncode(multihash.bytes), // 'Qm…'
    base58btc.encode(multihash.bytes), // 'zQm…'
    CID.createV0(multihash).toString(),
    cid.toString(),
    cid.toString(base32upper),
    cid.toString(base58btc),
    cid.toString(base36),
    cid.toString(base16),
    cid.toString(base16upper),
    cid.toString(base64),
    cid.toString(base64url),
    cid.toString(base2),
    cid.toString(base256emoji),
    CID.createV1(DAG_PB, multihash).toString(),
  ];
}

function expectInvalid(input: string, message: string): void {
  let thrown: unknown;
  try {
    parseDocumentId(input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidDocumentIdError);
  expect((thrown as InvalidDocumentIdError).code).toBe('INVALID_DOCUMENT_ID');
  expect((thrown as Error).message).toBe(message);
}

describe('parseDocumentId', () => {
  const digest = createHash('sha256').update('hello').digest();

  it('resolves every representation to the same document', () => {
    const expected = {
      multihash: hexToBytes(`1220${digest.toString('hex')}`),
      multihashHex: `1220${digest.toString('hex')}`,
      cid: 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq',
      digestHex: digest.toString('hex'),
      code: 0x12,
    };
    for (const input of representations(digest)) expect(parseDocumentId(input), input).toEqual(expected);
    expect(hashDocument(new TextEncoder().encode('hello'))).toEqual(expected);
    expect(documentIdFromDigest(digest)).toEqual(expected);
    expect(documentIdFromMultihash(expected.multihash)).toEqual(expected);
  });

  it('round-trips every representation of a random digest (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (randomDigest) => {
        const id = documentIdFromDigest(randomDigest);
        expect(id.cid.startsWith('bafkrei')).toBe(true);
        for (const input of [...representations(randomDigest), id.cid, id.multihashHex, id.digestHex]) {
          const parsed = parseDocumentId(input);
          expect(parsed.cid).toBe(id.cid);
          expect(parsed.multihash).toEqual(id.multihash);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('writes the same CID text as multiformats for sha2-256 and sha2-512 (property)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ minLength: 64, maxLength: 64 }), (long, bytes) => {
        const id = documentIdFromMultihash(Uint8Array.from([long ? 0x13 : 0x12, long ? 64 : 32, ...bytes.subarray(0, long ? 64 : 32)]));
        const digest = createDigest(long ? 0x13 : 0x12, bytes.subarray(0, long ? 64 : 32));
        expect(id.cid).toBe(CID.createV1(0x55, digest).toString());
      }),
      { numRuns: 300 },
    );
  });

  it('accepts sha2-512 multihashes and CIDs', () => {
    const bytes = new TextEncoder().encode('hello');
    const id = hashDocument(bytes, SHA2_512);
    const digest512 = createHash('sha512').update(bytes).digest();
    expect(id.code).toBe(0x13);
    expect(id.digestHex).toBe(digest512.toString('hex'));
    expect(id.multihashHex).toBe(`1340${digest512.toString('hex')}`);
    expect(id.cid.startsWith('bafkrg')).toBe(true);
    expect(parseDocumentId(id.multihashHex)).toEqual(id);
    expect(parseDocumentId(id.cid)).toEqual(id);
    expect(parseDocumentId(base58btc.baseEncode(id.multihash))).toEqual(id);
  });

  it.each([
    ['', 'document id is empty'],
    ['a'.repeat(1001), 'document id is 1001 characters long, at most 1000 allowed'],
    ['a'.repeat(63), 'hex digest must be 64 characters, got 63, and it is no multihash either (a hex multihash has an even length)'],
    ['ab'.repeat(31), 'hex digest must be 64 characters, got 62, and it is no multihash either (multihash code is longer than 4 bytes)'],
    [`1220${'00'.repeat(31)}`, 'hex digest must be 64 characters, got 66, and it is no multihash either (multihash declares a 32-byte digest but 31 bytes follow)'],
    [`4220${'00'.repeat(32)}`, 'unknown multihash code 0x42'],
    [base58btc.encode(Uint8Array.of(0x99, 0x01, 0x20, ...new Uint8Array(32))), 'unknown multihash code 0x99'],
    [base58btc.encode(Uint8Array.of(0x00, 0x04, 1, 2, 3, 4)), 'unknown multihash code 0x0'],
    [`121f${'00'.repeat(31)}`, 'digest length 31 does not match sha2-256 (32)'],
    [`1320${'00'.repeat(32)}`, 'digest length 32 does not match sha2-512 (64)'],
    [base58btc.encode(Uint8Array.of(0x12)), 'multihash digest length is truncated'],
    [base58btc.encode(Uint8Array.of(0x92, 0x00, 0x20)), 'multihash code is not minimally encoded'],
    [base58btc.encode(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f)), 'multihash code is longer than 4 bytes'],
    ['Qm0000', 'invalid base58btc: Non-base58btc character'],
    ['bafkrei!', 'invalid base32: Non-base32 character'],
    [`f01551220${'00'.repeat(31)}`, 'multihash declares a 32-byte digest but 31 bytes follow'],
    [CID.createV1(RAW, createDigest(0x00, new Uint8Array(4))).toString(), 'unknown multihash code 0x0'],
    [base32upper.encode(Uint8Array.of(1)), 'CID codec is truncated'],
    ['z', 'multihash code is truncated'],
    [' bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq', 'invalid base58btc: Non-base58btc character'],
  ])('rejects %j: %s', (input, message) => expectInvalid(input, message));

  it('never throws anything but InvalidDocumentIdError for arbitrary strings (property)', () => {
    const prefixes = ['', 'b', 'B', 'z', 'f', 'F', 'k', 'm', 'u', 'Qm', '1220', '0155', '🚀', '\0', '9', '7', '0'];
    const alphabets = fc.constantFrom('0123456789abcdefABCDEF', 'abcdefghijklmnopqrstuvwxyz234567', '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');
    const structured = fc
      .tuple(fc.constantFrom(...prefixes), alphabets, fc.array(fc.nat(), { maxLength: 120 }))
      .map(([prefix, alphabet, picks]) => prefix + picks.map((p) => alphabet[p % alphabet.length]).join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), structured), (input) => {
        try {
          parseDocumentId(input);
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe('INVALID_DOCUMENT_ID');
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('rejects non-strings from untyped callers', () => {
    expect(() => parseDocumentId(42 as unknown as string)).toThrow(InvalidDocumentIdError);
  });
});

describe('documentIdFromDigest', () => {
  it('rejects digests that are not 32 bytes', () => {
    expect(() => documentIdFromDigest(new Uint8Array(31))).toThrow('digest length 31 does not match sha2-256 (32)');
  });
});

