// The embedded database: PGlite in a worker thread, its files in `<dataDir>/db`, one process at a time.
import fs from 'node:fs';
import path from 'node:path';
import { acquireDirectoryLock } from '../../directory-lock';
import { inProcessNotifications } from '../notifications';
import type { SqlClient } from '../sql-client';
import { openPGliteThread, type PGliteThread } from './pglite-thread';

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
    ...inProcessNotifications(),
    query: (sql, params) => db.query(sql, params),
    transaction: (work) => db.transaction(work),
    exec: (sql) => db.exec(sql),
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
