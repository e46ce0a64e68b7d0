// Child process of figure 2 (run by merkle-memory.ts, never directly): seals a batch in a fresh
// process and prints its RSS growth as one JSON line. `ours` goes through the notary's real sealing
// code with a store that hands out the leaves as a database driver does (one Uint8Array per row);
// `merkletreejs` builds the peer's tree over the same kind of leaves and keeps it.
import crypto from 'node:crypto';
import { MerkleTree as MerkleTreeJs } from 'merkletreejs';
import { Notary } from '../src/notarization/notary';
import type { AnchoringChain } from '../src/notarization/ports';
import { createLogger } from '../src/platform/observability/logger';
import type { BatchLeaves, BatchRecord, SealableRange } from '../src/notarization/batch';
import type { NotaryStore } from '../src/notarization/ports';

const MIB = 2 ** 20;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) collect();
}

/** Leaves as a driver returns rows: a separate Uint8Array per multihash, and the sequence numbers. */
function storeLikeLeaves(count: number): BatchLeaves {
  const digests = crypto.randomBytes(32 * count);
  const multihashes: Uint8Array[] = new Array(count);
  const seqs: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const leaf = new Uint8Array(34);
    leaf[0] = 0x12;
    leaf[1] = 0x20;
    leaf.set(digests.subarray(32 * i, 32 * i + 32), 2);
    multihashes[i] = leaf;
    seqs[i] = i + 1;
  }
  return { seqs, multihashes };
}

async function sealThroughNotary(count: number): Promise<{ kept: unknown; peakRss: number }> {
  let pending: BatchLeaves | null = storeLikeLeaves(count);
  let peakRss = 0;
  let sealedBatch: BatchRecord | null = null;
  // Only what Notary.round() touches when there is nothing to anchor; any other store method the
  // notary may call answers "nothing" by its name (list… → [], try… → true, count… → 0, else null).
  const known: Record<string, unknown> = {
    async readSealableRange(): Promise<SealableRange | null> {
      const leaves = pending;
      pending = null;
      return leaves ? { afterSeq: 0, leaves, oldestSubmittedAt: new Date() } : null;
    },
    // The transparency log starts empty: the sealed batch is its first entry.
    async readLogRoots(): Promise<Uint8Array[]> {
      return [];
    },
    async recordSealedBatch(_range: SealableRange, root: Uint8Array): Promise<BatchRecord> {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      sealedBatch = {
        id: '1', firstSeq: 1, lastSeq: count, treeSize: count, logIndex: 0, logCommitment: null, root, sealedAt: new Date(), status: 'sealed',
        anchor: null, anchors: [],
      };
      return sealedBatch;
    },
    async getBatch(): Promise<BatchRecord | null> {
      return sealedBatch;
    },
  };
  const store = new Proxy(known, {
    get(target, name) {
      if (typeof name !== 'string') return undefined;
      if (name in target) return target[name];
      if (name === 'then') return undefined;
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const answer = name.startsWith('list') ? [] : name.startsWith('try') ? true : name.startsWith('count') ? 0 : null;
      return async () => answer;
    },
  }) as unknown as NotaryStore;
  const notary = new Notary(store, {} as AnchoringChain, {
    batchIntervalMs: 3_600_000,
    batchMaxSize: count,
    confirmations: 1,
    maxDocumentsPerRequest: 10_000,
    issuerDid: 'did:example:bench',
  }, createLogger('silent'));
  const sealed = await notary.anchorNow();
  if (sealed?.treeSize !== count) throw new Error(`sealed ${sealed?.treeSize} leaves instead of ${count}`);
  return { kept: notary, peakRss };
}

function buildMerkleTreeJs(count: number): { kept: unknown; peakRss: number } {
  let leaves: BatchLeaves | null = storeLikeLeaves(count);
  const hash = (data: Buffer): Buffer => crypto.hash('sha256', data, 'buffer');
  const tree = new MerkleTreeJs(leaves.multihashes.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength)), hash, { hashLeaves: true });
  const peakRss = process.memoryUsage.rss();
  leaves = null;
  return { kept: tree, peakRss };
}

async function main(): Promise<void> {
  const [subject, countText] = process.argv.slice(3);
  const count = Number(countText);
  gc();
  const before = process.memoryUsage();
  const started = performance.now();
  const { kept, peakRss } = subject === 'merkletreejs' ? buildMerkleTreeJs(count) : await sealThroughNotary(count);
  const ms = performance.now() - started;
  gc();
  const after = process.memoryUsage();
  const result = {
    subject,
    leaves: count,
    rssGrowthMiB: (after.rss - before.rss) / MIB,
    peakRssGrowthMiB: (Math.max(peakRss, after.rss) - before.rss) / MIB,
    heapGrowthMiB: (after.heapUsed - before.heapUsed) / MIB,
    arrayBuffersGrowthMiB: (after.arrayBuffers - before.arrayBuffers) / MIB,
    ms,
  };
  if (kept === undefined) throw new Error('nothing kept');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
