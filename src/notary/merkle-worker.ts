// The helper thread of parallel-merkle.ts: claims a tree's chunks from the last one downwards and
// hashes each (leaves and the levels above them) straight into the tree's shared buffer, until it
// meets the caller, raising each chunk's done flag as it finishes it.
import { parentPort, workerData } from 'node:worker_threads';
import { merkleTreeLayout } from '../core/merkle';
import { defaultMerkleHasher } from '../core/merkle-hasher';
import { CHUNK_FREE, CHUNK_HELPER, hashChunk, HELPER_DONE, HELPER_FAILED, type ChunkedTreeJob } from './parallel-merkle';

function runJob(job: ChunkedTreeJob): void {
  const layout = merkleTreeLayout(job.size);
  const packedFirstLeaf = job.firstPackedChunk * job.chunkLeaves;
  for (let chunk = job.chunkCount - 1; chunk >= job.firstPackedChunk; chunk--) {
    if (Atomics.compareExchange(job.control, chunk, CHUNK_FREE, CHUNK_HELPER) !== CHUNK_FREE) return;
    const first = chunk * job.chunkLeaves;
    const end = Math.min(job.size, first + job.chunkLeaves);
    // Views of this chunk's leaves only, so the helper's heap stays small.
    const views: Uint8Array[] = new Array(end - first);
    for (let i = first; i < end; i++) {
      const packed = i - packedFirstLeaf;
      views[i - first] = job.leafBytes.subarray(job.leafOffsets[packed], job.leafOffsets[packed + 1]);
    }
    hashChunk(views, first, job.nodes, layout, first, end, job.height);
    Atomics.store(job.control, job.chunkCount + chunk, 1);
    Atomics.notify(job.control, job.chunkCount + chunk);
  }
}

// Compile the SIMD module and warm the hashing code before declaring the thread ready.
defaultMerkleHasher.hashNodePairs(new Uint8Array(64 * 64), 64, new Uint8Array(32 * 64));
defaultMerkleHasher.hashLeaves(Array.from({ length: 64 }, () => new Uint8Array(34)), new Uint8Array(32 * 64));

parentPort!.on('message', (job: ChunkedTreeJob) => {
  let outcome = HELPER_DONE;
  try {
    runJob(job);
  } catch {
    outcome = HELPER_FAILED;
  }
  Atomics.store(job.control, 2 * job.chunkCount, outcome);
});
Atomics.store((workerData as { ready: Int32Array }).ready, 0, 1);
