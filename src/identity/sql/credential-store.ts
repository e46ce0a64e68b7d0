// SQL of the credentials feature (migration 2): issued credentials, status lists and their versions,
// idempotency keys and presentation challenges. Same SQL on PGlite and PostgreSQL.
import type { SqlClient, SqlExecutor, SqlRow } from '../../platform/database/sql-client';

export type StatusPurpose = 'revocation' | 'suspension';
/** What a list records: a W3C Bitstring Status List of one purpose, or an IETF Token Status List (both). */
export type StatusListPurpose = StatusPurpose | 'token';
/** Which of the service's keys signs a list: ES256K (did:ethr) or ES256 (did:web and the HTTPS issuer). */
export type StatusListSigningAlg = 'ES256K' | 'ES256';

export interface StatusListRecord {
  id: string;
  purpose: StatusListPurpose;
  signingAlg: StatusListSigningAlg;
  url: string;
  length: number;
  version: number;
  jwt: string;
  isFull: boolean;
}

/** A list new credentials can take indices in. */
export interface OpenStatusList {
  id: string;
  purpose: StatusListPurpose;
  signingAlg: StatusListSigningAlg;
  url: string;
  length: number;
}

/** What is recorded when a credential is issued (its status is recorded later, by status changes). */
export type NewCredentialRecord = Omit<IssuedCredentialRecord, 'revokedAt' | 'suspendedAt'>;

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

  /** The newest list of `purpose` signed with `signingAlg` that still takes new entries. */
  async openStatusList(executor: SqlExecutor, purpose: StatusListPurpose, signingAlg: StatusListSigningAlg): Promise<OpenStatusList | undefined> {
    const rows = await executor.query<{ id: string; url: string; length: number }>(
      'SELECT id, url, length FROM status_lists WHERE purpose = $1 AND signing_alg = $2 AND NOT is_full ORDER BY created_at DESC, id LIMIT 1',
      [purpose, signingAlg],
    );
    return rows[0] ? { id: rows[0].id, purpose, signingAlg, url: rows[0].url, length: Number(rows[0].length) } : undefined;
  }

  /** Stores a new list with its first version. */
  async insertStatusList(
    tx: SqlExecutor,
    list: { id: string; purpose: StatusListPurpose; signingAlg: StatusListSigningAlg; url: string; length: number; jwt: string; sha256: Uint8Array },
  ): Promise<void> {
    await tx.query('INSERT INTO status_lists (id, purpose, signing_alg, url, length, version, jwt) VALUES ($1, $2, $3, $4, $5, 1, $6)', [
      list.id,
      list.purpose,
      list.signingAlg,
      list.url,
      list.length,
      list.jwt,
    ]);
    await tx.query('INSERT INTO status_list_versions (list_id, version, jwt, sha256) VALUES ($1, 1, $2, $3)', [list.id, list.jwt, list.sha256]);
  }

  /**
   * Claims the given indices of a list for this process, in one statement; returns those nobody had
   * claimed before (in any process, ever). Indices are never given back, so none is used twice.
   */
  async claimStatusIndices(listId: string, indices: readonly number[]): Promise<number[]> {
    if (indices.length === 0) return [];
    const rows = await this.db.query<{ i: number }>(
      `INSERT INTO status_list_entries (list_id, entry_index) SELECT $1, i FROM unnest($2::int[]) AS t(i)
       ON CONFLICT (list_id, entry_index) DO NOTHING RETURNING entry_index AS i`,
      [listId, indices],
    );
    return rows.map((row) => Number(row.i));
  }

  async markStatusListFull(executor: SqlExecutor, id: string): Promise<void> {
    await executor.query('UPDATE status_lists SET is_full = true WHERE id = $1', [id]);
  }

  /** Locks a list row until the transaction ends: status changes of one list are serialised. */
  async lockStatusList(tx: SqlExecutor, id: string): Promise<StatusListRecord | undefined> {
    const rows = await tx.query('SELECT id, purpose, signing_alg, url, length, version, jwt, is_full FROM status_lists WHERE id = $1 FOR UPDATE', [id]);
    return rows[0] ? toStatusList(rows[0]) : undefined;
  }

  async findStatusList(id: string): Promise<StatusListRecord | undefined> {
    const rows = await this.db.query('SELECT id, purpose, signing_alg, url, length, version, jwt, is_full FROM status_lists WHERE id = $1', [id]);
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

  /** The revoked or suspended credentials of a Token Status List: each index with its state. */
  async tokenStatusEntries(tx: SqlExecutor, listId: string): Promise<Array<{ index: number; revoked: boolean }>> {
    const rows = await tx.query<{ i: number; revoked: boolean }>(
      `SELECT revocation_index AS i, revoked_at IS NOT NULL AS revoked FROM issued_credentials
       WHERE revocation_list = $1 AND (revoked_at IS NOT NULL OR suspended_at IS NOT NULL)`,
      [listId],
    );
    return rows.map((row) => ({ index: Number(row.i), revoked: Boolean(row.revoked) }));
  }

  /**
   * For each (token list, index) of ours, the credential's state; undefined where there is no such
   * list. One statement for many lookups, as areStatusesSet.
   */
  async tokenStatuses(lookups: ReadonlyArray<{ listId: string; index: number }>): Promise<Array<'valid' | 'revoked' | 'suspended' | undefined>> {
    if (lookups.length === 0) return [];
    // Two probes of the partial indexes of revoked and of suspended credentials (a credential of a
    // token list names the list in both columns): a lookup of a valid credential reads no other row.
    const rows = await this.db.query<{ ord: number; purpose: string | null; revoked: boolean | null; suspended: boolean | null }>(
      `SELECT q.ord::int AS ord, l.purpose, r.hit IS NOT NULL AS revoked, s.hit IS NOT NULL AS suspended
       FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(list_id, idx, ord)
       LEFT JOIN status_lists l ON l.id = q.list_id
       LEFT JOIN LATERAL (
         SELECT 1 AS hit FROM issued_credentials c
         WHERE c.revocation_list = q.list_id AND c.revocation_index = q.idx AND c.revoked_at IS NOT NULL LIMIT 1
       ) r ON l.purpose = 'token'
       LEFT JOIN LATERAL (
         SELECT 1 AS hit FROM issued_credentials c
         WHERE c.suspension_list = q.list_id AND c.suspension_index = q.idx AND c.suspended_at IS NOT NULL LIMIT 1
       ) s ON l.purpose = 'token'
       ORDER BY q.ord`,
      [lookups.map((l) => l.listId), lookups.map((l) => l.index)],
    );
    return rows.map((row) => (row.purpose !== 'token' ? undefined : row.revoked ? 'revoked' : row.suspended ? 'suspended' : 'valid'));
  }

  /**
   * For each (list, index) of ours, whether its bit is set; undefined where there is no such list.
   * One statement for many lookups: verifications running together share it.
   */
  async areStatusesSet(lookups: ReadonlyArray<{ listId: string; index: number }>): Promise<Array<{ purpose: StatusListPurpose; set: boolean } | undefined>> {
    if (lookups.length === 0) return [];
    // One index probe per lookup (LATERAL … LIMIT 1). With EXISTS, and no statistics (PGlite never
    // analyzes), the planner guessed most credentials revoked and hashed them all: a scan of every
    // issued credential per statement, slower as the table grows.
    const rows = await this.db.query<{ ord: number; purpose: StatusListPurpose | null; set: boolean | null }>(
      `SELECT q.ord::int AS ord, l.purpose,
              CASE WHEN l.purpose = 'revocation' THEN r.hit IS NOT NULL ELSE s.hit IS NOT NULL END AS set
       FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(list_id, idx, ord)
       LEFT JOIN status_lists l ON l.id = q.list_id
       LEFT JOIN LATERAL (
         SELECT 1 AS hit FROM issued_credentials c
         WHERE c.revocation_list = q.list_id AND c.revocation_index = q.idx AND c.revoked_at IS NOT NULL LIMIT 1
       ) r ON l.purpose = 'revocation'
       LEFT JOIN LATERAL (
         SELECT 1 AS hit FROM issued_credentials c
         WHERE c.suspension_list = q.list_id AND c.suspension_index = q.idx AND c.suspended_at IS NOT NULL LIMIT 1
       ) s ON l.purpose = 'suspension'
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
   * Records credentials in one statement (a group commit for concurrent issues). Returns, for each,
   * whether it was recorded: false when a credential with its id exists already (or comes earlier in
   * `records`), so one duplicate explicit id does not fail the others.
   */
  async insertCredentials(executor: SqlExecutor, records: readonly NewCredentialRecord[]): Promise<boolean[]> {
    const ids = new Set<string>();
    const sent = records.filter((record) => !ids.has(record.id) && ids.add(record.id));
    if (sent.length === 0) return records.map(() => false);
    const column = <T>(pick: (record: NewCredentialRecord) => T) => sent.map(pick);
    const rows = await executor.query<{ id: string }>(
      `INSERT INTO issued_credentials (id, tenant_id, subject, types, jwt_sha256, issued_at, expires_at,
         revocation_list, revocation_index, suspension_list, suspension_index)
       SELECT id, tenant_id, subject, types::text[], decode(jwt_sha256, 'hex'), issued_at::timestamptz, expires_at::timestamptz,
              rl, ri, sl, si
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                   $8::text[], $9::int[], $10::text[], $11::int[])
         AS t(id, tenant_id, subject, types, jwt_sha256, issued_at, expires_at, rl, ri, sl, si)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        column((r) => r.id),
        column((r) => r.tenantId),
        column((r) => r.subject),
        // each credential's types as one array literal: unnest cannot take arrays of varying length
        column((r) => textArrayLiteral(r.types)),
        // text columns, converted in SQL: both drivers send string arrays the same way
        column((r) => Buffer.from(r.jwtSha256).toString('hex')),
        column((r) => r.issuedAt.toISOString()),
        column((r) => r.expiresAt?.toISOString() ?? null),
        column((r) => r.revocationList),
        column((r) => r.revocationIndex),
        column((r) => r.suspensionList),
        column((r) => r.suspensionIndex),
      ],
    );
    const inserted = new Set(rows.map((row) => String(row.id)));
    const counted = new Set<string>();
    return records.map((record) => inserted.has(record.id) && !counted.has(record.id) && Boolean(counted.add(record.id)));
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

/** A PostgreSQL array literal of strings, each quoted. */
function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

function toStatusList(row: SqlRow): StatusListRecord {
  return {
    id: String(row.id),
    purpose: row.purpose as StatusListPurpose,
    signingAlg: (row.signing_alg as StatusListSigningAlg | undefined) ?? 'ES256K',
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
