// The schema of the notary: the durable submission queue and the sealed, anchored batches.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const NOTARIZATION_MIGRATIONS: FeatureMigrations = {
  feature: 'notarization',
  migrations: [
    {
      version: 1,
      name: 'submissions and batches',
      legacyVersion: 1,
      sql: `
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
      name: 'one (multihash, tenant) index for lookups and idempotency',
      legacyVersion: 4,
      sql: `
      -- Receipt lookups go by multihash; with the old (tenant, multihash) key, and no statistics in
      -- PGlite (no autovacuum), they walked the primary key. One index now serves both the lookup and
      -- ON CONFLICT (tenant_id, multihash), and inserts maintain one index fewer.
      CREATE UNIQUE INDEX submissions_multihash_tenant ON submissions (multihash, tenant_id);
      ALTER TABLE submissions DROP CONSTRAINT IF EXISTS submissions_tenant_id_multihash_key;
      DROP INDEX IF EXISTS submissions_by_multihash;
    `,
    },
    {
      version: 3,
      name: 'batches by seal time, for listing documents since a time',
      sql: `
      -- GET /v1/documents?since=T starts after the batches sealed before T (their documents were all
      -- acknowledged before it). One entry per batch, none per document.
      CREATE INDEX batches_by_sealed_at ON batches (sealed_at);
    `,
    },
    {
      version: 4,
      name: 'the roots of each batch\'s subtrees',
      sql: `
      -- batch-subtrees.ts: the first receipt of a large batch not in memory comes from one subtree.
      -- NULL for batches of one subtree or less, and for batches sealed before this column.
      ALTER TABLE batches ADD COLUMN subtrees BYTEA;
    `,
    },
    {
      version: 5,
      name: 'the transparency log: each batch\'s place in it and its commitment to the log before it',
      sql: `
      -- log_index orders the log of batch roots (docs/transparency-log.md); batches sealed before the log
      -- get their places in id order and no commitment.
      ALTER TABLE batches ADD COLUMN log_index BIGINT;
      UPDATE batches SET log_index = numbered.position
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS position FROM batches) numbered
        WHERE batches.id = numbered.id;
      ALTER TABLE batches ALTER COLUMN log_index SET NOT NULL;
      CREATE UNIQUE INDEX batches_by_log_index ON batches (log_index);
      -- The batch tree's last leaf (the checkpoint text of the log it extends) and that leaf's audit path.
      ALTER TABLE batches ADD COLUMN log_commitment BYTEA;
      ALTER TABLE batches ADD COLUMN log_commitment_path BYTEA;
    `,
    },
    {
      version: 6,
      name: 'one anchoring per batch and chain',
      sql: `
      -- Each chain anchors every batch at its own pace: the intended transaction and the anchoring live
      -- here, one row per (batch, chain). batches keeps status 'anchored' and the first confirmed
      -- anchoring (a receipt's v1 anchor); its tx_* columns are no longer written.
      CREATE TABLE batch_anchorings (
        batch_id BIGINT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        chain TEXT NOT NULL,
        contract TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'anchored')),
        tx_hash TEXT,
        tx_nonce BIGINT,
        raw_tx TEXT,
        tx_sent_at TIMESTAMPTZ,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        anchor_tx_hash TEXT,
        anchor_block_number BIGINT,
        anchor_block_hash TEXT,
        anchor_timestamp BIGINT,
        gas_used BIGINT,
        fee_wei NUMERIC,
        anchored_at TIMESTAMPTZ,
        PRIMARY KEY (batch_id, chain)
      );
      CREATE INDEX batch_anchorings_pending ON batch_anchorings (chain, batch_id) WHERE status = 'pending';
      CREATE INDEX batch_anchorings_anchored ON batch_anchorings (chain, batch_id) WHERE status = 'anchored';
      -- What the single chain of earlier versions did, as that chain's rows.
      INSERT INTO batch_anchorings (batch_id, chain, contract, status, tx_hash, tx_nonce, raw_tx, tx_sent_at, attempts,
          last_error, anchor_tx_hash, anchor_block_number, anchor_block_hash, anchor_timestamp, gas_used, fee_wei, anchored_at)
        SELECT b.id, COALESCE(b.anchor_chain, 'eip155:' || d.chain_id), COALESCE(b.anchor_contract, d.anchor_contract),
          CASE WHEN b.status = 'anchored' THEN 'anchored' ELSE 'pending' END, b.tx_hash, b.tx_nonce, b.raw_tx, b.tx_sent_at,
          b.attempts, b.last_error, b.anchor_tx_hash, b.anchor_block_number, b.anchor_block_hash, b.anchor_timestamp,
          b.gas_used, b.fee_wei, b.anchored_at
        FROM batches b JOIN deployment_binding d ON true;
    `,
    },
    {
      version: 7,
      name: 'compact submissions: an integer tenant, hash indexes, a BRIN index on seq',
      sql: `
      -- About 204 bytes a document became about 156 at a million (docs/performance.md, "Store bytes"):
      -- - the tenant is a 4-byte number (tenant_numbers holds the ids), 8 bytes less a row;
      -- - a hash index finds a document by multihash (20 bytes an entry against the B-tree's 52);
      -- - "once per tenant" is an exclusion constraint over a second hash index: a hash index cannot be
      --   UNIQUE, and the multihash is self-delimiting, so multihash || tenant number is unambiguous;
      -- - seq is indexed by BRIN (a few bytes per 16 pages): rows are appended in seq order, and every
      --   read by seq is a range. The store summarizes new ranges after each seal (PGlite has no
      --   autovacuum) and reads by seq with sequential scans off (notary-store.ts, readBySeq).
      -- The rows are copied in seq order into the new table, which then takes the old one's name and
      -- sequence: seq values, submission times, labels and references are unchanged. Writers wait
      -- meanwhile (a replica of the previous version still running): a row committed after the copy
      -- began would otherwise be dropped with the old table.
      LOCK TABLE submissions IN EXCLUSIVE MODE;
      CREATE TABLE tenant_numbers (number SERIAL PRIMARY KEY, tenant_id TEXT NOT NULL UNIQUE);
      INSERT INTO tenant_numbers (tenant_id) SELECT DISTINCT tenant_id FROM submissions ORDER BY tenant_id;
      CREATE TABLE submissions_compact (
        seq BIGINT NOT NULL DEFAULT nextval('submissions_seq_seq'),
        tenant_number INTEGER NOT NULL,
        multihash BYTEA NOT NULL,
        submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        label TEXT,
        external_ref TEXT
      );
      INSERT INTO submissions_compact (seq, tenant_number, multihash, submitted_at, label, external_ref)
        SELECT s.seq, t.number, s.multihash, s.submitted_at, s.label, s.external_ref
        FROM submissions s JOIN tenant_numbers t USING (tenant_id) ORDER BY s.seq;
      ALTER SEQUENCE submissions_seq_seq OWNED BY submissions_compact.seq;
      DROP TABLE submissions;
      ALTER TABLE submissions_compact RENAME TO submissions;
      CREATE INDEX submissions_by_seq ON submissions USING brin (seq) WITH (pages_per_range = 16);
      CREATE INDEX submissions_by_multihash ON submissions USING hash (multihash) WITH (fillfactor = 100);
      ALTER TABLE submissions ADD CONSTRAINT submissions_once_per_tenant
        EXCLUDE USING hash ((multihash || int4send(tenant_number)) WITH =) WITH (fillfactor = 100);
    `,
    },
  ],
};
