// SHA-256 of four messages at once in WebAssembly SIMD (one message per i32x4 lane), for the Merkle
// tree's millions of one- and two-block messages. The module is written out here, opcode by opcode,
// at first use: no binary in the repository, no compiler, and it runs wherever WebAssembly SIMD does
// (Node, current browsers). Callers fall back to the scalar JavaScript compression when it does not.
//
// Lanes are independent messages, so the rounds are FIPS 180-4 §6.2.2 word for word, with Ch and Maj
// as v128.bitselect. The compression function keeps the eight working variables in locals and the
// message schedule in linear memory, which leaves the registers to the round arithmetic.

/** Byte offsets in the module's memory. Chunks are copied in and out of INPUT/OUTPUT by the caller. */
const STATE = 16; // 8 × v128: the four lanes' hash state
const SCHEDULE = 256; // 64 × v128: W[t]
const ROUND_CONSTANTS = SCHEDULE + 64 * 16; // 64 × v128: K[t] in every lane
const INITIAL_STATE = ROUND_CONSTANTS + 64 * 16; // 8 × v128: H(0) in every lane
/** Where the caller writes node pairs or blocks; one byte before it must be readable (it is). */
export const SIMD_INPUT = 4096;
/** Input capacity in 64-byte units (node pairs or blocks); a multiple of 4. */
export const SIMD_CHUNK = 2048;
/** Where the digests appear, 32 bytes each, in input order. */
export const SIMD_OUTPUT = SIMD_INPUT + 64 * SIMD_CHUNK + 64;
const MEMORY_PAGES = Math.ceil((SIMD_OUTPUT + 32 * SIMD_CHUNK) / 65536);

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** The instance's entry points; digests and inputs live in `memory` at SIMD_OUTPUT / SIMD_INPUT. */
export interface Sha256Simd {
  readonly memory: Uint8Array;
  /**
   * SHA-256(0x01 ‖ pair) of `4 * quads` 64-byte pairs at SIMD_INPUT, i.e. RFC 9162 interior nodes.
   * Reads up to 3 bytes past the last pair.
   */
  hashNodePairs(quads: number): void;
  /** SHA-256 of `4 * quads` messages that are one padded 64-byte block each, at SIMD_INPUT. */
  hashSingleBlocks(quads: number): void;
}

let instance: Sha256Simd | null | undefined;

/** The shared instance, compiled on first call; null where WebAssembly SIMD is unavailable. */
export function sha256Simd(): Sha256Simd | null {
  if (instance === undefined) instance = instantiate();
  return instance;
}

function instantiate(): Sha256Simd | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    // Synchronous compilation: the module is small, and a hasher has a synchronous interface.
    const module = new WebAssembly.Module(sha256SimdModuleBytes());
    const exports = new WebAssembly.Instance(module).exports as {
      memory: WebAssembly.Memory;
      hashNodePairs: (quads: number) => void;
      hashSingleBlocks: (quads: number) => void;
    };
    // WebAssembly memory is little-endian whatever the host: write the constants explicitly so.
    const view = new DataView(exports.memory.buffer);
    for (let lane = 0; lane < 4; lane++) {
      for (let t = 0; t < 64; t++) view.setInt32(ROUND_CONSTANTS + 16 * t + 4 * lane, K[t]!, true);
      for (let i = 0; i < 8; i++) view.setInt32(INITIAL_STATE + 16 * i + 4 * lane, H0[i]!, true);
    }
    return {
      memory: new Uint8Array(exports.memory.buffer),
      hashNodePairs: exports.hashNodePairs,
      hashSingleBlocks: exports.hashSingleBlocks,
    };
  } catch {
    // No WebAssembly, no SIMD, or a page that forbids compiling (CSP): the scalar path serves.
    return null;
  }
}

// --- The emitter -------------------------------------------------------------------------------------

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  end: 0x0b,
  loop: 0x03,
  block: 0x02,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  simd: 0xfd,
} as const;
/** SIMD opcodes (after the 0xfd prefix). */
const simd = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  and: 0x4e,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  load32Lane: 0x56,
  store32Lane: 0x5a,
  load32Zero: 0x5c,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;

