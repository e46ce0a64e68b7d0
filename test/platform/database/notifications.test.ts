// Notifications between the processes on one database: PostgreSQL's LISTEN/NOTIFY between two
// connections as two replicas hold them, and the embedded database's in-process bus; a listening
// connection that the server drops comes back and listens again.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase } from '../../../src/platform/database/open-database';
import type { SqlClient } from '../../../src/platform/database/sql-client';
import { createTestDatabase, TEST_DATABASE_URL } from '../../helpers/postgres';
import { makeTempDir } from '../../helpers/service-process';

function nextMessage(db: SqlClient, channel: string): Promise<string> {
  return new Promise((resolve, reject) => {
    db.listen(channel, resolve).catch(reject);
  });
}

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('notifications', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('reach listeners in the same process on the embedded database, never synchronously', async () => {
    const db = await openDatabase({ dataDir: makeTempDir('did-notary-notify-') }, []);
    cleanups.push(() => db.close());
    const received: string[] = [];
    await db.listen('test_channel', (payload) => received.push(payload));
    await db.notify('test_channel', 'k1');
    expect(received).toEqual([]);
    await waitFor(() => received.length === 1);
    expect(received).toEqual(['k1']);
    await expect(db.notify('Bad-Channel', 'x')).rejects.toThrow(/channel name/);
  });

  it.skipIf(!TEST_DATABASE_URL)('reach another replica on PostgreSQL, also after its listening connection was dropped', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const [first, second] = await Promise.all([openDatabase({ dataDir: '/nonexistent', databaseUrl: database.url }, []), openDatabase({ dataDir: '/nonexistent', databaseUrl: database.url }, [])]);
    cleanups.push(() => first.close(), () => second.close());
    const message = nextMessage(second, 'key_revoked');
    // listen() resolves once LISTEN ran: wait for it through a second subscription on the same channel.
    const received: string[] = [];
    await second.listen('key_revoked', (payload) => received.push(payload));
    await first.notify('key_revoked', 'key-7');
    expect(await message).toBe('key-7');
    await waitFor(() => received.length === 1);

    // The server drops the listening connection: it reconnects and listens again.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const terminated = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      );
      expect(terminated.rowCount).toBeGreaterThanOrEqual(1);
      // Until it listens again, notifications are missed (the fallback is the key cache's TTL).
      for (let attempt = 0; attempt < 100 && received.length < 2; attempt++) {
        await first.notify('key_revoked', `key-8`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(received.at(-1)).toBe('key-8');
    } finally {
      await admin.end();
    }
  }, 30_000);
});
