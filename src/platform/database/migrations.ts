// Versioned schema migrations, each feature with its own (access, notarization, identity…): applied in
// order at start, the same SQL on PGlite and PostgreSQL. A feature's tables and their history live
// beside its SQL; this runner only knows how to apply them once.
import type { SqlClient, SqlExecutor } from './sql-client';

export interface Migration {
  /** Counts up from 1 within the feature. */
  version: number;
  name: string;
  sql: string;
  /**
   * The number this migration had when one global list held every feature's migrations (until
   * 2026-12): a database migrated then records only that number.
   */
  legacyVersion?: number;
}

/** One feature's migrations, in order. */
export interface FeatureMigrations {
  feature: string;
  migrations: readonly Migration[];
}

const MIGRATION_LOCK = 7310001;

/**
 * Brings the schema up to date with every feature's migrations; concurrent replicas serialise on an
 * advisory lock. Returns what it applied as `feature:version`.
 */
export async function migrate(db: SqlClient, features: readonly FeatureMigrations[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         feature TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (feature, version))`,
    );
    await convertLegacyHistory(tx, features);
    const applied = new Set(
      (await tx.query<{ feature: string; version: number }>('SELECT feature, version FROM schema_migrations')).map((r) => `${r.feature}:${Number(r.version)}`),
    );
    const done: string[] = [];
    for (const { feature, migrations } of features) {
      for (const migration of migrations) {
        const key = `${feature}:${migration.version}`;
        if (applied.has(key)) continue;
        for (const statement of splitStatements(migration.sql)) await tx.query(statement);
        await tx.query('INSERT INTO schema_migrations (feature, version, name) VALUES ($1, $2, $3)', [feature, migration.version, migration.name]);
        done.push(key);
      }
    }
    return done;
  });
}

/**
 * A database migrated by the one global list has `schema_migrations (version, name, applied_at)`:
 * its rows become the feature migrations that replaced them, in the table of today's shape.
 */
async function convertLegacyHistory(tx: SqlExecutor, features: readonly FeatureMigrations[]): Promise<void> {
  const columns = await tx.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`,
  );
  if (columns.some((column) => column.column_name === 'feature')) return;
  const legacy = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  await tx.query('ALTER TABLE schema_migrations RENAME TO schema_migrations_legacy');
  await tx.query(
    `CREATE TABLE schema_migrations (
       feature TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
       applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (feature, version))`,
  );
  for (const { feature, migrations } of features) {
    for (const migration of migrations) {
      if (migration.legacyVersion !== undefined && legacy.has(migration.legacyVersion)) {
        await tx.query('INSERT INTO schema_migrations (feature, version, name) VALUES ($1, $2, $3)', [feature, migration.version, migration.name]);
      }
    }
  }
  await tx.query('DROP TABLE schema_migrations_legacy');
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s !== '');
}