/** Reverses the bytes of each 32-bit lane: memory holds big-endian words, lanes are little-endian. */
const BYTE_SWAP = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

class Code {
  readonly bytes: number[] = [];

  u32(value: number): this {
    do {
      let byte = value & 0x7f;
      value >>>= 7;
      if (value !== 0) byte |= 0x80;
      this.bytes.push(byte);
    } while (value !== 0);
    return this;
  }

  i32Const(value: number): this {
    this.bytes.push(op.i32Const);
    // Signed LEB128 of a 32-bit value.
    let v = value | 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
        this.bytes.push(byte);
        return this;
      }
      this.bytes.push(byte | 0x80);
    }
  }

  get(local: number): this {
    this.bytes.push(op.localGet);
    return this.u32(local);
  }

  set(local: number): this {
    this.bytes.push(op.localSet);
    return this.u32(local);
  }

  tee(local: number): this {
    this.bytes.push(op.localTee);
    return this.u32(local);
  }

  raw(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  simd(opcode: number): this {
    this.bytes.push(op.simd);
    return this.u32(opcode);
  }

  /** A v128 memory access at `offset` from the i32 address on the stack. */
  memory(opcode: number, offset: number, align = 4): this {
    return this.simd(opcode).u32(align).u32(offset);
  }

  /** v128.load32_lane / store32_lane: memory argument, then the lane. */
  lane(opcode: number, offset: number, laneIndex: number): this {
    return this.simd(opcode).u32(2).u32(offset).raw(laneIndex);
  }

  v128Const(words: readonly number[]): this {
    this.simd(simd.const);
    for (const word of words) this.raw(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff);
    return this;
  }

  splat(word: number): this {
    return this.v128Const([word, word, word, word]);
  }

  byteSwap(): this {
    // Shuffles the vector on the stack with itself (duplicated by the caller's local.tee/get).
    return this.simd(simd.shuffle).raw(...BYTE_SWAP);
  }

  /** Pushes x rotated right by n, lane-wise. */
  rotr(x: number, n: number): this {
    return this.get(x).i32Const(n).simd(simd.i32x4ShrU).get(x).i32Const(32 - n).simd(simd.i32x4Shl).simd(simd.or);
  }

  /** Pushes x >>> n, lane-wise. */
  shr(x: number, n: number): this {
    return this.get(x).i32Const(n).simd(simd.i32x4ShrU);
  }

  /** Pushes the v128 at a fixed address. */
  loadAt(address: number): this {
    return this.i32Const(0).memory(simd.load, address);
  }
}

/**
 * compress(): one SHA-256 compression of each lane's STATE with the 16 words at SCHEDULE. Locals: the
 * working variables a..h (0..7), then temporaries.
 */
