// SQL of the credentials feature (migration 2): issued credentials, status lists and their versions,
// idempotency keys and presentation challenges. Same SQL on PGlite and PostgreSQL.
import { DomainError } from '../core/errors';
import type { SqlClient, SqlExecutor, SqlRow } from '../store/sql-client';

export type StatusPurpose = 'revocation' | 'suspension';

export interface StatusListRecord {
  id: string;
  purpose: StatusPurpose;
  url: string;
  length: number;
  version: number;
  jwt: string;
  isFull: boolean;
}

/** A list new credentials can take indices in. */
export interface OpenStatusList {
  id: string;
  purpose: StatusPurpose;
  url: string;
  length: number;
}

/** A credential to record, and which of its two status indices it has yet to claim. */
export interface CredentialWrite {
  record: Omit<IssuedCredentialRecord, 'revokedAt' | 'suspendedAt'>;
  /** False when an earlier attempt already claimed (and so holds) the index. */
  claimRevocation: boolean;
  claimSuspension: boolean;
}

/** Whether the credential was recorded, and which of its indices it holds now. */
export interface CredentialWriteOutcome {
  inserted: boolean;
  revocationHeld: boolean;
  suspensionHeld: boolean;
}

export interface IssuedCredentialRecord {
  id: string;
  tenantId: string;
  subject: string;
  types: string[];
  jwtSha256: Uint8Array;
  issuedAt: Date;
  expiresAt: Date | null;
  revocationList: string;
  revocationIndex: number;
  suspensionList: string;
  suspensionIndex: number;
  revokedAt: Date | null;
  suspendedAt: Date | null;
}

/** The outcome of presenting a nonce: consumed now, or why it cannot be. */
export type ChallengeConsumption =
  | { outcome: 'consumed' | 'replayed' | 'expired'; domain: string | null }
  | { outcome: 'unknown' };

export class CredentialStore {
  constructor(readonly db: SqlClient) {}

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  // ---- idempotency keys ----

  /**
   * Claims (tenant, key) inside `tx`. A concurrent claim of the same key waits for this transaction,
   * then sees the stored response, so one key never issues two credentials.
   */
  async claimIdempotencyKey(
    tx: SqlExecutor,
    tenantId: string,
    key: string,
    requestSha256: Uint8Array,
  ): Promise<{ claimed: true } | { claimed: false; requestSha256: Uint8Array; response: unknown }> {
    const inserted = await tx.query(
      `INSERT INTO credential_idempotency (tenant_id, idempotency_key, request_sha256) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING tenant_id`,
      [tenantId, key, requestSha256],
    );
    if (inserted.length > 0) return { claimed: true };
    const rows = await tx.query<{ request_sha256: Uint8Array; response: unknown }>(
      'SELECT request_sha256, response FROM credential_idempotency WHERE tenant_id = $1 AND idempotency_key = $2',
      [tenantId, key],
    );
    const row = rows[0]!;
    return { claimed: false, requestSha256: toBytes(row.request_sha256), response: parseJson(row.response) };
  }

  async saveIdempotentResponse(tx: SqlExecutor, tenantId: string, key: string, response: unknown): Promise<void> {
    await tx.query('UPDATE credential_idempotency SET response = $3::jsonb WHERE tenant_id = $1 AND idempotency_key = $2', [
      tenantId,
      key,
      JSON.stringify(response),
    ]);
  }

  /** Forgets idempotency keys (and the credentials in their stored responses) older than `cutoff`. */
  async deleteIdempotencyKeysBefore(cutoff: Date): Promise<void> {
    await this.db.query('DELETE FROM credential_idempotency WHERE created_at < $1', [cutoff]);
  }

  // ---- status lists ----

  /** The newest list of `purpose` that still takes new entries. */
  async openStatusList(executor: SqlExecutor, purpose: StatusPurpose): Promise<OpenStatusList | undefined> {
    const rows = await executor.query<{ id: string; url: string; length: number }>(
      'SELECT id, url, length FROM status_lists WHERE purpose = $1 AND NOT is_full ORDER BY created_at DESC, id LIMIT 1',
      [purpose],
    );
    return rows[0] ? { id: rows[0].id, purpose, url: rows[0].url, length: Number(rows[0].length) } : undefined;
  }

