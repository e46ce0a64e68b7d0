// Node only: large Merkle trees built on two threads. The leaves are cut into chunks at subtree
// boundaries; the caller hashes chunks (leaves and the levels above them) from the first upwards, a
// persistent helper thread (merkle-worker.ts) from the last downwards, both into the tree's
// SharedArrayBuffer, each claiming a chunk with an atomic flag until they meet. So a helper that gets
// less CPU (a busy machine) simply does fewer chunks, and one that gets none is overtaken. The caller
// then hashes the few top levels. The call stays synchronous (the caller waits for the helper's last
// chunk with Atomics.wait), so sealing code is unchanged.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { hashMerkleLevels, MerkleTree, type MerkleTreeBuilder, type MerkleTreeLayout } from '../core/merkle';
import { defaultMerkleHasher } from '../core/merkle-hasher';

/** Below this, a tree takes a few milliseconds and handing part of it over is not worth it. */
const PARALLEL_MIN_LEAVES = 1 << 15;
/** Chunks are whole subtrees whose roots form a level of at least this many nodes. */
const TOP_LEVEL_MIN_NODES = 2048;
/** About this many chunks per tree: enough to share the work out evenly, few enough to cost nothing. */
const CHUNKS_PER_TREE = 32;
/**
 * The share of chunks (the last ones) whose leaves are copied to shared memory, i.e. the most the
 * helper can take. The copy delays the helper's start, so it is not all of them.
 */
const HELPER_MAX_SHARE = 0.625;

/** Chunk flags in a job's control array: who claimed the chunk. */
export const CHUNK_FREE = 0;
export const CHUNK_CALLER = 1;
export const CHUNK_HELPER = 2;
/** The helper's state word (the control array's last entry; 0 while it works), for the caller to retire a failing helper. */
export const HELPER_DONE = 1;
export const HELPER_FAILED = 2;

/** What the caller posts to the helper; every buffer is shared, so nothing is copied. */
export interface ChunkedTreeJob {
  /**
   * One claim flag per chunk, then one done flag per chunk (1 once its nodes are written; notified),
   * then the helper's state word.
   */
  control: Int32Array;
  nodes: Uint8Array;
  size: number;
  /** Chunk c is leaves [c · chunkLeaves, min((c + 1) · chunkLeaves, size)). */
  chunkLeaves: number;
  chunkCount: number;
  /** Levels 1..height above the leaves are hashed within each chunk. */
  height: number;
  /** The first chunk whose leaves are in leafBytes: the helper stops there. */
  firstPackedChunk: number;
  /** Leaves from firstPackedChunk on, back to back; leaf i (counted from there) is bytes [offsets[i], offsets[i + 1]). */
  leafBytes: Uint8Array;
  leafOffsets: Int32Array;
}

const WORKER_FILE = path.join(__dirname, `merkle-worker${path.extname(__filename) || '.js'}`);

class HelperThread {
  /** Int32 set to 1 by the helper once its modules are loaded and its hasher compiled. */
  private readonly readyFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private broken = false;