function emitCompress(): Code {
  const code = new Code();
  const t1 = 8;
  const x = 9;
  const y = 10;
  for (let i = 0; i < 8; i++) code.loadAt(STATE + 16 * i).set(i);
  // Message schedule W[16..63], FIPS 180-4 §6.2.2 step 1.
  for (let t = 16; t < 64; t++) {
    code.loadAt(SCHEDULE + 16 * (t - 15)).set(x);
    code.loadAt(SCHEDULE + 16 * (t - 2)).set(y);
    code.i32Const(0);
    // σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]
    code.rotr(y, 17).rotr(y, 19).simd(simd.xor).shr(y, 10).simd(simd.xor);
    code.loadAt(SCHEDULE + 16 * (t - 7)).simd(simd.i32x4Add);
    code.rotr(x, 7).rotr(x, 18).simd(simd.xor).shr(x, 3).simd(simd.xor).simd(simd.i32x4Add);
    code.loadAt(SCHEDULE + 16 * (t - 16)).simd(simd.i32x4Add);
    code.memory(simd.store, SCHEDULE + 16 * t);
  }
  // Rounds: instead of moving eight variables each round, rename them.
  const v = [0, 1, 2, 3, 4, 5, 6, 7];
  for (let t = 0; t < 64; t++) {
    const [a, b, c, d, e, f, g, h] = v as [number, number, number, number, number, number, number, number];
    // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t]; Ch picks f where e is set, g elsewhere.
    code.get(h);
    code.rotr(e, 6).rotr(e, 11).simd(simd.xor).rotr(e, 25).simd(simd.xor).simd(simd.i32x4Add);
    code.get(f).get(g).get(e).simd(simd.bitselect).simd(simd.i32x4Add);
    code.loadAt(ROUND_CONSTANTS + 16 * t).simd(simd.i32x4Add);
    code.loadAt(SCHEDULE + 16 * t).simd(simd.i32x4Add);
    code.tee(t1);
    code.get(d).simd(simd.i32x4Add).set(d);
    // T2 = Σ0(a) + Maj(a, b, c); Maj is a where b and c differ, and their common value where they agree.
    code.get(t1);
    code.rotr(a, 2).rotr(a, 13).simd(simd.xor).rotr(a, 22).simd(simd.xor).simd(simd.i32x4Add);
    code.get(a).get(b).get(b).get(c).simd(simd.xor).simd(simd.bitselect).simd(simd.i32x4Add);
    code.set(h); // h becomes the new a
    v.unshift(v.pop()!);
  }
  for (let i = 0; i < 8; i++) {
    code.i32Const(0).get(v[i]!).loadAt(STATE + 16 * i).simd(simd.i32x4Add).memory(simd.store, STATE + 16 * i);
  }
  return code;
}

/** Copies H(0) into STATE. */
function emitResetState(code: Code): void {
  for (let i = 0; i < 8; i++) code.i32Const(0).loadAt(INITIAL_STATE + 16 * i).memory(simd.store, STATE + 16 * i);
}

/**
 * Loads word `offset` (relative to the address in local `base`) of the four lanes' 64-byte units,
 * byte-swapped, and leaves it on the stack.
 */
function emitGatherWord(code: Code, base: number, offset: number, temp: number): void {
  code.get(base).memory(simd.load32Zero, offset, 2);
  for (let lane = 1; lane < 4; lane++) {
    code.set(temp).get(base).get(temp).lane(simd.load32Lane, offset + 64 * lane, lane);
  }
  code.tee(temp).get(temp).byteSwap();
}

/** Stores STATE as four big-endian digests at the address in local `destination`, 32 bytes apart. */
function emitScatterDigests(code: Code, destination: number, temp: number): void {
  for (let i = 0; i < 8; i++) {
    code.loadAt(STATE + 16 * i).tee(temp).get(temp).byteSwap().set(temp);
    for (let lane = 0; lane < 4; lane++) code.get(destination).get(temp).lane(simd.store32Lane, 32 * lane + 4 * i, lane);
  }
}

/**
 * A loop over `quads` (local 0) groups of four 64-byte units: local 1 walks the input from SIMD_INPUT
 * (minus `inputBias`), local 2 the output. `body` hashes one group.
 */
function emitQuadLoop(code: Code, inputBias: number, body: () => void): void {
  const quads = 0;
  const input = 1;
  const output = 2;
  code.i32Const(SIMD_INPUT - inputBias).set(input);
  code.i32Const(SIMD_OUTPUT).set(output);
  code.raw(op.block, 0x40, op.loop, 0x40);
  code.get(quads).raw(op.i32Eqz, op.brIf, 1);
  body();
  code.get(input).i32Const(256).raw(op.i32Add).set(input);
  code.get(output).i32Const(128).raw(op.i32Add).set(output);
  code.get(quads).i32Const(1).raw(op.i32Sub).set(quads);
  code.raw(op.br, 0, op.end, op.end);
}

const COMPRESS = 0;

