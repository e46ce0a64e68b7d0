// Figure 3: sealing a large batch in the store (embedded PGlite and PostgreSQL): documents are
// bulk-inserted first (not timed), then a seal is timed as the notary makes it: the store's sealable
// range, the notary's own tree over it, the batch recorded. The embedded data prepared here is reused by the service figures.
import { subtreesOf } from '../src/notarization/batch-subtrees';
import { BatchTreeCache } from '../src/notarization/batch-trees';
import type { NotaryStore } from '../src/notarization/ports';
import { SqlNotaryStore } from '../src/notarization/sql/notary-store';
import type { SqlClient } from '../src/platform/database/sql-client';
import { openServiceDatabase } from '../src/schema';
import { randomMultihashes } from './leaves';
import { figure, formatSeconds, type Figure } from './report';
import { storeBytesFigure } from './store-size';
import type { ResourceScope } from './resources';
import { median, round } from './stats';

const TARGET_MS = 10_000;
/** Documents per insertSubmissions call (one transaction each) while preparing data. */
const INSERT_CALL = 20_000;
export const BENCH_TENANT = 'bench';

export interface SealTiming {
  totalMs: number[];
  treeMs: number[];
  size: number;
}

/** Bulk-inserts `count` fresh documents for the bench tenant; returns them (leaf data). */
export async function insertDocuments(store: Pick<NotaryStore, 'insertTenantSubmissions'>, count: number, log?: (line: string) => void): Promise<Buffer[]> {
  const documents = randomMultihashes(count);
  for (let start = 0; start < count; start += INSERT_CALL) {
    const chunk = documents.slice(start, start + INSERT_CALL).map((multihash) => ({ multihash, tenantId: BENCH_TENANT }));
    await store.insertTenantSubmissions(chunk);
    if (log && count >= 200_000 && (start / INSERT_CALL) % 10 === 9) log(`  inserted ${(start + chunk.length).toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
  }
  return documents;
}

/** Seals the next batch as Notary.seal does: the sealable range, its tree, the batch recorded. */
export async function sealWithTree(store: NotaryStore, maxSize: number): Promise<{ batchId: string; treeSize: number; totalMs: number; treeMs: number }> {
  const started = performance.now();
  const range = await store.readSealableRange(maxSize);
  if (!range) throw new Error('nothing to seal');
  const treeStarted = performance.now();
  const built = BatchTreeCache.build(range.leaves);
  const treeMs = performance.now() - treeStarted;
  const batch = await store.recordSealedBatch(range, built.tree.root, undefined, subtreesOf(built.tree, built.seqs));
  const totalMs = performance.now() - started;
  if (!batch) throw new Error('another sealer recorded the batch');
  return { batchId: batch.id, treeSize: batch.treeSize, totalMs, treeMs };
}

/**
 * Times `runs` seals of the same `size` documents: after each timed seal but the last, the batch row
 * is deleted so the same range is sealed again (sealing writes one row; nothing else to undo).
 */
export async function timeRepeatedSeals(store: NotaryStore, db: SqlClient, size: number, runs: number, log: (line: string) => void): Promise<SealTiming> {
  const timing: SealTiming = { totalMs: [], treeMs: [], size };
  for (let run = 0; run < runs; run++) {
    const sealed = await sealWithTree(store, size);
    if (sealed.treeSize !== size) throw new Error(`sealed ${sealed.treeSize} documents instead of ${size}`);
    timing.totalMs.push(sealed.totalMs);
    timing.treeMs.push(sealed.treeMs);
    log(`  seal ${run + 1}/${runs}: ${formatSeconds(sealed.totalMs)} (tree ${formatSeconds(sealed.treeMs)})`);
    if (run < runs - 1) await db.query('DELETE FROM batches WHERE id = $1', [sealed.batchId]);
  }
  return timing;
}

export function sealFigure(backend: 'embedded PGlite' | 'PostgreSQL', timing: SealTiming, quick: boolean): Figure {
  const ms = median(timing.totalMs);
  const tree = median(timing.treeMs);
  const scaled = timing.size !== 1_000_000;
  return figure({
    id: `seal.${backend === 'PostgreSQL' ? 'postgres' : 'pglite'}`,
    figure: `seal a ${timing.size.toLocaleString('en-US')}-document batch, ${backend}${quick ? ' (--quick)' : ''}`,
    value: round(ms),
    unit: 'ms',
    valueText: formatSeconds(ms),
    targetText: scaled ? `≤ ${formatSeconds((TARGET_MS * timing.size) / 1_000_000)} (10 s per 1M)` : '≤ 10 s',
    verdict: ms <= (TARGET_MS * timing.size) / 1_000_000 ? 'PASS' : 'MISS',
    note:
      `a seal of ${timing.size.toLocaleString('en-US')} documents (readSealableRange, the tree, recordSealedBatch) after a bulk insert, median of ${timing.totalMs.length}: ` +
      `tree (BatchTreeCache.build) ${formatSeconds(tree)}, the rest (locks, reading the rows, writing the batch) ${formatSeconds(ms - tree)}` +
      (scaled ? '; the 1M-document target is scaled linearly in --quick' : ''),
    details: { runsMs: timing.totalMs.map((v) => round(v)), treeMs: timing.treeMs.map((v) => round(v)), size: timing.size },
  });
}

/** Figure 3 on PostgreSQL, in a database created for this run and dropped afterwards. */
export async function benchPostgresSeal(
  scope: ResourceScope,
  options: { quick: boolean; serverUrl: string; log: (line: string) => void },
): Promise<Figure[]> {
  const size = options.quick ? 100_000 : 1_000_000;
  const databaseUrl = await createScratchDatabase(scope, options.serverUrl);
  const db = await openServiceDatabase({ dataDir: scope.tempDir('pg-unused'), databaseUrl });
  scope.defer('PostgreSQL store', () => db.close());
  const store = new SqlNotaryStore(db);
  options.log(`seal/PostgreSQL: inserting ${size.toLocaleString('en-US')} documents (not timed)`);
  await insertDocuments(store, size, options.log);
  await db.query('ANALYZE submissions');
  const timing = await timeRepeatedSeals(store, db, size, options.quick ? 1 : 3, options.log);
  const bytes = await storeBytesFigure(db, 'PostgreSQL', `after inserting ${size.toLocaleString('en-US')} random documents of one tenant through the store (20,000 per transaction) and sealing them`);
  return [sealFigure('PostgreSQL', timing, options.quick), bytes];
}

/** Creates `didnotary_bench_<pid>_<time>` on the server and registers its drop. */
export async function createScratchDatabase(scope: ResourceScope, serverUrl: string): Promise<string> {
  const pg = await import('pg');
  const Client = pg.default?.Client ?? pg.Client;
  const name = `didnotary_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  scope.defer(`database ${name}`, async () => {
    const dropper = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
