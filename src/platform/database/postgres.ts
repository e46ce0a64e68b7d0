// PostgreSQL through a `pg` pool: the database for several replicas.
import { EventEmitter } from 'node:events';
import { assertChannelName, type Notifications } from './notifications';
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
  /** The leadership attempt under way, shared by whoever asks meanwhile. */
  let acquiringLeadership: Promise<boolean> | undefined;
  const notifications = postgresNotifications(() => new pg.Client({ connectionString: url }), (sql, params) => pool.query(sql, params).then(() => undefined));
  return {
    kind: 'postgres',
    listen: notifications.listen,
    notify: notifications.notify,
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
    async tryLeadership(lockKey: number) {
      if (leaderConnection) return true;
      // One attempt at a time: the notary and each chain's anchorer ask at once, and a second
      // connection asking while the first takes the lock would be told "no" by the process's own lock.
      acquiringLeadership ??= (async () => {
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
      })().finally(() => {
        acquiringLeadership = undefined;
      });
      return acquiringLeadership;
    },
    async close() {
      if (pool.ended) return;
      if (leaderConnection) {
        // Hand leadership over now rather than when the server notices the closed connection.
        await leaderConnection.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        leaderConnection.release();
        leaderConnection = undefined;
      }
      await notifications.close();
      await pool.end();
    },
  };
}

/** How long a dropped listening connection waits before it reconnects. */
const RELISTEN_DELAY_MS = 1_000;

/**
 * LISTEN on one dedicated connection (a pooled one would lose its subscriptions when returned),
 * reconnected after a failure with every channel listened to again. NOTIFY goes through the pool.
 */
function postgresNotifications(
  connect: () => import('pg').Client,
  query: (sql: string, params: unknown[]) => Promise<void>,
): Notifications & { close(): Promise<void> } {
  const hub = new EventEmitter();
  hub.setMaxListeners(0);
  /** Each channel listened to, with the LISTEN that started it. */
  const channels = new Map<string, Promise<void>>();
  let connection: Promise<import('pg').Client> | undefined;
  let closed = false;
  /** After a failed or dropped connection: listen again later, while anyone still listens. */
  const reopenLater = () => {
    if (!closed && channels.size > 0) setTimeout(() => void open().catch(() => undefined), RELISTEN_DELAY_MS).unref();
  };
  const open = (): Promise<import('pg').Client> => {
    connection ??= (async () => {
      const client = connect();
      client.on('notification', (message) => hub.emit(message.channel, message.payload ?? ''));
      const dropped = () => {
        if (connection === undefined) return;
        connection = undefined;
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        reopenLater();
      };
      client.on('error', dropped);
      client.on('end', dropped);
      await client.connect();
      for (const channel of channels.keys()) await client.query(`LISTEN "${channel}"`);
      return client;
    })();
    connection.catch(() => {
      connection = undefined;
      reopenLater();
    });
    return connection;
  };
  return {
    async listen(channel, onMessage) {
      assertChannelName(channel);
      hub.on(channel, onMessage);
      // A second subscriber to a channel waits for the first one's LISTEN: only then is it listening.
      let listening = channels.get(channel);
      if (!listening) {
        listening = open().then((client) => client.query(`LISTEN "${channel}"`)).then(() => undefined);
        channels.set(channel, listening);
        listening.catch(() => channels.delete(channel));
      }
      await listening;
      return async () => {
        hub.off(channel, onMessage);
      };
    },
    async notify(channel, payload) {
      assertChannelName(channel);
      await query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      closed = true;
      const client = await connection?.catch(() => undefined);
      connection = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