/**
 * Stores the 16 words at byte 4j from `input` of each lane's message into the schedule; `patch(j)`
 * may change word j on the stack before it is stored.
 */
function emitLoadBlock(code: Code, input: number, temp: number, patch?: (j: number) => void): void {
  for (let j = 0; j < 16; j++) {
    code.i32Const(0);
    emitGatherWord(code, input, 4 * j, temp);
    patch?.(j);
    code.memory(simd.store, SCHEDULE + 16 * j);
  }
}

/** hashNodePairs(quads): SHA-256(0x01 ‖ pair) for each 64-byte pair; the message spans two blocks. */
function emitHashNodePairs(): Code {
  const code = new Code();
  const input = 1;
  const output = 2;
  const temp = 3;
  // The input pointer sits one byte early: word j of block 1 is bytes 4j-1 .. 4j+2 of the pair.
  emitQuadLoop(code, 1, () => {
    emitResetState(code);
    emitLoadBlock(code, input, temp, (j) => {
      // Word 0 starts with the node prefix 0x01, not with the byte before the pair.
      if (j === 0) code.splat(0x00ffffff).simd(simd.and).splat(0x01000000).simd(simd.or);
    });
    code.raw(op.call, COMPRESS);
    // Block 2: the pair's last byte, the 0x80 terminator, zeros and the bit length 65 × 8.
    code.i32Const(0);
    emitGatherWord(code, input, 64, temp);
    code.splat(0xff000000).simd(simd.and).splat(0x00800000).simd(simd.or);
    code.memory(simd.store, SCHEDULE);
    for (let j = 1; j < 16; j++) code.i32Const(0).splat(j === 15 ? 65 * 8 : 0).memory(simd.store, SCHEDULE + 16 * j);
    code.raw(op.call, COMPRESS);
    emitScatterDigests(code, output, temp + 1);
  });
  return code;
}

/** hashSingleBlocks(quads): SHA-256 of messages that are one padded block each. */
function emitHashSingleBlocks(): Code {
  const code = new Code();
  const input = 1;
  const output = 2;
  const temp = 3;
  emitQuadLoop(code, 0, () => {
    emitResetState(code);
    emitLoadBlock(code, input, temp);
    code.raw(op.call, COMPRESS);
    emitScatterDigests(code, output, temp + 1);
  });
  return code;
}

function section(id: number, contents: number[]): number[] {
  return [id, ...new Code().u32(contents.length).bytes, ...contents];
}

function vector(items: number[][]): number[] {
  return [...new Code().u32(items.length).bytes, ...items.flat()];
}

function name(text: string): number[] {
  const bytes = Array.from(text, (c) => c.charCodeAt(0));
  return [bytes.length, ...bytes];
}

/** Function body: local declarations (groups of count × type), the code, `end`. */
function body(locals: Array<[number, number]>, code: Code): number[] {
  const contents = [...vector(locals.map(([count, type]) => [...new Code().u32(count).bytes, type])), ...code.bytes, op.end];
  return [...new Code().u32(contents.length).bytes, ...contents];
}

/** The module's bytes; exported for tests (validation) only. */
export function sha256SimdModuleBytes(): Uint8Array<ArrayBuffer> {
  const voidType = [0x60, 0, 0];
  const quadsType = [0x60, 1, I32, 0];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([voidType, quadsType])),
    ...section(3, vector([[0], [1], [1]])),
    ...section(5, vector([[0x00, ...new Code().u32(MEMORY_PAGES).bytes]])),
    ...section(
      7,
      vector([
        [...name('memory'), 0x02, 0],
        [...name('hashNodePairs'), 0x00, 1],
        [...name('hashSingleBlocks'), 0x00, 2],
      ]),
    ),
    ...section(
      10,
      vector([
        body([[11, V128]], emitCompress()),
        body([[2, I32], [2, V128]], emitHashNodePairs()),
        body([[2, I32], [2, V128]], emitHashSingleBlocks()),
      ]),
    ),
  ];
  return Uint8Array.from(bytes);
}
