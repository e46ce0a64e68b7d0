// Tenants and API keys in SQL (PGlite or PostgreSQL): the ApiKeyStore of api-keys.ts.
import type { SqlExecutor } from '../../platform/database/sql-client';
import type { ApiKeyRecord, ApiKeyStore, Scope } from '../api-keys';

const KEY_COLUMNS = 'id, tenant_id, scopes, label, created_at, revoked_at';

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: SqlExecutor) {}

  async insertApiKey(key: { id: string; tenantId: string; keyHash: Uint8Array; scopes: Scope[]; label?: string }): Promise<ApiKeyRecord> {
    await this.db.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [key.tenantId]);
    const rows = await this.db.query(
      `INSERT INTO api_keys (id, tenant_id, key_hash, scopes, label) VALUES ($1, $2, $3, $4, $5) RETURNING ${KEY_COLUMNS}`,
      [key.id, key.tenantId, key.keyHash, key.scopes, key.label ?? null],
    );
    return toApiKey(rows[0]!);
  }

  async findActiveApiKeyByHash(keyHash: Uint8Array): Promise<ApiKeyRecord | null> {
    const rows = await this.db.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [keyHash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.db.query(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`)).map(toApiKey);
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const rows = await this.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id]);
    return rows.length > 0;
  }

  async countApiKeys(): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys');
    return Number(rows[0]!.n);
  }
}

function toApiKey(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    scopes: row.scopes as Scope[],
    label: (row.label as string | null) ?? null,
    createdAt: new Date(row.created_at as Date),
    revokedAt: row.revoked_at ? new Date(row.revoked_at as Date) : null,
  };
}
