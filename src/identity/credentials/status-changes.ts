// Credential status changes (revoked, suspended, reinstated) as facts to subscribe to: webhooks, an
// audit feed or anything later reacts by subscribing, and the credentials code never learns who
// listens. Subscribers run in the transaction that makes the change, so what they record commits
// exactly when the change does.
import type { SqlExecutor } from '../../platform/database/sql-client';

export type CredentialState = 'active' | 'suspended' | 'revoked';

/** A credential's status after a change. */
export interface CredentialStatusView {
  id: string;
  state: CredentialState;
  revokedAt: string | null;
  suspendedAt: string | null;
  /** The status list version that now reflects this state. */
  statusList: { id: string; purpose: 'revocation' | 'suspension'; version: number };
}

/** One change of a credential's status, as committed. */
export interface CredentialStatusChange {
  change: 'revoked' | 'suspended' | 'reinstated';
  /** The tenant the credential was issued for (also when an admin changed it). */
  tenantId: string;
  at: Date;
  /** The credential's status after the change, with the list version that shows it. */
  status: CredentialStatusView;
}

/**
 * Writes its own rows in `tx`, the transaction of the change; it must not wait on anything else. A
 * failure undoes the change (the caller is answered with an error and may try again).
 */
export type CredentialStatusSubscriber = (change: CredentialStatusChange, tx: SqlExecutor) => Promise<void>;

/** The subscribers to status changes, called in subscription order. */
export class CredentialStatusEvents {
  private readonly subscribers: CredentialStatusSubscriber[] = [];

  subscribe(subscriber: CredentialStatusSubscriber): void {
    this.subscribers.push(subscriber);
  }

  async record(change: CredentialStatusChange, tx: SqlExecutor): Promise<void> {
    for (const subscriber of this.subscribers) await subscriber(change, tx);
  }
}
