// The schema of the time-stamp authority: the serial-number counter its replicas share, and the
// certificate it signs with, so that replicas that would sign with different ones notice.
import type { FeatureMigrations } from '../../platform/database/migrations';

export const TIMESTAMPING_MIGRATIONS: FeatureMigrations = {
  feature: 'timestamping',
  migrations: [
    {
      version: 1,
      name: 'serial numbers and signing certificate',
      sql: `
      -- One row: the next serial number no process has reserved yet (serial-numbers.ts).
      CREATE TABLE tsa_serial_counter (
        singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
        next_serial BIGINT NOT NULL CHECK (next_serial > 0)
      );
      INSERT INTO tsa_serial_counter (next_serial) VALUES (1);
      -- One row: the SHA-256 of the TSA certificate the replicas sign with.
      CREATE TABLE tsa_signing_certificate (
        singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
        certificate_sha256 BYTEA NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
    },
  ],
};