  /** Stores a new list with its first version. */
  async insertStatusList(
    tx: SqlExecutor,
    list: { id: string; purpose: StatusPurpose; url: string; length: number; jwt: string; sha256: Uint8Array },
  ): Promise<void> {
    await tx.query('INSERT INTO status_lists (id, purpose, url, length, version, jwt) VALUES ($1, $2, $3, $4, 1, $5)', [
      list.id,
      list.purpose,
      list.url,
      list.length,
      list.jwt,
    ]);
    await tx.query('INSERT INTO status_list_versions (list_id, version, jwt, sha256) VALUES ($1, 1, $2, $3)', [list.id, list.jwt, list.sha256]);
  }

  async markStatusListFull(executor: SqlExecutor, id: string): Promise<void> {
    await executor.query('UPDATE status_lists SET is_full = true WHERE id = $1', [id]);
  }

  /** Locks a list row until the transaction ends: status changes of one list are serialised. */
  async lockStatusList(tx: SqlExecutor, id: string): Promise<StatusListRecord | undefined> {
    const rows = await tx.query('SELECT id, purpose, url, length, version, jwt, is_full FROM status_lists WHERE id = $1 FOR UPDATE', [id]);
    return rows[0] ? toStatusList(rows[0]) : undefined;
  }

  async findStatusList(id: string): Promise<StatusListRecord | undefined> {
    const rows = await this.db.query('SELECT id, purpose, url, length, version, jwt, is_full FROM status_lists WHERE id = $1', [id]);
    return rows[0] ? toStatusList(rows[0]) : undefined;
  }

  /** Records a new version of a list (the caller holds its lock). */
  async saveStatusListVersion(tx: SqlExecutor, id: string, version: number, jwt: string, sha256: Uint8Array): Promise<void> {
    await tx.query('UPDATE status_lists SET version = $2, jwt = $3, updated_at = now() WHERE id = $1', [id, version, jwt]);
    await tx.query('INSERT INTO status_list_versions (list_id, version, jwt, sha256) VALUES ($1, $2, $3, $4)', [id, version, jwt, sha256]);
  }

  /** Indices whose bit is set in a list: revoked (or currently suspended) credentials. */
  async setStatusIndices(tx: SqlExecutor, listId: string, purpose: StatusPurpose): Promise<number[]> {
    const rows =
      purpose === 'revocation'
        ? await tx.query<{ i: number }>('SELECT revocation_index AS i FROM issued_credentials WHERE revocation_list = $1 AND revoked_at IS NOT NULL', [listId])
        : await tx.query<{ i: number }>('SELECT suspension_index AS i FROM issued_credentials WHERE suspension_list = $1 AND suspended_at IS NOT NULL', [listId]);
    return rows.map((r) => Number(r.i));
  }

  /**
   * For each (list, index) of ours, whether its bit is set; undefined where there is no such list.
   * One statement for many lookups: verifications running together share it.
   */
  async areStatusesSet(lookups: ReadonlyArray<{ listId: string; index: number }>): Promise<Array<{ purpose: StatusPurpose; set: boolean } | undefined>> {
    if (lookups.length === 0) return [];
    const rows = await this.db.query<{ ord: number; purpose: StatusPurpose | null; set: boolean | null }>(
      `SELECT q.ord::int AS ord, l.purpose,
              CASE WHEN l.purpose = 'revocation'
                THEN EXISTS (SELECT 1 FROM issued_credentials c WHERE c.revocation_list = q.list_id AND c.revocation_index = q.idx AND c.revoked_at IS NOT NULL)
                ELSE EXISTS (SELECT 1 FROM issued_credentials c WHERE c.suspension_list = q.list_id AND c.suspension_index = q.idx AND c.suspended_at IS NOT NULL)
              END AS set
       FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(list_id, idx, ord)
       LEFT JOIN status_lists l ON l.id = q.list_id
       ORDER BY q.ord`,
      [lookups.map((l) => l.listId), lookups.map((l) => l.index)],
    );
    return rows.map((row) => (row.purpose ? { purpose: row.purpose, set: Boolean(row.set) } : undefined));
  }

