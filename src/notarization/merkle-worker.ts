// The helper thread of parallel-merkle.ts: claims a tree's chunks from the last one downwards and, as
// soon as the caller has hashed a chunk's leaves, hashes the levels above them straight into the
// tree's shared buffer, until it meets the caller; it raises each chunk's done flag as it finishes it.
import { parentPort, workerData } from 'node:worker_threads';
import { hashMerkleLevels, merkleTreeLayout } from '../core/merkle/tree';
import { nodeMerkleHasher } from './native-merkle-hasher';
import { CHUNK_FREE, CHUNK_HELPER, controlLayout, HELPER_DONE, HELPER_FAILED, LEAF_WAIT_MS, type ChunkedTreeJob } from './parallel-merkle';

function runJob(job: ChunkedTreeJob): void {
  const layout = merkleTreeLayout(job.size);
  const { levelsDone, leavesDone } = controlLayout(job.chunkCount);
  for (let chunk = job.chunkCount - 1; chunk >= 0; chunk--) {
    if (Atomics.compareExchange(job.control, chunk, CHUNK_FREE, CHUNK_HELPER) !== CHUNK_FREE) return;
    if (Atomics.wait(job.control, leavesDone + chunk, 0, LEAF_WAIT_MS) === 'timed-out') throw new Error('no leaf hashes');
    const first = chunk * job.chunkLeaves;
    hashMerkleLevels(job.nodes, layout, nodeMerkleHasher, first, Math.min(job.size, first + job.chunkLeaves), 0, job.height);
    Atomics.store(job.control, levelsDone + chunk, 1);
    Atomics.notify(job.control, levelsDone + chunk);
  }
}

// Load the native code and compile the SIMD module (calls of a few pairs stay in WebAssembly) before
// declaring the thread ready.
nodeMerkleHasher.hashNodePairs(new Uint8Array(64 * 64), 64, new Uint8Array(32 * 64));
nodeMerkleHasher.hashNodePairs(new Uint8Array(64 * 16), 16, new Uint8Array(32 * 16));

parentPort!.on('message', (job: ChunkedTreeJob) => {
  let outcome = HELPER_DONE;
  try {
    runJob(job);
  } catch {
    outcome = HELPER_FAILED;
  }
  Atomics.store(job.control, controlLayout(job.chunkCount).state, outcome);
});
Atomics.store((workerData as { ready: Int32Array }).ready, 0, 1);
