// Each feature's migrations applied once, and a database migrated by the former single global list
// (schema_migrations with versions 1 to 4) taken over without applying anything again.
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/platform/database/migrations';
import { openEmbeddedDatabase } from '../../../src/platform/database/pglite/embedded-database';
import type { SqlClient } from '../../../src/platform/database/sql-client';
import { SERVICE_SCHEMA } from '../../../src/schema';
import { makeTempDir } from '../../helpers/service-process';

/** Features added after the split: a database migrated by the former global list has none of them. */
const ADDED_SINCE = ['deployment', 'timestamping', 'webhooks', 'wallets'];
/** The features and migrations there were when one global list held them all (those with a legacy number). */
const BEFORE_THE_SPLIT = SERVICE_SCHEMA.filter((feature) => !ADDED_SINCE.includes(feature.feature)).map((feature) => ({
  ...feature,
  migrations: feature.migrations.filter((migration) => migration.legacyVersion !== undefined),
}));
const ALL = ['access:1', 'deployment:1', 'deployment:2', 'deployment:3', 'identity:1', 'identity:2', 'identity:3', 'notarization:1', 'notarization:2', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'timestamping:1', 'wallets:1', 'webhooks:1'];

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
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'deployment:2', 'deployment:3', 'access:1', 'notarization:1', 'notarization:2', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'identity:1', 'identity:2', 'identity:3', 'timestamping:1', 'webhooks:1', 'wallets:1']);
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual([]);
    expect(await history(db)).toEqual(ALL);
  });

  it('takes over the history of a database migrated by the former global list', async () => {
    const db = await open();
    await migrate(db, BEFORE_THE_SPLIT);
    // What a database migrated before the split holds: the same tables, and versions 1 to 4.
    await db.exec(`DROP TABLE schema_migrations;
      CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      INSERT INTO schema_migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');`);
    // Only what came after the split is new: the deployment binding, listing by seal time, batch subtrees, the log and the per-chain anchorings, identity's signing keys and token lists, time stamps, webhooks, wallets.
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'deployment:2', 'deployment:3', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'identity:3', 'timestamping:1', 'webhooks:1', 'wallets:1']);
    expect(await history(db)).toEqual(ALL);
  });

  it('applies, after a takeover, only what the old history did not have', async () => {
    const db = await open();
    await migrate(db, BEFORE_THE_SPLIT.map((feature) => (feature.feature === 'notarization' ? { ...feature, migrations: feature.migrations.slice(0, 1) } : feature)));
    await db.exec(`DROP TABLE schema_migrations;
      CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      INSERT INTO schema_migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');`);
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'deployment:2', 'deployment:3', 'notarization:2', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'identity:3', 'timestamping:1', 'webhooks:1', 'wallets:1']);
  });
});
