// The schema of the deployment binding: one row, written at the first start on a database.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const DEPLOYMENT_MIGRATIONS: FeatureMigrations = {
  feature: 'deployment',
  migrations: [
    {
      version: 1,
      name: 'deployment binding',
      sql: `
      CREATE TABLE deployment_binding (
        singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
        chain_id BIGINT NOT NULL,
        chain_instance TEXT NOT NULL,
        anchor_contract TEXT NOT NULL,
        did_registry TEXT NOT NULL,
        service_did TEXT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
    },
    {
      version: 2,
      name: 'the transparency log of the deployment',
      sql: `
      -- The log's origin and public key, recorded at the first start that has a log: a log keeps its
      -- name and key for life, or its checkpoints and commitments stop matching.
      ALTER TABLE deployment_binding ADD COLUMN log_origin TEXT;
      ALTER TABLE deployment_binding ADD COLUMN log_public_key TEXT;
    `,
    },
    {
      version: 3,
      name: 'the extra anchoring chains of the deployment',
      sql: `
      -- Chains the deployment anchors on besides the primary one (deployment_binding's), each from the
      -- log place it joined at: replicas must agree on the list, as on the primary chain.
      CREATE TABLE deployment_chains (
        chain TEXT PRIMARY KEY,
        chain_instance TEXT NOT NULL,
        anchor_contract TEXT NOT NULL,
        first_log_index BIGINT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
    },
  ],
};
