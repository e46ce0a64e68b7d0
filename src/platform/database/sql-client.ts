// The one seam between the store's SQL and a database driver: embedded PGlite or PostgreSQL via `pg`.
// Both speak the same SQL with $1 parameters, so a single store implementation serves both.
import fs from 'node:fs';
import path from 'node:path';
import { acquireDirectoryLock } from '../directory-lock';
import { openPGliteThread, type PGliteThread } from './pglite/pglite-thread';

export type SqlRow = Record<string, unknown>;

/**
 * What a transaction fails with when its COMMIT answered ROLLBACK: a statement in it failed and the
 * error was caught. Without it the caller would believe lost writes committed.
 */
export function commitRolledBackError(): Error {
  return Object.assign(new Error('the transaction was rolled back: a statement in it had failed'), { code: '25P02' });
}

/** What the store needs from a connection: parameterised queries and transactions. */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface SqlClient extends SqlExecutor {
  /** Runs `work` in one transaction (READ COMMITTED), committing on success and rolling back on error. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
  /** Called once the schema is up to date (after migrations): storage tuning that needs the tables. */
  afterMigrations(): Promise<void>;
  /**
   * Tries to become the one process that seals and anchors (a session advisory lock held on a
   * dedicated connection until close). Always true for the single-process embedded database.
   */
  tryLeadership(lockKey: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the embedded PGlite database kept in `<dataDir>/db`, run in a worker thread so that its
 * WebAssembly never blocks the event loop. Single process: guarded by a lock file.
 */
export async function openEmbeddedDatabase(dataDir: string, options: { cacheBytes?: number } = {}): Promise<SqlClient> {
  const dbDir = path.join(dataDir, 'db');
  fs.mkdirSync(dbDir, { recursive: true });
  // PGlite is one process's database: a second process opening the same directory would corrupt it.
  const releaseLock = acquireDirectoryLock(path.join(dataDir, 'db.lock'), 'the embedded database');
  let db: PGliteThread;
  try {
    db = await openPGliteThread(dbDir, options);
  } catch (error) {
    releaseLock();
    throw error;
  }
  return {
    kind: 'pglite',
    query: (sql, params) => db.query(sql, params),
    transaction: (work) => db.transaction(work),
    exec: (sql) => db.exec(sql),
    async afterMigrations() {
      await db.ensureFreeSpaceMaps();
    },
    async tryLeadership() {
      return true;
    },
    async close() {
      try {
        await db.close();
      } finally {
        releaseLock();
      }
    },
  };
}

/** Connects to PostgreSQL with a pool; safe for many replicas sharing one database. */
export async function openPostgresDatabase(url: string, poolSize = 10): Promise<SqlClient> {
  const pg = await import('pg');
  const Pool = pg.default?.Pool ?? pg.Pool;
  const types = pg.default?.types ?? pg.types;
  // int8 (sequence numbers, block numbers) as JS numbers: they stay far below 2^53.
  types.setTypeParser(20, (value: string) => Number(value));
  const pool = new Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => {
    /* idle client errors are reported on the next query */
  });
  await pool.query('SELECT 1');
  let leaderConnection: import('pg').PoolClient | undefined;
  return {
    kind: 'postgres',
    async query<Row extends SqlRow>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as Row[];
    },
    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          async query<Row extends SqlRow>(sql: string, params?: unknown[]) {
            return (await client.query(sql, params)).rows as Row[];
          },
        });
        if ((await client.query('COMMIT')).command === 'ROLLBACK') throw commitRolledBackError();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async afterMigrations() {
      /* nothing: a native server probes a missing fork in microseconds (see pglite-worker.ts) */
    },
    async tryLeadership(lockKey: number) {
      if (leaderConnection) return true;
      const client = await pool.connect();
      try {
        const rows = (await client.query('SELECT pg_try_advisory_lock($1) AS ok', [lockKey])).rows as Array<{ ok: boolean }>;
        if (rows[0]?.ok) {
          // Held for the life of this connection: if the process dies, PostgreSQL releases it.
          leaderConnection = client;
          client.on('error', () => {
            leaderConnection = undefined;
          });
          return true;
        }
      } catch {
        /* not leader this time */
      }
      client.release();
      return false;
    },
    async close() {
      if (pool.ended) return;
      if (leaderConnection) {
        // Hand leadership over now rather than when the server notices the closed connection.
        await leaderConnection.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        leaderConnection.release();
        leaderConnection = undefined;
      }
      await pool.end();
    },
  };
}
