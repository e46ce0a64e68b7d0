// The PostgreSQL deployment under load: `did-notary serve` on a scratch database (embedded Anvil for
// the chain), measured like the embedded service (single and bulk submissions over HTTP), with the
// limit of the bulk figure measured in the same run: a raw COPY of the same rows into the same table.
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { Figure } from './report';
import type { ResourceScope } from './resources';
import { startBenchService } from './service-process';
import { bulkSubmissionFigure, drain, POSTGRES_BACKEND, singleSubmissionFigures } from './service-figures';
import { createScratchDatabase } from './store-seal';
import { median } from './stats';

/** The lock every submission transaction holds shared (notary-store.ts), so that no seal overtakes the COPY. */
const SUBMISSION_LOCK = 7310002;
const COPY_ROWS_PER_RUN = 200_000;

export async function benchPostgresService(
  scope: ResourceScope,
  options: { quick: boolean; serverUrl: string; log: (line: string) => void; emit: (figure: Figure) => void },
): Promise<void> {
  const { quick, log, emit } = options;
  const runs = quick ? 1 : 3;
  const seconds = quick ? 3 : 10;
  const databaseUrl = await createScratchDatabase(scope, options.serverUrl);
  log('postgres: starting did-notary serve on a scratch PostgreSQL database (embedded Anvil)');
  const service = await startBenchService(scope, {
    dataDir: scope.tempDir('postgres-service'),
    env: { DATABASE_URL: databaseUrl, RATE_LIMIT: '0', BATCH_INTERVAL: '1s', LOG_LEVEL: 'info' },
  });
  try {
    (await singleSubmissionFigures(service, runs, seconds, log, POSTGRES_BACKEND)).forEach(emit);
    await drain(service);
    const copyRuns: number[] = [];
    for (let run = 0; run < runs; run++) {
      log(`postgres: raw COPY of ${COPY_ROWS_PER_RUN.toLocaleString('en-US')} rows into the submissions table (${run + 1}/${runs})`);
      copyRuns.push(await copyRowsPerSecond(databaseUrl, COPY_ROWS_PER_RUN));
      await drain(service);
    }
    const rowsPerSecond = median(copyRuns);
    emit(
      await bulkSubmissionFigure(service, runs, seconds, log, POSTGRES_BACKEND, {
        name: 'raw COPY',
        rowsPerSecond,
        minRatio: 0.5,
        note:
          `peer: COPY submissions (tenant_number, multihash) FROM STDIN of ${COPY_ROWS_PER_RUN.toLocaleString('en-US')} new random documents per run through pg-copy-streams, ` +
          `one transaction holding the submission lock shared as the service's inserts do, same database and table (indexes included), ` +
          `median of ${runs}: ${copyRuns.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')} rows/s`,
      }),
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- service log (tail) ---\n${service.logTail(15)}`);
  } finally {
    await service.stop();
  }
}

/** COPYs `count` new documents into the submissions table in one transaction; rows per second. */
async function copyRowsPerSecond(databaseUrl: string, count: number): Promise<number> {
  const pg = await import('pg');
  const Client = pg.default?.Client ?? pg.Client;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Generated before the clock starts: the peer is the database's insert path, not our random numbers.
    await client.query("INSERT INTO tenant_numbers (tenant_id) VALUES ('copy-peer') ON CONFLICT DO NOTHING");
    const tenant = (await client.query<{ number: number }>("SELECT number FROM tenant_numbers WHERE tenant_id = 'copy-peer'")).rows[0]!.number;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`${tenant}\t\\\\x1220${randomBytes(32).toString('hex')}\n`);
    const text = lines.join('');
    const started = performance.now();
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock_shared($1)', [SUBMISSION_LOCK]);
    await pipeline(Readable.from([text]), client.query(copyFrom('COPY submissions (tenant_number, multihash) FROM STDIN')));
    await client.query('COMMIT');
    return count / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
  }
}
