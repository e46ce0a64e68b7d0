// The schema of the wallet protocols (OpenID4VCI, OpenID4VP): credential offers with their
// pre-authorized codes, the c_nonces of the nonce endpoint, and presentation requests. Every row is
// single-use: a statement `UPDATE … WHERE <used> IS NULL` claims it, so one replica wins a race.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const WALLET_MIGRATIONS: FeatureMigrations = {
  feature: 'wallets',
  migrations: [
    {
      version: 1,
      name: 'credential offers, c_nonces and presentation requests',
      sql: `
      CREATE TABLE wallet_credential_offers (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        configuration_id TEXT NOT NULL,
        -- what the credential will hold (claims, disclosable paths, validity), without the holder key
        credential JSONB NOT NULL,
        -- SHA-256 (hex) of the pre-authorized code and of the transaction code: never kept in clear
        code_hash TEXT NOT NULL UNIQUE,
        tx_code_hash TEXT,
        tx_code_failures INTEGER NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        -- the token endpoint redeemed the code (once)
        redeemed_at TIMESTAMPTZ,
        -- the credential endpoint issued the credential (once), and which
        issued_at TIMESTAMPTZ,
        credential_id TEXT
      );
      CREATE INDEX wallet_credential_offers_by_tenant ON wallet_credential_offers (tenant_id, created_at);
      CREATE INDEX wallet_credential_offers_by_expiry ON wallet_credential_offers (expires_at);

      CREATE TABLE wallet_nonces (
        nonce TEXT PRIMARY KEY,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      );
      CREATE INDEX wallet_nonces_by_expiry ON wallet_nonces (expires_at);

      CREATE TABLE wallet_presentation_requests (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        dcql_query JSONB NOT NULL,
        purpose TEXT NOT NULL,
        -- the nonce the wallet signs into its presentation (a presentation challenge of the identity feature)
        nonce TEXT NOT NULL,
        -- the signed request object the wallet fetches by reference
        request_object TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        -- answered (once): verified or failed, with the verified claims or the reason
        answered_at TIMESTAMPTZ,
        status TEXT NOT NULL DEFAULT 'pending',
        result JSONB
      );
      CREATE INDEX wallet_presentation_requests_by_expiry ON wallet_presentation_requests (expires_at);
      `,
    },
  ],
};
