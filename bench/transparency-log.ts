// The transparency log's figures: a consistency proof between checkpoints of 2^20 and 2^20 + 1,000
// batches, built from the log tree and verified as a monitor does (target ≤ 1 ms each). The peer,
// measured in the same run, is one inclusion proof checked in a 2^20-leaf tree: the cheapest proof
// a verifier checks, so the ratio says what a consistency check costs beyond it on this machine.
import { verifyConsistency } from '../src/core/merkle/consistency';
import { MerkleLogTree } from '../src/core/merkle/log-tree';
import { rootFromInclusionProof } from '../src/core/merkle/proof';
import { figure, formatRatio, type Figure } from './report';

const SIZE1 = 2 ** 20;
const SIZE2 = 2 ** 20 + 1000;

/** Median of `runs` timings of `work`, in milliseconds. */
function medianMs(runs: number, work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function benchTransparencyLog(options: { quick: boolean; log: (line: string) => void }): Figure[] {
  const tree = new MerkleLogTree();
  const leaf = new Uint8Array(32);
  const started = performance.now();
  for (let i = 0; i < SIZE2; i++) {
    leaf[0] = i & 0xff;
    leaf[1] = (i >> 8) & 0xff;
    leaf[2] = i >> 16;
    tree.appendLeafHash(leaf);
  }
  options.log(`transparency log: ${SIZE2} batch roots appended in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const runs = options.quick ? 200 : 2000;
  const root1 = tree.root(SIZE1);
  const root2 = tree.root(SIZE2);
  const proof = tree.consistencyProof(SIZE1, SIZE2);
  if (!verifyConsistency({ size1: SIZE1, size2: SIZE2, root1, root2, proof }).ok) throw new Error('the consistency proof does not verify');
  const build = medianMs(runs, () => tree.consistencyProof(SIZE1, SIZE2));
  const verify = medianMs(runs, () => verifyConsistency({ size1: SIZE1, size2: SIZE2, root1, root2, proof }));
  const inclusion = tree.inclusionProof(123_456, SIZE1);
  const leafHash = tree.leafHash(123_456);
  const peer = medianMs(runs, () => rootFromInclusionProof({ leafHash, leafIndex: 123_456, treeSize: SIZE1, auditPath: inclusion }));
  const row = (id: string, name: string, ms: number): Figure =>
    figure({
      id,
      figure: name,
      value: ms,
      unit: 'ms',
      valueText: `${(ms * 1000).toFixed(0)} µs`,
      targetText: '≤ 1 ms',
      peerText: `${(peer * 1000).toFixed(0)} µs (one inclusion proof checked, 2^20 leaves)`,
      ratioText: formatRatio(ms / peer),
      verdict: ms <= 1 ? 'PASS' : 'MISS',
      note: `median of ${runs}; proof of ${proof.length} hashes; the log tree keeps every complete subtree, so building reads stored nodes and hashes only the right edge`,
    });
  return [
    row('log.consistency.build', 'log: consistency proof 2^20 → 2^20 + 1,000 batches, build', build),
    row('log.consistency.verify', 'log: consistency proof 2^20 → 2^20 + 1,000 batches, verify', verify),
  ];
}
