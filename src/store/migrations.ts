// Versioned schema migrations, applied in order at start; the same SQL runs on PGlite and PostgreSQL.
import type { SqlClient } from './sql-client';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tenants, api keys, submissions, batches',
    sql: `
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants (id),
        key_hash BYTEA NOT NULL UNIQUE,
        scopes TEXT[] NOT NULL,
        label TEXT,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        revoked_at TIMESTAMPTZ
      );
      -- The durable queue: one row per (tenant, document). A batch covers a contiguous seq range.
      CREATE TABLE submissions (
        seq BIGSERIAL PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        multihash BYTEA NOT NULL,
        submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        label TEXT,
        external_ref TEXT,
        UNIQUE (tenant_id, multihash)
      );
      CREATE INDEX submissions_by_multihash ON submissions (multihash);
      CREATE TABLE batches (
        id BIGSERIAL PRIMARY KEY,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL UNIQUE,
        tree_size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        sealed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        status TEXT NOT NULL CHECK (status IN ('sealed', 'anchored')),
        -- the intended transaction, recorded before it is broadcast (crash-safe anchoring)
        tx_hash TEXT,
        tx_nonce BIGINT,
        raw_tx TEXT,
        tx_sent_at TIMESTAMPTZ,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        -- the anchoring as the chain records it
        anchor_chain TEXT,
        anchor_contract TEXT,
        anchor_tx_hash TEXT,
        anchor_block_number BIGINT,
        anchor_block_hash TEXT,
        anchor_timestamp BIGINT,
        gas_used BIGINT,
        fee_wei NUMERIC,
        anchored_at TIMESTAMPTZ
      );
      CREATE INDEX batches_by_root ON batches (root);
      CREATE INDEX batches_unanchored ON batches (id) WHERE status <> 'anchored';
    `,
  },
];

/** Brings the schema up to date; concurrent replicas serialise on an advisory lock. */
export async function migrate(db: SqlClient): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7310001)');
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const applied = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
    );
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      done.push(migration.version);
    }
    return done;
  });
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s !== '');
}
