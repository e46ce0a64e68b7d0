// SHA-256 known answers from the standard, not from any implementation here: NIST CAVP's byte-oriented
// ShortMsg set (SHA256ShortMsg.rsp, 0 to 64 bytes, verbatim), one LongMsg vector (163 bytes, CAVS
// 11.0) and the FIPS 180-4 / NIST example messages (one block, two blocks, a million 'a's).
import fs from 'node:fs';
import path from 'node:path';

export interface Sha256Vector {
  name: string;
  message: Uint8Array;
  digest: string;
}

const shortMessages: Sha256Vector[] = [...fs.readFileSync(path.join(__dirname, 'SHA256ShortMsg.rsp'), 'utf8').matchAll(/Len = (\d+)\nMsg = ([0-9a-f]*)\nMD = ([0-9a-f]{64})/g)].map(
  ([, bits, hex, digest]) => ({ name: `ShortMsg Len = ${bits}`, message: Number(bits) === 0 ? new Uint8Array(0) : Uint8Array.from(Buffer.from(hex!, 'hex')), digest: digest! }),
);

const longMessages: Sha256Vector[] = [
  {
    name: 'LongMsg Len = 1304',
    message: Uint8Array.from(
      Buffer.from(
        '451101250ec6f26652249d59dc974b7361d571a8101cdfd36aba3b5854d3ae086b5fdd4597721b66e3c0dc5d8c606d9657d0e323283a5217d1f53f2f284f57b85c8a61ac8924711f895c5ed90ef17745ed2d728abd22a5f7a13479a462d71b56c19a74a40b655c58edfe0a188ad2cf46cbf30524f65d423c837dd1ff2bf462ac4198007345bb44dbb7b1c861298cdf61982a833afc728fae1eda2f87aa2c9480858bec',
        'hex',
      ),
    ),
    digest: '3c593aa539fdcdae516cdf2f15000f6634185c88f505b39775fb9ab137a10aa2',
  },
  { name: 'FIPS 180-4 "abc"', message: new TextEncoder().encode('abc'), digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  {
    name: 'FIPS 180-4 two-block message',
    message: new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    digest: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
  { name: "a million 'a's", message: new Uint8Array(1_000_000).fill(0x61), digest: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0' },
];

/** Every vector; `maxLength` keeps those that fit (e.g. 55 bytes: one padded block). */
export function sha256Vectors(maxLength = Number.POSITIVE_INFINITY): Sha256Vector[] {
  return [...shortMessages, ...longMessages].filter((vector) => vector.message.length <= maxLength);
}