  // ---- issued credentials ----

  async credentialExists(tx: SqlExecutor, id: string): Promise<boolean> {
    return (await tx.query('SELECT 1 FROM issued_credentials WHERE id = $1', [id])).length > 0;
  }

  /**
   * Records credentials, each together with the status indices it still has to claim, in one
   * statement: an index someone already holds is skipped, and a credential is recorded only when it
   * holds both of its indices. No lock outlives the statement and no index is ever reused. A
   * duplicate credential id fails the whole statement (CREDENTIAL_ALREADY_EXISTS).
   */
  async insertCredentialsClaimingIndices(executor: SqlExecutor, writes: readonly CredentialWrite[]): Promise<CredentialWriteOutcome[]> {
    // Two writes wanting one index in the same statement would both see it claimed: the later one loses.
    const wanted = new Set<string>();
    const sent: Array<{ write: CredentialWrite; position: number }> = [];
    const outcomes: CredentialWriteOutcome[] = writes.map((write, position) => {
      const claims = [write.claimRevocation && claimKey(write.record.revocationList, write.record.revocationIndex), write.claimSuspension && claimKey(write.record.suspensionList, write.record.suspensionIndex)];
      if (claims.some((k) => k && wanted.has(k))) {
        return {
          inserted: false,
          revocationHeld: !write.claimRevocation,
          suspensionHeld: !write.claimSuspension,
        };
      }
      for (const k of claims) if (k) wanted.add(k);
      sent.push({ write, position });
      return { inserted: false, revocationHeld: false, suspensionHeld: false };
    });
    if (sent.length === 0) return outcomes;
    const column = <T>(pick: (w: CredentialWrite) => T) => sent.map(({ write }) => pick(write));
    let rows: Array<{ ord: number; has_r: boolean; has_s: boolean; inserted: boolean }>;
    try {
      rows = await executor.query(
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                $8::text[], $9::int[], $10::text[], $11::int[], $12::bool[], $13::bool[])
             WITH ORDINALITY AS t(id, tenant_id, subject, types, jwt_sha256, issued_at, expires_at, rl, ri, sl, si, claim_r, claim_s, ord)
         ), claimed AS (
           INSERT INTO status_list_entries (list_id, entry_index)
           SELECT rl, ri FROM input WHERE claim_r UNION ALL SELECT sl, si FROM input WHERE claim_s
           ON CONFLICT (list_id, entry_index) DO NOTHING
           RETURNING list_id, entry_index
         ), held AS (
           SELECT i.*,
                  NOT i.claim_r OR EXISTS (SELECT 1 FROM claimed c WHERE c.list_id = i.rl AND c.entry_index = i.ri) AS has_r,
                  NOT i.claim_s OR EXISTS (SELECT 1 FROM claimed c WHERE c.list_id = i.sl AND c.entry_index = i.si) AS has_s
           FROM input i
         ), credential AS (
           INSERT INTO issued_credentials (id, tenant_id, subject, types, jwt_sha256, issued_at, expires_at,
             revocation_list, revocation_index, suspension_list, suspension_index)
           SELECT id, tenant_id, subject, ARRAY(SELECT json_array_elements_text(types::json)), decode(jwt_sha256, 'hex'),
                  issued_at::timestamptz, expires_at::timestamptz, rl, ri, sl, si
           FROM held WHERE has_r AND has_s
           RETURNING id
         )
         SELECT h.ord::int AS ord, h.has_r, h.has_s, EXISTS (SELECT 1 FROM credential c WHERE c.id = h.id) AS inserted
         FROM held h ORDER BY h.ord`,
        [
          column((w) => w.record.id),
          column((w) => w.record.tenantId),
          column((w) => w.record.subject),
          column((w) => JSON.stringify(w.record.types)),
          column((w) => Buffer.from(w.record.jwtSha256).toString('hex')),
          column((w) => w.record.issuedAt.toISOString()),
          column((w) => w.record.expiresAt?.toISOString() ?? null),
          column((w) => w.record.revocationList),
          column((w) => w.record.revocationIndex),
          column((w) => w.record.suspensionList),
          column((w) => w.record.suspensionIndex),
          column((w) => w.claimRevocation),
          column((w) => w.claimSuspension),
        ],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505' && /issued_credentials_pkey/.test((error as Error).message)) {
        throw new DomainError('CREDENTIAL_ALREADY_EXISTS', 'a credential with this id already exists');
      }
      throw error;
    }
    for (const row of rows) {
      const { position } = sent[Number(row.ord) - 1]!;
      outcomes[position] = { inserted: Boolean(row.inserted), revocationHeld: Boolean(row.has_r), suspensionHeld: Boolean(row.has_s) };
    }
    return outcomes;
  }

  async findCredential(executor: SqlExecutor, id: string, options: { forUpdate?: boolean } = {}): Promise<IssuedCredentialRecord | undefined> {
    const rows = await executor.query(`SELECT * FROM issued_credentials WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toCredential(rows[0]) : undefined;
  }

