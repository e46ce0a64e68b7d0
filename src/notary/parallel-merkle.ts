// Node only: large Merkle trees built on two threads. The leaves split at a subtree boundary near the
// middle; a persistent helper thread (merkle-worker.ts) hashes the right part's lower levels into the
// tree's SharedArrayBuffer while the caller hashes the left part's, then the caller hashes the few top
// levels. The call stays synchronous (the caller waits with Atomics.wait), so sealing code is unchanged.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { hashMerkleLevels, MerkleTree, type MerkleTreeBuilder, type MerkleTreeLayout } from '../core/merkle';
import { defaultMerkleHasher } from '../core/merkle-hasher';

/** Below this, a tree takes a few milliseconds and handing half of it over is not worth it. */
const PARALLEL_MIN_LEAVES = 1 << 15;
/** The split keeps at least this many nodes on the first level the caller hashes alone. */
const TOP_LEVEL_MIN_NODES = 2048;
/**
 * The helper's part of the leaves: a little under half, since it starts after the caller has copied
 * them to shared memory and it makes views of them again before hashing.
 */
const HELPER_SHARE = 0.48;
/** How long the caller waits for the helper before it hashes the helper's part itself. */
const HELPER_TIMEOUT_MS = 60_000;

/** Values of a job's control word. */
export const JOB_PENDING = 0;
export const JOB_DONE = 1;
export const JOB_FAILED = 2;

/** What the caller posts to the helper; every buffer is shared, so nothing is copied. */
export interface SubtreeJob {
  /** One Int32: JOB_PENDING until the helper stores JOB_DONE or JOB_FAILED and notifies. */
  control: Int32Array;
  nodes: Uint8Array;
  size: number;
  firstLeaf: number;
  endLeaf: number;
  /** Levels 1..levels above the leaves are hashed for the range. */
  levels: number;
  /** The range's leaf data back to back; leaf i is bytes [offsets[i], offsets[i + 1]). */
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

  /** Posts the job; `finish` then waits for it, true when the helper did it. */
  start(job: SubtreeJob): { finish: () => boolean } {
    this.worker.postMessage(job);
    return {
      finish: () => {
        const outcome = Atomics.wait(job.control, 0, JOB_PENDING, HELPER_TIMEOUT_MS);
        if (outcome !== 'timed-out' && Atomics.load(job.control, 0) === JOB_DONE) return true;
        // A helper that failed or hangs is not trusted again; it may still write the same bytes.
        this.retire();
        return false;
      },
    };
  }

  private retire(): void {
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

/** The leaves of [firstLeaf, endLeaf) copied back to back into shared memory for the helper. */
function packLeaves(leafData: readonly Uint8Array[], firstLeaf: number, endLeaf: number): { leafBytes: Uint8Array; leafOffsets: Int32Array } {
  const count = endLeaf - firstLeaf;
  let total = 0;
  for (let i = firstLeaf; i < endLeaf; i++) total += leafData[i].length;
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
    const hasher = defaultMerkleHasher;
    const levels = layout.levelSizes.length - 1;
    const thread = helperThread();
    if (thread === null || !thread.ready) return fillRange(leafData, nodes, layout, 0, layout.size, levels);
    // The largest subtree height whose level still has TOP_LEVEL_MIN_NODES nodes, and a split point on
    // a multiple of its width near the middle: both parts then hash the same subtrees as one thread
    // would.
    let height = levels;
    while (height > 0 && layout.size / 2 ** height < TOP_LEVEL_MIN_NODES) height--;
    const width = 2 ** height;
    const split = Math.max(width, Math.round((layout.size * (1 - HELPER_SHARE)) / width) * width);
    const job: SubtreeJob = {
      control: new Int32Array(new SharedArrayBuffer(4)),
      nodes,
      size: layout.size,
      firstLeaf: split,
      endLeaf: layout.size,
      levels: height,
      ...packLeaves(leafData, split, layout.size),
    };
    const helperJob = thread.start(job);
    fillRange(leafData, nodes, layout, 0, split, height);
    if (!helperJob.finish()) fillRange(leafData, nodes, layout, split, layout.size, height);
    hashMerkleLevels(nodes, layout, hasher, 0, layout.size, height, levels);
  },
};

/** Leaf hashes of [firstLeaf, endLeaf) and their parents up to level `height`, on this thread. */
function fillRange(leafData: readonly Uint8Array[], nodes: Uint8Array, layout: MerkleTreeLayout, firstLeaf: number, endLeaf: number, height: number): void {
  const leaves = firstLeaf === 0 && endLeaf === leafData.length ? leafData : leafData.slice(firstLeaf, endLeaf);
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
