// PostgreSQL through a `pg` pool: the database for several replicas.
import { commitRolledBackError, type SqlClient, type SqlExecutor, type SqlRow } from './sql-client';

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
