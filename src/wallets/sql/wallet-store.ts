// The SQL of the wallet protocols. Each single-use step is one conditional UPDATE that only an unused,
// unexpired row satisfies, so replicas on one database cannot both redeem a code, spend a nonce or
// answer a presentation request; a lost race reads the row afterwards to say why.
import type { SqlClient, SqlExecutor } from '../../platform/database/sql-client';

export interface NewOfferRecord {
  id: string;
  tenantId: string;
  configurationId: string;
  credential: Record<string, unknown>;
  codeHash: string;
  txCodeHash: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface OfferRecord extends NewOfferRecord {
  txCodeFailures: number;
  redeemedAt: Date | null;
  issuedAt: Date | null;
  credentialId: string | null;
}

/** Why a single-use row could not be claimed. */
export type ClaimRefusal = 'unknown' | 'used' | 'expired';

export interface NewPresentationRequestRecord {
  id: string;
  tenantId: string;
  dcqlQuery: Record<string, unknown>;
  purpose: string;
  nonce: string;
  requestObject: string;
  createdAt: Date;
  expiresAt: Date;
}

export type PresentationRequestStatus = 'pending' | 'verified' | 'failed';

export interface PresentationRequestRecord extends NewPresentationRequestRecord {
  answeredAt: Date | null;
  status: PresentationRequestStatus;
  result: Record<string, unknown> | null;
}

/** A tampered transaction code may be tried this many times before the offer is void. */
export const MAX_TX_CODE_FAILURES = 5;

export class WalletStore {
  constructor(readonly db: SqlClient) {}

  async insertOffer(offer: NewOfferRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO wallet_credential_offers (id, tenant_id, configuration_id, credential, code_hash, tx_code_hash, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [offer.id, offer.tenantId, offer.configurationId, JSON.stringify(offer.credential), offer.codeHash, offer.txCodeHash, offer.createdAt, offer.expiresAt],
    );
  }

  async offerById(id: string): Promise<OfferRecord | undefined> {
    const rows = await this.db.query('SELECT * FROM wallet_credential_offers WHERE id = $1', [id]);
    return rows[0] ? toOffer(rows[0]) : undefined;
  }

  async offerByCodeHash(codeHash: string): Promise<OfferRecord | undefined> {
    const rows = await this.db.query('SELECT * FROM wallet_credential_offers WHERE code_hash = $1', [codeHash]);
    return rows[0] ? toOffer(rows[0]) : undefined;
  }

  /** Redeems a pre-authorized code once: the row must be unredeemed, unexpired and not voided by wrong transaction codes. */
  async redeemCode(codeHash: string, now: Date): Promise<OfferRecord | ClaimRefusal> {
    const rows = await this.db.query(
      `UPDATE wallet_credential_offers SET redeemed_at = $2
       WHERE code_hash = $1 AND redeemed_at IS NULL AND expires_at > $2 AND tx_code_failures < $3 RETURNING *`,
      [codeHash, now, MAX_TX_CODE_FAILURES],
    );
    if (rows[0]) return toOffer(rows[0]);
    const offer = await this.offerByCodeHash(codeHash);
    if (!offer) return 'unknown';
    return offer.redeemedAt || offer.txCodeFailures >= MAX_TX_CODE_FAILURES ? 'used' : 'expired';
  }

  /** Replaces the hash of an unredeemed offer's code: the code handed out before no longer redeems. */
  async rekeyOffer(id: string, codeHash: string): Promise<void> {
    await this.db.query('UPDATE wallet_credential_offers SET code_hash = $2 WHERE id = $1 AND redeemed_at IS NULL', [id, codeHash]);
  }

  /** Counts a wrong transaction code against the offer. */
  async recordTxCodeFailure(id: string): Promise<void> {
    await this.db.query('UPDATE wallet_credential_offers SET tx_code_failures = tx_code_failures + 1 WHERE id = $1', [id]);
  }

  /** Claims the offer's one credential issuance; false if it was issued (or is being issued) already. */
  async claimIssuance(id: string, now: Date): Promise<boolean> {
    const rows = await this.db.query('UPDATE wallet_credential_offers SET issued_at = $2 WHERE id = $1 AND issued_at IS NULL AND redeemed_at IS NOT NULL RETURNING id', [id, now]);
    return rows.length === 1;
  }