  async updateCredentialStatus(tx: SqlExecutor, id: string, change: { revokedAt?: Date; suspendedAt?: Date | null }): Promise<void> {
    if (change.revokedAt !== undefined) await tx.query('UPDATE issued_credentials SET revoked_at = $2 WHERE id = $1', [id, change.revokedAt]);
    if (change.suspendedAt !== undefined) await tx.query('UPDATE issued_credentials SET suspended_at = $2 WHERE id = $1', [id, change.suspendedAt]);
  }

  // ---- presentation challenges ----

  async insertChallenge(challenge: { nonce: string; tenantId: string; domain: string | null; expiresAt: Date }): Promise<void> {
    await this.db.query('INSERT INTO presentation_challenges (nonce, tenant_id, domain, expires_at) VALUES ($1, $2, $3, $4)', [
      challenge.nonce,
      challenge.tenantId,
      challenge.domain,
      challenge.expiresAt,
    ]);
  }

  /** Consumes a tenant's nonce atomically: of two concurrent presentations, exactly one succeeds. */
  async consumeChallenge(nonce: string, tenantId: string, now: Date): Promise<ChallengeConsumption> {
    const consumed = await this.db.query<{ domain: string | null }>(
      `UPDATE presentation_challenges SET consumed_at = $3
       WHERE nonce = $1 AND tenant_id = $2 AND consumed_at IS NULL AND expires_at > $3 RETURNING domain`,
      [nonce, tenantId, now],
    );
    if (consumed[0]) return { outcome: 'consumed', domain: consumed[0].domain };
    const rows = await this.db.query<{ consumed_at: Date | null; domain: string | null }>(
      'SELECT consumed_at, domain FROM presentation_challenges WHERE nonce = $1 AND tenant_id = $2',
      [nonce, tenantId],
    );
    if (!rows[0]) return { outcome: 'unknown' };
    return { outcome: rows[0].consumed_at ? 'replayed' : 'expired', domain: rows[0].domain };
  }

  /** Drops challenges that expired before `cutoff` (consumed or not). */
  async deleteChallengesExpiredBefore(cutoff: Date): Promise<void> {
    await this.db.query('DELETE FROM presentation_challenges WHERE expires_at < $1', [cutoff]);
  }
}

function claimKey(listId: string, index: number): string {
  return `${listId}#${index}`;
}

function toStatusList(row: SqlRow): StatusListRecord {
  return {
    id: String(row.id),
    purpose: row.purpose as StatusPurpose,
    url: String(row.url),
    length: Number(row.length),
    version: Number(row.version),
    jwt: String(row.jwt),
    isFull: Boolean(row.is_full),
  };
}

function toCredential(row: SqlRow): IssuedCredentialRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    subject: String(row.subject),
    types: row.types as string[],
    jwtSha256: toBytes(row.jwt_sha256 as Uint8Array),
    issuedAt: row.issued_at as Date,
    expiresAt: (row.expires_at as Date | null) ?? null,
    revocationList: String(row.revocation_list),
    revocationIndex: Number(row.revocation_index),
    suspensionList: String(row.suspension_list),
    suspensionIndex: Number(row.suspension_index),
    revokedAt: (row.revoked_at as Date | null) ?? null,
    suspendedAt: (row.suspended_at as Date | null) ?? null,
  };
}

function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** PGlite and pg both parse jsonb; a string means a driver that did not. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
