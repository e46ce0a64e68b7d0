// Each feature's migrations applied once, and a database migrated by the former single global list
// (schema_migrations with versions 1 to 4) taken over without applying anything again.
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/platform/database/migrations';
import { openEmbeddedDatabase } from '../../../src/platform/database/pglite/embedded-database';
import type { SqlClient } from '../../../src/platform/database/sql-client';
import { SERVICE_SCHEMA } from '../../../src/schema';
import { makeTempDir } from '../../helpers/service-process';

/** What a database migrated by the former global list has: the migrations it numbered (legacyVersion), no feature added since. */
const BEFORE_THE_SPLIT = SERVICE_SCHEMA.filter((feature) => feature.feature !== 'deployment').map((feature) => ({
  ...feature,
  migrations: feature.migrations.filter((migration) => migration.legacyVersion !== undefined),
}));

describe('feature migrations', () => {
  const opened: SqlClient[] = [];
  afterAll(async () => {
    for (const db of opened) await db.close();
  });
  const open = async () => {
    const db = await openEmbeddedDatabase(makeTempDir('did-notary-migrations-'));
    opened.push(db);
    return db;
  };
  const history = async (db: SqlClient) =>
    (await db.query<{ feature: string; version: number }>('SELECT feature, version FROM schema_migrations ORDER BY feature, version')).map((r) => `${r.feature}:${r.version}`);

  it('applies every feature\'s migrations once, in order', async () => {
    const db = await open();
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'access:1', 'notarization:1', 'notarization:2', 'identity:1', 'identity:2', 'identity:3']);
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual([]);
    expect(await history(db)).toEqual(['access:1', 'deployment:1', 'identity:1', 'identity:2', 'identity:3', 'notarization:1', 'notarization:2']);
  });

  it('takes over the history of a database migrated by the former global list', async () => {
    const db = await open();
    await migrate(db, BEFORE_THE_SPLIT);
    // What a database migrated before the split holds: the same tables, and versions 1 to 4.
    await db.exec(`DROP TABLE schema_migrations;
      CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      INSERT INTO schema_migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');`);
    // Only what came after the split is new: the deployment binding, identity's signing keys and token lists.
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'identity:3']);
    expect(await history(db)).toEqual(['access:1', 'deployment:1', 'identity:1', 'identity:2', 'identity:3', 'notarization:1', 'notarization:2']);
  });

  it('applies, after a takeover, only what the old history did not have', async () => {
    const db = await open();
    await migrate(db, BEFORE_THE_SPLIT.map((feature) => (feature.feature === 'notarization' ? { ...feature, migrations: feature.migrations.slice(0, 1) } : feature)));
    await db.exec(`DROP TABLE schema_migrations;
      CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      INSERT INTO schema_migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');`);
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'notarization:2', 'identity:3']);
  });
});
