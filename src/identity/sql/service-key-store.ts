// SQL of the service's signing keys: the public half of every key it signs or signed with, and which one
// of each algorithm is active. Replicas read the same rows, so they publish the same keys.
import type { SqlClient, SqlExecutor, SqlRow } from '../../platform/database/sql-client';

export type SigningAlgorithm = 'ES256K' | 'ES256';

export interface ServiceKeyRecord {
  id: string;
  alg: SigningAlgorithm;
  publicJwk: Record<string, string>;
  /** ES256K keys: the 0x address. */
  address: string | null;
  state: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
}

export class ServiceKeyStore {
  constructor(readonly db: SqlClient) {}

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Every key, oldest first. */
  async list(executor: SqlExecutor = this.db): Promise<ServiceKeyRecord[]> {
    const rows = await executor.query('SELECT id, alg, public_jwk, address, state, created_at, retired_at FROM service_keys ORDER BY created_at, id');
    return rows.map(toRecord);
  }

  /**
   * Records `key` as the active key of its algorithm unless one is active already (another replica
   * was first): returns whether it was recorded.
   */
  async insertFirstActive(key: Omit<ServiceKeyRecord, 'state' | 'createdAt' | 'retiredAt'>): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO service_keys (id, alg, public_jwk, address, state) VALUES ($1, $2, $3::jsonb, $4, 'active')
       ON CONFLICT DO NOTHING RETURNING id`,
      [key.id, key.alg, JSON.stringify(key.publicJwk), key.address],
    );
    return rows.length > 0;
  }

  /** Retires the active key of `alg` and makes `key` active, in `tx` (the caller holds the rotation lock). */
  async rotate(tx: SqlExecutor, key: Omit<ServiceKeyRecord, 'state' | 'createdAt' | 'retiredAt'>): Promise<void> {
    await tx.query(`UPDATE service_keys SET state = 'retired', retired_at = now() WHERE alg = $1 AND state = 'active'`, [key.alg]);
    await tx.query(
      `INSERT INTO service_keys (id, alg, public_jwk, address, state) VALUES ($1, $2, $3::jsonb, $4, 'active')
       ON CONFLICT (id) DO UPDATE SET state = 'active', retired_at = NULL`,
      [key.id, key.alg, JSON.stringify(key.publicJwk), key.address],
    );
  }
}

function toRecord(row: SqlRow): ServiceKeyRecord {
  const jwk = typeof row.public_jwk === 'string' ? (JSON.parse(row.public_jwk) as Record<string, string>) : (row.public_jwk as Record<string, string>);
  return {
    id: String(row.id),
    alg: row.alg as SigningAlgorithm,
    publicJwk: jwk,
    address: row.address === null || row.address === undefined ? null : String(row.address),
    state: row.state as ServiceKeyRecord['state'],
    createdAt: row.created_at as Date,
    retiredAt: (row.retired_at as Date | null) ?? null,
  };
}
