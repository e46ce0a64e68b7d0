// The schema of tenants and API keys.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const ACCESS_MIGRATIONS: FeatureMigrations = {
  feature: 'access',
  migrations: [
    {
      version: 1,
      name: 'tenants and api keys',
      legacyVersion: 1,
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
    `,
    },
  ],
};
