// The scalar compression function (sha256-compress.ts) against the standard's known answers: every
// vector padded as FIPS 180-4 §5.1.1 says and compressed block by block.
import { describe, expect, it } from 'vitest';
import { compressBlock, resetState } from '../../src/core/sha256/scalar';
import { sha256Vectors } from './vectors/sha256-vectors';

/** SHA-256 of `message` through compressBlock alone. */
function sha256ByCompression(message: Uint8Array): string {
  const blocks = Math.floor((message.length + 8) / 64) + 1;
  const padded = new Uint8Array(64 * blocks);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor((message.length * 8) / 2 ** 32));
  view.setUint32(padded.length - 4, (message.length * 8) >>> 0);
  const state = new Int32Array(8);
  const block = new Int32Array(16);
  resetState(state);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let j = 0; j < 16; j++) block[j] = view.getInt32(offset + 4 * j);
    compressBlock(state, block);
  }
  const out = new DataView(new ArrayBuffer(32));
  for (let i = 0; i < 8; i++) out.setInt32(4 * i, state[i]!);
  return Buffer.from(out.buffer).toString('hex');
}

describe('compressBlock', () => {
  it.each(sha256Vectors().map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    expect(sha256ByCompression(vector.message)).toBe(vector.digest);
  });
});
