// Chooses the database from the configuration: PostgreSQL when DATABASE_URL is set, the embedded
// PGlite in the data directory otherwise; opened and migrated before anyone uses it.
import { migrate, type FeatureMigrations } from './migrations';
import { openEmbeddedDatabase } from './pglite/embedded-database';
import { openPostgresDatabase } from './postgres';
import type { SqlClient } from './sql-client';

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string;
  /** Page cache of the embedded database (EMBEDDED_DB_CACHE); absent → PGlite's 128 MB, cheap for tests and tools. */
  embeddedCacheBytes?: number;
}

/** Opens the configured database and brings every feature's schema up to date. */
export async function openDatabase(options: DatabaseOptions, schema: readonly FeatureMigrations[]): Promise<SqlClient> {
  const db = options.databaseUrl
    ? await openPostgresDatabase(options.databaseUrl)
    : await openEmbeddedDatabase(options.dataDir, { cacheBytes: options.embeddedCacheBytes });
  try {
    await migrate(db, schema);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
