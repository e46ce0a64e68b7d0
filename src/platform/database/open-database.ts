// Chooses the store from the configuration: PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise.
import { migrate } from './migrations';
import { openEmbeddedDatabase, openPostgresDatabase } from './sql-client';
import { SqlStore } from '../../notarization/sql/notary-store';

/**
 * Opens and migrates the configured store. `embeddedCacheBytes` sizes the embedded database's page
 * cache (the service passes EMBEDDED_DB_CACHE; absent → PGlite's 128 MB, cheap for tests and tools).
 */
export async function openStore(options: { dataDir: string; databaseUrl?: string; embeddedCacheBytes?: number }): Promise<SqlStore> {
  const db = options.databaseUrl
    ? await openPostgresDatabase(options.databaseUrl)
    : await openEmbeddedDatabase(options.dataDir, { cacheBytes: options.embeddedCacheBytes });
  try {
    await migrate(db);
    await db.afterMigrations();
  } catch (error) {
    await db.close();
    throw error;
  }
  return new SqlStore(db);
}