  /** Gives the claim back when issuing failed, so the wallet may try again with its token. */
  async releaseIssuance(id: string): Promise<void> {
    await this.db.query('UPDATE wallet_credential_offers SET issued_at = NULL WHERE id = $1 AND credential_id IS NULL', [id]);
  }

  async recordIssuedCredential(id: string, credentialId: string): Promise<void> {
    await this.db.query('UPDATE wallet_credential_offers SET credential_id = $2 WHERE id = $1', [id, credentialId]);
  }

  async insertNonce(nonce: string, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO wallet_nonces (nonce, expires_at) VALUES ($1, $2)', [nonce, expiresAt]);
  }

  /** The nonce's expiry if it is live (issued here, unused, unexpired). */
  async liveNonce(nonce: string, now: Date): Promise<Date | undefined> {
    const rows = await this.db.query<{ expires_at: Date }>('SELECT expires_at FROM wallet_nonces WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2', [nonce, now]);
    return rows[0] ? new Date(rows[0].expires_at) : undefined;
  }

  /** Spends a nonce once. */
  async spendNonce(nonce: string, now: Date): Promise<boolean> {
    const rows = await this.db.query('UPDATE wallet_nonces SET used_at = $2 WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2 RETURNING nonce', [nonce, now]);
    return rows.length === 1;
  }

  async insertPresentationRequest(request: NewPresentationRequestRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO wallet_presentation_requests (id, tenant_id, dcql_query, purpose, nonce, request_object, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [request.id, request.tenantId, JSON.stringify(request.dcqlQuery), request.purpose, request.nonce, request.requestObject, request.createdAt, request.expiresAt],
    );
  }

  async presentationRequestById(id: string): Promise<PresentationRequestRecord | undefined> {
    const rows = await this.db.query('SELECT * FROM wallet_presentation_requests WHERE id = $1', [id]);
    return rows[0] ? toPresentationRequest(rows[0]) : undefined;
  }

  /** Records the one verified answer of a pending, unexpired request, in `tx`; false if another answer came first. */
  async recordVerifiedAnswer(tx: SqlExecutor, id: string, result: Record<string, unknown>, now: Date): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE wallet_presentation_requests SET answered_at = $2, status = 'verified', result = $3
       WHERE id = $1 AND answered_at IS NULL AND expires_at > $2 RETURNING id`,
      [id, now, JSON.stringify(result)],
    );
    return rows.length === 1;
  }

  /** Drops what expired before `cutoff`: offers, nonces and presentation requests. */
  async deleteExpiredBefore(cutoff: Date): Promise<void> {
    await this.db.query('DELETE FROM wallet_credential_offers WHERE expires_at < $1', [cutoff]);
    await this.db.query('DELETE FROM wallet_nonces WHERE expires_at < $1', [cutoff]);
    await this.db.query('DELETE FROM wallet_presentation_requests WHERE expires_at < $1', [cutoff]);
  }
}

const dateOrNull = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
const json = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : (value as Record<string, unknown>));

function toOffer(row: Record<string, unknown>): OfferRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    configurationId: String(row.configuration_id),
    credential: json(row.credential),
    codeHash: String(row.code_hash),
    txCodeHash: row.tx_code_hash === null ? null : String(row.tx_code_hash),
    txCodeFailures: Number(row.tx_code_failures),
    createdAt: new Date(row.created_at as string),
    expiresAt: new Date(row.expires_at as string),
    redeemedAt: dateOrNull(row.redeemed_at),
    issuedAt: dateOrNull(row.issued_at),
    credentialId: row.credential_id === null ? null : String(row.credential_id),
  };
}

function toPresentationRequest(row: Record<string, unknown>): PresentationRequestRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    dcqlQuery: json(row.dcql_query),
    purpose: String(row.purpose),
    nonce: String(row.nonce),
    requestObject: String(row.request_object),
    createdAt: new Date(row.created_at as string),
    expiresAt: new Date(row.expires_at as string),
    answeredAt: dateOrNull(row.answered_at),
    status: row.status as PresentationRequestStatus,
    result: row.result === null ? null : json(row.result),
  };
}
