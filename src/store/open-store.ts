// Chooses the store from the configuration: PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise.
import { migrate } from './migrations';
import { openEmbeddedDatabase, openPostgresDatabase } from './sql-client';
import { SqlStore } from './store';

/** Opens and migrates the configured store. */
export async function openStore(options: { dataDir: string; databaseUrl?: string }): Promise<SqlStore> {
  const db = options.databaseUrl
    ? await openPostgresDatabase(options.databaseUrl)
    : await openEmbeddedDatabase(options.dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return new SqlStore(db);
}
