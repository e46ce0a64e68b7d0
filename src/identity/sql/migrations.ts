// The schema of credentials: status lists and their versions, issued credentials' metadata,
// idempotency keys, presentation challenges, and the service's signing keys.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const IDENTITY_MIGRATIONS: FeatureMigrations = {
  feature: 'identity',
  migrations: [
    {
      version: 1,
      name: 'credentials, status lists, idempotency keys, presentation challenges',
      legacyVersion: 2,
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
      version: 2,
      name: 'no foreign keys to status_lists',
      legacyVersion: 3,
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
      version: 3,
      name: 'token status lists, status lists per signing key type, service signing keys',
      sql: `
      -- 'token': an IETF Token Status List (2 bits per credential: valid, invalid = revoked, suspended)
      -- for SD-JWT VCs; revocation and suspension lists stay W3C Bitstring Status Lists.
      ALTER TABLE status_lists DROP CONSTRAINT IF EXISTS status_lists_purpose_check;
      ALTER TABLE status_lists ADD CONSTRAINT status_lists_purpose_check CHECK (purpose IN ('revocation', 'suspension', 'token'));
      -- which of the service's keys signs the list: ES256K (did:ethr) or ES256 (did:web, the HTTPS issuer)
      ALTER TABLE status_lists ADD COLUMN signing_alg TEXT NOT NULL DEFAULT 'ES256K' CHECK (signing_alg IN ('ES256K', 'ES256'));
      DROP INDEX IF EXISTS status_lists_open;
      CREATE INDEX status_lists_open ON status_lists (purpose, signing_alg, created_at) WHERE NOT is_full;
      -- Every key the service signs with or has signed with: the public half (published beside the
      -- active one so that what it signed still verifies); private halves stay in files.
      CREATE TABLE service_keys (
        id TEXT PRIMARY KEY,
        alg TEXT NOT NULL CHECK (alg IN ('ES256K', 'ES256')),
        public_jwk JSONB NOT NULL,
        address TEXT,
        state TEXT NOT NULL CHECK (state IN ('active', 'retired')),
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        retired_at TIMESTAMPTZ
      );
      CREATE UNIQUE INDEX service_keys_one_active ON service_keys (alg) WHERE state = 'active';
    `,
    },
  ],
};
