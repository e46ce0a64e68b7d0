// Figure 2: RSS growth of a process that sealed a 2^20 batch and keeps its tree for proofs, measured
// in fresh child processes (merkle-memory-child.ts) so that nothing else the bench did counts.
import path from 'node:path';
import { figure, formatRatio, type Figure } from './report';
import type { ResourceScope } from './resources';
import { median, round } from './stats';

const TARGET_MIB = 256;
const LEAVES = 2 ** 20;
const CHILD = path.join(__dirname, 'merkle-memory-child.ts');
const RUN_TS = path.join(__dirname, '..', 'bin', 'run-ts.js');

interface ChildResult {
  subject: string;
  leaves: number;
  rssGrowthMiB: number;
  peakRssGrowthMiB: number;
  heapGrowthMiB: number;
  arrayBuffersGrowthMiB: number;
  ms: number;
}

export async function benchMerkleMemory(scope: ResourceScope, options: { quick: boolean; log: (line: string) => void }): Promise<Figure[]> {
  const ours: ChildResult[] = [];
  const runs = options.quick ? 1 : 3;
  for (let i = 0; i < runs; i++) {
    options.log(`memory: sealing 2^20 in a fresh process (${i + 1}/${runs})`);
    ours.push(await runChild(scope, 'ours'));
  }
  let peer: ChildResult | null = null;
  if (!options.quick) {
    options.log('memory: merkletreejs 2^20 in a fresh process');
    peer = await runChild(scope, 'merkletreejs');
  }
  const growth = median(ours.map((r) => r.rssGrowthMiB));
  const peak = median(ours.map((r) => r.peakRssGrowthMiB));
  return [
    figure({
      id: 'memory.sealed-2^20',
      figure: 'memory: sealed 2^20 batch, tree kept for proofs (RSS growth)',
      value: round(growth),
      unit: 'MiB',
      valueText: `${growth.toFixed(0)} MiB`,
      targetText: `≤ ${TARGET_MIB} MiB`,
      peerText: peer ? `${peer.rssGrowthMiB.toFixed(0)} MiB` : 'not run (--quick)',
      ratioText: peer ? formatRatio(peer.rssGrowthMiB / growth) : '—',
      verdict: growth <= TARGET_MIB ? 'PASS' : 'MISS',
      note:
        `fresh process per run, median of ${runs}: Notary.anchorNow() seals 2^20 leaves handed out as a driver does (one Uint8Array per row) and keeps the tree in its cache; ` +
        `RSS after full GC minus RSS before the leaves existed; peak during sealing ${peak.toFixed(0)} MiB, V8 heap growth ${median(ours.map((r) => r.heapGrowthMiB)).toFixed(0)} MiB, ` +
        `ArrayBuffers ${median(ours.map((r) => r.arrayBuffersGrowthMiB)).toFixed(0)} MiB` +
        (peer ? `; peer: merkletreejs tree over the same kind of leaves, kept (peak ${peer.peakRssGrowthMiB.toFixed(0)} MiB)` : ''),
      details: { runs: ours, merkletreejs: peer },
    }),
    figure({
      id: 'memory.sealing-peak',
      figure: 'memory: peak RSS growth while sealing 2^20',
      value: round(peak),
      unit: 'MiB',
      valueText: `${peak.toFixed(0)} MiB`,
      targetText: '—',
      peerText: peer ? `${peer.peakRssGrowthMiB.toFixed(0)} MiB` : '—',
      ratioText: peer ? formatRatio(peer.peakRssGrowthMiB / peak) : '—',
      verdict: 'info',
      note: 'same runs: the largest RSS seen between the leaves arriving and the tree being kept (transient rows + the trees the notary builds)',
    }),
  ];
}

async function runChild(scope: ResourceScope, subject: 'ours' | 'merkletreejs'): Promise<ChildResult> {
  const { child, stop } = scope.spawn(process.execPath, ['--expose-gc', RUN_TS, CHILD, subject, String(LEAVES)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: path.join(__dirname, '..'),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  await stop();
  if (code !== 0) throw new Error(`memory child (${subject}) exited with ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}
