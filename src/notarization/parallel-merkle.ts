// Node only: large Merkle trees built on two threads. The leaves are cut into chunks at subtree
// boundaries. The caller hashes the leaves, chunk by chunk from the last one down (only it holds the
// leaf data); a persistent helper thread (merkle-worker.ts) follows it, hashing each chunk's levels
// above the leaves into the tree's SharedArrayBuffer. Once the leaves are done the caller hashes chunk
// levels too, from the first chunk up, each side claiming a chunk with an atomic flag until they meet;
// a helper that gets less CPU (a busy machine) simply does fewer chunks, and one that gets none is
// overtaken. The caller then hashes the few top levels. The call stays synchronous (the caller waits
// for the helper's last chunk with Atomics.wait), so sealing code is unchanged.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { hashMerkleLevels, MerkleTree, type MerkleTreeBuilder } from '../core/merkle/tree';
import { nodeMerkleHasher } from './native-merkle-hasher';

/** Below this, a tree takes a few milliseconds and handing part of it over is not worth it. */
const PARALLEL_MIN_LEAVES = 1 << 15;
/** Chunks are whole subtrees whose roots form a level of at least this many nodes. */
const TOP_LEVEL_MIN_NODES = 2048;
/** About this many chunks per tree: enough to share the work out evenly, few enough to cost nothing. */
const CHUNKS_PER_TREE = 32;
/** How long the helper waits for a chunk's leaf hashes before it gives the job up. */
export const LEAF_WAIT_MS = 10_000;

/** Chunk claim flags in a job's control array. */
export const CHUNK_FREE = 0;
export const CHUNK_CALLER = 1;
export const CHUNK_HELPER = 2;
/** The helper's state word (the control array's last entry; 0 while it works), for the caller to retire a failing helper. */
export const HELPER_DONE = 1;
export const HELPER_FAILED = 2;

/** What the caller posts to the helper; every buffer is shared, so nothing is copied. */
export interface ChunkedTreeJob {
  /**
   * chunkCount entries each of: level claim flags (CHUNK_*), levels-done flags and leaves-done flags
   * (1 once written; notified), then the helper's state word.
   */
  control: Int32Array;
  nodes: Uint8Array;
  size: number;
  /** Chunk c is leaves [c · chunkLeaves, min((c + 1) · chunkLeaves, size)). */
  chunkLeaves: number;
  chunkCount: number;
  /** Levels 1..height above the leaves are hashed within each chunk. */
  height: number;
}

/** Offsets of the flag groups in a job's control array. */
export function controlLayout(chunkCount: number): { levelsDone: number; leavesDone: number; state: number } {
  return { levelsDone: chunkCount, leavesDone: 2 * chunkCount, state: 3 * chunkCount };
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

const parallelBuilder: MerkleTreeBuilder = {
  allocate(byteLength) {
    return new Uint8Array(new SharedArrayBuffer(byteLength));
  },
  fill(leafData, nodes, layout) {
    const hasher = nodeMerkleHasher;
    const levels = layout.levelSizes.length - 1;
    const thread = helperThread();
    if (thread === null || !thread.ready) {
      hasher.hashLeaves(leafData, nodes.subarray(0, 32 * layout.size));
      return hashMerkleLevels(nodes, layout, hasher, 0, layout.size, 0, levels);
    }
    // The tallest subtrees whose roots still make a level of TOP_LEVEL_MIN_NODES, grouped into chunks:
    // every chunk then hashes exactly the nodes one thread would.
    let height = levels;
    while (height > 0 && layout.size / 2 ** height < TOP_LEVEL_MIN_NODES) height--;
    const width = 2 ** height;
    const chunkLeaves = width * Math.max(1, Math.round(layout.size / CHUNKS_PER_TREE / width));
    const chunkCount = Math.ceil(layout.size / chunkLeaves);
    const { levelsDone, leavesDone, state } = controlLayout(chunkCount);
    const control = new Int32Array(new SharedArrayBuffer(4 * (state + 1)));
    thread.post({ control, nodes, size: layout.size, chunkLeaves, chunkCount, height });
    const endOf = (chunk: number): number => Math.min(layout.size, (chunk + 1) * chunkLeaves);
    // Leaves, last chunk first: that is where the helper starts.
    for (let chunk = chunkCount - 1; chunk >= 0; chunk--) {
      const first = chunk * chunkLeaves;
      hasher.hashLeaves(leafData.slice(first, endOf(chunk)), nodes.subarray(32 * first, 32 * endOf(chunk)));
      Atomics.store(control, leavesDone + chunk, 1);
      Atomics.notify(control, leavesDone + chunk);
    }
    const hashLevels = (chunk: number): void => {
      hashMerkleLevels(nodes, layout, hasher, chunk * chunkLeaves, endOf(chunk), 0, height);
      Atomics.store(control, levelsDone + chunk, 1);
    };
    // Chunk levels upwards until a chunk is the helper's: it works downwards, so the rest are too.
    const started = performance.now();
    let chunk = 0;
    for (; chunk < chunkCount; chunk++) {
      if (Atomics.compareExchange(control, chunk, CHUNK_FREE, CHUNK_CALLER) !== CHUNK_FREE) break;
      hashLevels(chunk);
    }
    // The helper finishes a chunk before it claims the next, so only its last claim can be unfinished.
    // Give it about the time a chunk takes here; a helper that got no CPU meanwhile is overtaken (it
    // may still write that chunk later: the same bytes).
    const chunkMs = chunk > 0 ? (performance.now() - started) / chunk : 10;
    for (; chunk < chunkCount; chunk++) {
      if (Atomics.load(control, levelsDone + chunk) === 1) continue;
      Atomics.wait(control, levelsDone + chunk, 0, Math.max(2, 1.5 * chunkMs));
      if (Atomics.load(control, levelsDone + chunk) !== 1) hashLevels(chunk);
    }
    if (Atomics.load(control, state) === HELPER_FAILED) thread.retire();
    hashMerkleLevels(nodes, layout, hasher, 0, layout.size, height, levels);
  },
};

/**
 * `buildMerkleTree` with the Node hasher (native-merkle-hasher.ts), on two threads for trees of 2^15 leaves and more once the
 * helper thread is up (it starts at the first such call). Same tree, same bytes; only faster.
 */
export function buildMerkleTreeInParallel(leafData: readonly Uint8Array[]): MerkleTree {
  if (leafData.length < PARALLEL_MIN_LEAVES) return new MerkleTree(leafData, nodeMerkleHasher);
  return new MerkleTree(leafData, nodeMerkleHasher, parallelBuilder);
}
