// The helper thread of parallel-merkle.ts: hashes the leaves and lower levels of one part of a tree
// straight into the tree's shared buffer, then flips the job's control word.
import { parentPort, workerData } from 'node:worker_threads';
import { hashMerkleLevels, merkleTreeLayout } from '../core/merkle';
import { defaultMerkleHasher } from '../core/merkle-hasher';
import { JOB_DONE, JOB_FAILED, type SubtreeJob } from './parallel-merkle';

/** Leaves are handed to the hasher through views made this many at a time, to keep the heap small. */
const LEAF_VIEW_BATCH = 4096;

function runJob(job: SubtreeJob): void {
  const layout = merkleTreeLayout(job.size);
  const count = job.endLeaf - job.firstLeaf;
  for (let start = 0; start < count; start += LEAF_VIEW_BATCH) {
    const end = Math.min(count, start + LEAF_VIEW_BATCH);
    const views: Uint8Array[] = new Array(end - start);
    for (let i = start; i < end; i++) views[i - start] = job.leafBytes.subarray(job.leafOffsets[i], job.leafOffsets[i + 1]);
    defaultMerkleHasher.hashLeaves(views, job.nodes.subarray(32 * (job.firstLeaf + start), 32 * (job.firstLeaf + end)));
  }
  hashMerkleLevels(job.nodes, layout, defaultMerkleHasher, job.firstLeaf, job.endLeaf, 0, job.levels);
}

// Compile the SIMD module and warm the hashing code before declaring the thread ready.
defaultMerkleHasher.hashNodePairs(new Uint8Array(64 * 64), 64, new Uint8Array(32 * 64));
defaultMerkleHasher.hashLeaves(Array.from({ length: 64 }, () => new Uint8Array(34)), new Uint8Array(32 * 64));

parentPort!.on('message', (job: SubtreeJob) => {
  let outcome = JOB_DONE;
  try {
    runJob(job);
  } catch {
    outcome = JOB_FAILED;
  }
  Atomics.store(job.control, 0, outcome);
  Atomics.notify(job.control, 0);
});
Atomics.store((workerData as { ready: Int32Array }).ready, 0, 1);
