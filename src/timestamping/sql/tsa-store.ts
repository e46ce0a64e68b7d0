// The time-stamp authority's rows in SQL (PGlite or PostgreSQL): serial-number blocks and the
// signing certificate replicas share.
import type { SqlExecutor } from '../../platform/database/sql-client';
import type { SerialBlockSource } from '../serial-numbers';

/** Serial-number blocks from the one counter row: its row lock orders concurrent replicas. */
export class SqlSerialBlocks implements SerialBlockSource {
  constructor(private readonly db: SqlExecutor) {}

  async reserveBlock(size: number): Promise<bigint> {
    const rows = await this.db.query<{ first: string | number }>(
      'UPDATE tsa_serial_counter SET next_serial = next_serial + $1 RETURNING next_serial - $1 AS first',
      [size],
    );
    if (rows.length !== 1) throw new Error('tsa_serial_counter has no row: the timestamping migration did not run');
    return BigInt(rows[0]!.first);
  }
}

/**
 * Records the SHA-256 of the certificate this replica signs with, and returns the one recorded before
 * when it differs (null: the same, or the first record). `replace` makes this one the record.
 */
export async function recordSigningCertificate(db: SqlExecutor, sha256: Uint8Array, replace: boolean): Promise<Uint8Array | null> {
  const inserted = await db.query('INSERT INTO tsa_signing_certificate (certificate_sha256) VALUES ($1) ON CONFLICT (singleton) DO NOTHING RETURNING singleton', [sha256]);
  if (inserted.length === 1) return null;
  const rows = await db.query<{ certificate_sha256: Uint8Array }>('SELECT certificate_sha256 FROM tsa_signing_certificate');
  const recorded = new Uint8Array(rows[0]!.certificate_sha256);
  if (Buffer.from(recorded).equals(Buffer.from(sha256))) return null;
  if (replace) await db.query('UPDATE tsa_signing_certificate SET certificate_sha256 = $1, recorded_at = now()', [sha256]);
  return recorded;
}