  constructor() {
    const workerData = { ready: this.readyFlag };
    // Under tsx (the CLI, tests and bench run TypeScript directly) the worker registers tsx itself.
    this.worker = WORKER_FILE.endsWith('.ts')
      ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(WORKER_FILE)});`, {
          eval: true,
          workerData,
        })
      : new Worker(WORKER_FILE, { workerData });
    // A helper must never keep the process alive, nor take it down.
    this.worker.unref();
    this.worker.on('error', () => this.retire());
    this.worker.on('exit', () => {
      this.broken = true;
    });
  }

  get ready(): boolean {
    return !this.broken && Atomics.load(this.readyFlag, 0) === 1;
  }

  /** Resolves once the helper can take jobs (false if it failed to start). */
  async whenReady(): Promise<boolean> {
    while (!this.broken && Atomics.load(this.readyFlag, 0) !== 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.ready;
  }

  post(job: ChunkedTreeJob): void {
    this.worker.postMessage(job);
  }

  /** After a failed job: the helper is not trusted again. */
  retire(): void {
    if (this.broken) return;
    this.broken = true;
    void this.worker.terminate();
  }
}

let helper: HelperThread | null | undefined;

/** The helper thread, started on first need; null on a single-core machine. */
function helperThread(): HelperThread | null {
  if (helper === undefined) helper = os.availableParallelism() >= 2 ? new HelperThread() : null;
  return helper;
}

/**
 * Starts the helper thread now rather than at the first large tree, and resolves once it can take work
 * (false where it cannot: one core, or it failed to start). Building never waits for it: until it is
 * ready, trees are built on the calling thread alone.
 */
export function startMerkleHelper(): Promise<boolean> {
  return helperThread()?.whenReady() ?? Promise.resolve(false);
}

/** The leaves from `firstLeaf` on, copied back to back into shared memory for the helper. */
function packLeaves(leafData: readonly Uint8Array[], firstLeaf: number): { leafBytes: Uint8Array; leafOffsets: Int32Array } {
  const count = leafData.length - firstLeaf;
  let total = 0;
  for (let i = firstLeaf; i < leafData.length; i++) total += leafData[i].length;
  const leafOffsets = new Int32Array(new SharedArrayBuffer(4 * (count + 1)));
  const leafBytes = new Uint8Array(new SharedArrayBuffer(total));
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const data = leafData[firstLeaf + i];
    leafOffsets[i] = offset;
    leafBytes.set(data, offset);
    offset += data.length;
  }
  leafOffsets[count] = offset;
  return { leafBytes, leafOffsets };
}

const parallelBuilder: MerkleTreeBuilder = {
  allocate(byteLength) {
    return new Uint8Array(new SharedArrayBuffer(byteLength));
  },
  fill(leafData, nodes, layout) {
    const levels = layout.levelSizes.length - 1;
    const thread = helperThread();
    if (thread === null || !thread.ready) return hashChunk(leafData, 0, nodes, layout, 0, layout.size, levels);
    // The tallest subtrees whose roots still make a level of TOP_LEVEL_MIN_NODES, grouped into chunks:
    // every chunk then hashes exactly the nodes one thread would.
    let height = levels;
    while (height > 0 && layout.size / 2 ** height < TOP_LEVEL_MIN_NODES) height--;
    const width = 2 ** height;
    const chunkLeaves = width * Math.max(1, Math.round(layout.size / CHUNKS_PER_TREE / width));
    const chunkCount = Math.ceil(layout.size / chunkLeaves);
    const firstPackedChunk = Math.floor(chunkCount * (1 - HELPER_MAX_SHARE));
    const control = new Int32Array(new SharedArrayBuffer(4 * (2 * chunkCount + 1)));
    const job: ChunkedTreeJob = {
      control,
      nodes,
      size: layout.size,
      chunkLeaves,
      chunkCount,
      height,
      firstPackedChunk,
      ...packLeaves(leafData, firstPackedChunk * chunkLeaves),
    };
    thread.post(job);
    const done = chunkCount;
    const hash = (chunk: number): void => {
      const first = chunk * chunkLeaves;
      hashChunk(leafData, 0, nodes, layout, first, Math.min(layout.size, first + chunkLeaves), height);
      Atomics.store(control, done + chunk, 1);
    };
    // Claim chunks upwards until one is the helper's: it works downwards, so the rest are too.
    const started = performance.now();
    let chunk = 0;
    for (; chunk < chunkCount; chunk++) {
      if (Atomics.compareExchange(control, chunk, CHUNK_FREE, CHUNK_CALLER) !== CHUNK_FREE) break;
      hash(chunk);
    }
    // The helper finishes a chunk before it claims the next, so only its last claim can be unfinished.
    // Give it about the time a chunk takes here; a helper that got no CPU meanwhile is overtaken (it
    // may still write that chunk later: the same bytes).
    const chunkMs = chunk > 0 ? (performance.now() - started) / chunk : 10;
    for (; chunk < chunkCount; chunk++) {
      if (Atomics.load(control, done + chunk) === 1) continue;
      Atomics.wait(control, done + chunk, 0, Math.max(2, 1.5 * chunkMs));
      if (Atomics.load(control, done + chunk) !== 1) hash(chunk);
    }
    if (Atomics.load(control, 2 * chunkCount) === HELPER_FAILED) thread.retire();
    hashMerkleLevels(nodes, layout, defaultMerkleHasher, 0, layout.size, height, levels);
  },
};

/**
 * Leaf hashes of [firstLeaf, endLeaf) and their parents up to level `height`. `leafData[i - leafBase]`
 * is leaf i; the helper thread hashes through this function too.
 */
export function hashChunk(
  leafData: readonly Uint8Array[],
  leafBase: number,
  nodes: Uint8Array,
  layout: MerkleTreeLayout,
  firstLeaf: number,
  endLeaf: number,
  height: number,
): void {
  const leaves =
    firstLeaf - leafBase === 0 && endLeaf - leafBase === leafData.length ? leafData : leafData.slice(firstLeaf - leafBase, endLeaf - leafBase);
  defaultMerkleHasher.hashLeaves(leaves, nodes.subarray(32 * firstLeaf, 32 * endLeaf));
  hashMerkleLevels(nodes, layout, defaultMerkleHasher, firstLeaf, endLeaf, 0, height);
}

/**
 * `buildMerkleTree` with the default hasher, on two threads for trees of 2^15 leaves and more once the
 * helper thread is up (it starts at the first such call). Same tree, same bytes; only faster.
 */
export function buildMerkleTreeInParallel(leafData: readonly Uint8Array[]): MerkleTree {
  if (leafData.length < PARALLEL_MIN_LEAVES) return new MerkleTree(leafData, defaultMerkleHasher);
  return new MerkleTree(leafData, defaultMerkleHasher, parallelBuilder);
}
