// Each feature's migrations applied once, and a database migrated by the former single global list
// (schema_migrations with versions 1 to 4) taken over without applying anything again.
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/platform/database/migrations';
import { openEmbeddedDatabase } from '../../../src/platform/database/pglite/embedded-database';
import type { SqlClient } from '../../../src/platform/database/sql-client';
import pg from 'pg';
import { SqlNotaryStore } from '../../../src/notarization/sql/notary-store';
import { openPostgresDatabase } from '../../../src/platform/database/postgres';
import { createTestDatabase, TEST_DATABASE_URL } from '../../helpers/postgres';
import { SERVICE_SCHEMA } from '../../../src/schema';
import { makeTempDir } from '../../helpers/service-process';

/** Features added after the split: a database migrated by the former global list has none of them. */
const ADDED_SINCE = ['deployment', 'timestamping', 'webhooks', 'wallets'];
/** The features and migrations there were when one global list held them all (those with a legacy number). */
const BEFORE_THE_SPLIT = SERVICE_SCHEMA.filter((feature) => !ADDED_SINCE.includes(feature.feature)).map((feature) => ({
  ...feature,
  migrations: feature.migrations.filter((migration) => migration.legacyVersion !== undefined),
}));
const ALL = ['access:1', 'deployment:1', 'deployment:2', 'deployment:3', 'identity:1', 'identity:2', 'identity:3', 'notarization:1', 'notarization:2', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'notarization:7', 'timestamping:1', 'wallets:1', 'webhooks:1'];

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
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'deployment:2', 'deployment:3', 'access:1', 'notarization:1', 'notarization:2', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'notarization:7', 'identity:1', 'identity:2', 'identity:3', 'timestamping:1', 'webhooks:1', 'wallets:1']);
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
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'deployment:2', 'deployment:3', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'notarization:7', 'identity:3', 'timestamping:1', 'webhooks:1', 'wallets:1']);
    expect(await history(db)).toEqual(ALL);
  });

  it('applies, after a takeover, only what the old history did not have', async () => {
    const db = await open();
    await migrate(db, BEFORE_THE_SPLIT.map((feature) => (feature.feature === 'notarization' ? { ...feature, migrations: feature.migrations.slice(0, 1) } : feature)));
    await db.exec(`DROP TABLE schema_migrations;
      CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      INSERT INTO schema_migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');`);
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['deployment:1', 'deployment:2', 'deployment:3', 'notarization:2', 'notarization:3', 'notarization:4', 'notarization:5', 'notarization:6', 'notarization:7', 'identity:3', 'timestamping:1', 'webhooks:1', 'wallets:1']);
  });

  it('keeps every submission, its number, tenant, time, label and uniqueness through the compaction (notarization:7)', async () => {
    const db = await open();
    await migrate(db, SERVICE_SCHEMA.map((feature) => (feature.feature === 'notarization' ? { ...feature, migrations: feature.migrations.slice(0, 6) } : feature)));
    const digest = (n: number) => Buffer.concat([Buffer.from([0x12, 0x20]), Buffer.alloc(31), Buffer.from([n])]);
    // Rows as version 6 stored them: text tenants, the same document for two tenants, a gap in seq.
    await db.query(
      `INSERT INTO submissions (seq, tenant_id, multihash, submitted_at, label, external_ref) VALUES
         (1, 'acme', $1, '2026-01-02T03:04:05.678Z', 'contract', 'ref-1'), (2, 'zeta', $1, '2026-01-02T03:04:06Z', NULL, NULL),
         (5, 'acme', $2, '2026-01-02T03:04:07Z', NULL, NULL)`,
      [digest(1), digest(2)],
    );
    await db.query("SELECT setval('submissions_seq_seq', 5)");
    expect(await migrate(db, SERVICE_SCHEMA)).toEqual(['notarization:7']);
    const store = new SqlNotaryStore(db);
    const found = await store.findSubmission(digest(1), 'acme');
    expect(found?.submission).toMatchObject({ seq: 1, tenantId: 'acme', label: 'contract', externalRef: 'ref-1', submittedAt: new Date('2026-01-02T03:04:05.678Z') });
    expect((await store.findSubmission(digest(1), 'zeta'))?.submission.seq).toBe(2);
    expect((await store.findSubmission(digest(2)))?.submission).toMatchObject({ seq: 5, tenantId: 'acme' });
    // Known documents come back as they were; a new one continues the sequence.
    const again = await store.insertTenantSubmissions([
      { tenantId: 'acme', multihash: digest(2) },
      { tenantId: 'zeta', multihash: digest(2) },
      { tenantId: 'acme', multihash: digest(1) },
    ]);
    expect(again.map((record) => [record.tenantId, record.existing])).toEqual([['acme', true], ['zeta', false], ['acme', true]]);
    expect([again[0]!.seq, again[2]!.seq]).toEqual([5, 1]);
    expect(again[1]!.seq).toBeGreaterThan(5);
    expect(await db.query('SELECT count(*)::int AS n FROM submissions')).toEqual([{ n: 4 }]);
    // The uniqueness is the database's own: a second row for (acme, document 1) is refused.
    await expect(db.query("INSERT INTO submissions (tenant_number, multihash) SELECT number, $1 FROM tenant_numbers WHERE tenant_id = 'acme'", [digest(1)])).rejects.toMatchObject({ code: '23P01' });
  });

  it.skipIf(!TEST_DATABASE_URL)('keeps a row that a replica of the previous version commits while the compaction runs (PostgreSQL)', async () => {
    const database = await createTestDatabase();
    const db = await openPostgresDatabase(database.url);
    const writer = new pg.Client({ connectionString: database.url });
    try {
      await migrate(db, SERVICE_SCHEMA.map((feature) => (feature.feature === 'notarization' ? { ...feature, migrations: feature.migrations.slice(0, 6) } : feature)));
      const digest = Buffer.concat([Buffer.from([0x12, 0x20]), Buffer.alloc(32, 7)]);
      // A version-6 insert in flight: the compaction must wait for it and copy it, not drop it.
      await writer.connect();
      await writer.query('BEGIN');
      await writer.query("INSERT INTO submissions (tenant_id, multihash) VALUES ('acme', $1)", [digest]);
      const migrating = migrate(db, SERVICE_SCHEMA);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await writer.query('COMMIT');
      expect(await migrating).toEqual(['notarization:7']);
      expect((await new SqlNotaryStore(db).findSubmission(digest, 'acme'))?.submission.seq).toBe(1);
    } finally {
      await writer.end();
      await db.close();
      await database.drop();
    }
  });
});
