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
  {
    version: 2,
    name: 'credentials, status lists, idempotency keys, presentation challenges',
    sql: `
      -- W3C Bitstring Status Lists: one list per purpose; the signed VC-JWT of the latest version.
      CREATE TABLE status_lists (
        id TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
        url TEXT NOT NULL,
        length INTEGER NOT NULL,
        is_full BOOLEAN NOT NULL DEFAULT false,
        version INTEGER NOT NULL,
        jwt TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX status_lists_open ON status_lists (purpose, created_at) WHERE NOT is_full;
      -- every published version (its SHA-256 is notarized): the revocation history
      CREATE TABLE status_list_versions (
        list_id TEXT NOT NULL REFERENCES status_lists (id),
        version INTEGER NOT NULL,
        jwt TEXT NOT NULL,
        sha256 BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (list_id, version)
      );
      -- allocated indices, chosen at random and never reused
      CREATE TABLE status_list_entries (
        list_id TEXT NOT NULL REFERENCES status_lists (id),
        entry_index INTEGER NOT NULL,
        PRIMARY KEY (list_id, entry_index)
      );
      -- issued credentials: metadata and the JWT's hash, never the claims
      CREATE TABLE issued_credentials (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        types TEXT[] NOT NULL,
        jwt_sha256 BYTEA NOT NULL,
        issued_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ,
        revocation_list TEXT NOT NULL REFERENCES status_lists (id),
        revocation_index INTEGER NOT NULL,
        suspension_list TEXT NOT NULL REFERENCES status_lists (id),
        suspension_index INTEGER NOT NULL,
        revoked_at TIMESTAMPTZ,
        suspended_at TIMESTAMPTZ
      );
      CREATE INDEX issued_credentials_revoked ON issued_credentials (revocation_list) WHERE revoked_at IS NOT NULL;
      CREATE INDEX issued_credentials_suspended ON issued_credentials (suspension_list) WHERE suspended_at IS NOT NULL;
      CREATE INDEX issued_credentials_by_tenant ON issued_credentials (tenant_id, issued_at);
      -- Idempotency-Key of POST /v1/credentials: same tenant and key, same response
      CREATE TABLE credential_idempotency (
        tenant_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_sha256 BYTEA NOT NULL,
        response JSONB,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, idempotency_key)
      );
      -- single-use presentation nonces
      CREATE TABLE presentation_challenges (
        nonce TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        domain TEXT,
        expires_at TIMESTAMPTZ NOT NULL,
        consumed_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX presentation_challenges_expiry ON presentation_challenges (expires_at);
    `,
  },
  {
    version: 3,
    name: 'no foreign keys to status_lists',
    sql: `
      -- Each foreign-key check locked the shared status list row (FOR KEY SHARE), which serialised
      -- issuance and made it 2.5 times slower; the code writes list ids it has just read or created.
      ALTER TABLE status_list_versions DROP CONSTRAINT IF EXISTS status_list_versions_list_id_fkey;
      ALTER TABLE status_list_entries DROP CONSTRAINT IF EXISTS status_list_entries_list_id_fkey;
      ALTER TABLE issued_credentials DROP CONSTRAINT IF EXISTS issued_credentials_revocation_list_fkey;
      ALTER TABLE issued_credentials DROP CONSTRAINT IF EXISTS issued_credentials_suspension_list_fkey;
    `,
  },
  {
    version: 4,
    name: 'one (multihash, tenant) index for lookups and idempotency',
    sql: `
      -- Receipt lookups go by multihash; with the old (tenant, multihash) key, and no statistics in
      -- PGlite (no autovacuum), they walked the primary key. One index now serves both the lookup and
      -- ON CONFLICT (tenant_id, multihash), and inserts maintain one index fewer.
      CREATE UNIQUE INDEX submissions_multihash_tenant ON submissions (multihash, tenant_id);
      ALTER TABLE submissions DROP CONSTRAINT IF EXISTS submissions_tenant_id_multihash_key;
      DROP INDEX IF EXISTS submissions_by_multihash;
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
