// Figure 3: sealing a large batch in the store (embedded PGlite and PostgreSQL): documents are
// bulk-inserted first (not timed), then `store.sealNextBatch(n, computeRoot)` is timed with the
// notary's own tree computation. The embedded data prepared here is reused by the service figures.
import { BatchTreeCache } from '../src/notarization/batch-trees';
import { openStore } from '../src/platform/database/open-database';
import type { BatchLeaves, SqlStore } from '../src/notarization/sql/notary-store';
import { randomMultihashes } from './leaves';
import { figure, formatSeconds, type Figure } from './report';
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
export async function insertDocuments(store: SqlStore, count: number, log?: (line: string) => void): Promise<Buffer[]> {
  const documents = randomMultihashes(count);
  for (let start = 0; start < count; start += INSERT_CALL) {
    const chunk = documents.slice(start, start + INSERT_CALL).map((multihash) => ({ multihash }));
    await store.insertSubmissions(BENCH_TENANT, chunk);
    if (log && count >= 200_000 && (start / INSERT_CALL) % 10 === 9) log(`  inserted ${(start + chunk.length).toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
  }
  return documents;
}

/** Seals the next batch with the notary's tree computation (as Notary.round passes it). */
export async function sealWithTree(store: SqlStore, maxSize: number): Promise<{ batchId: string; treeSize: number; totalMs: number; treeMs: number }> {
  let treeMs = 0;
  const computeRoot = (leaves: BatchLeaves): Uint8Array => {
    const started = performance.now();
    const root = BatchTreeCache.build(leaves).tree.root;
    treeMs += performance.now() - started;
    return root;
  };
  const started = performance.now();
  const sealed = await store.sealNextBatch(maxSize, computeRoot);
  const totalMs = performance.now() - started;
  if (!sealed) throw new Error('nothing to seal');
  return { batchId: sealed.batch.id, treeSize: sealed.batch.treeSize, totalMs, treeMs };
}

/**
 * Times `runs` seals of the same `size` documents: after each timed seal but the last, the batch row
 * is deleted so the same range is sealed again (sealing writes one row; nothing else to undo).
 */
export async function timeRepeatedSeals(store: SqlStore, size: number, runs: number, log: (line: string) => void): Promise<SealTiming> {
  const timing: SealTiming = { totalMs: [], treeMs: [], size };
  for (let run = 0; run < runs; run++) {
    const sealed = await sealWithTree(store, size);
    if (sealed.treeSize !== size) throw new Error(`sealed ${sealed.treeSize} documents instead of ${size}`);
    timing.totalMs.push(sealed.totalMs);
    timing.treeMs.push(sealed.treeMs);
    log(`  seal ${run + 1}/${runs}: ${formatSeconds(sealed.totalMs)} (tree ${formatSeconds(sealed.treeMs)})`);
    if (run < runs - 1) await store.db.query('DELETE FROM batches WHERE id = $1', [sealed.batchId]);
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
      `store.sealNextBatch(${timing.size.toLocaleString('en-US')}, computeRoot) after a bulk insert, median of ${timing.totalMs.length}: ` +
      `tree (BatchTreeCache.build) ${formatSeconds(tree)}, the rest (locks, reading the rows, writing the batch) ${formatSeconds(ms - tree)}` +
      (scaled ? '; the 1M-document target is scaled linearly in --quick' : ''),
    details: { runsMs: timing.totalMs.map((v) => round(v)), treeMs: timing.treeMs.map((v) => round(v)), size: timing.size },
  });
}

/** Figure 3 on PostgreSQL, in a database created for this run and dropped afterwards. */
export async function benchPostgresSeal(
  scope: ResourceScope,
  options: { quick: boolean; serverUrl: string; log: (line: string) => void },
): Promise<Figure> {
  const size = options.quick ? 100_000 : 1_000_000;
  const databaseUrl = await createScratchDatabase(scope, options.serverUrl);
  const store = await openStore({ dataDir: scope.tempDir('pg-unused'), databaseUrl });
  scope.defer('PostgreSQL store', () => store.close());
  options.log(`seal/PostgreSQL: inserting ${size.toLocaleString('en-US')} documents (not timed)`);
  await insertDocuments(store, size, options.log);
  await store.db.query('ANALYZE submissions');
  const timing = await timeRepeatedSeals(store, size, options.quick ? 1 : 3, options.log);
  return sealFigure('PostgreSQL', timing, options.quick);
}

/** Creates `didnotary_bench_<pid>_<time>` on the server and registers its drop. */
async function createScratchDatabase(scope: ResourceScope, serverUrl: string): Promise<string> {
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
