// The one seam between the store's SQL and a database driver: embedded PGlite or PostgreSQL via `pg`.
// Both speak the same SQL with $1 parameters, so a single store implementation serves both.
import type { Notifications } from './notifications';

export type SqlRow = Record<string, unknown>;

/**
 * What a transaction fails with when its COMMIT answered ROLLBACK: a statement in it failed and the
 * error was caught. Without it the caller would believe lost writes committed.
 */
export function commitRolledBackError(): Error {
  return Object.assign(new Error('the transaction was rolled back: a statement in it had failed'), { code: '25P02' });
}

/** What the store needs from a connection: parameterised queries and transactions. */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface SqlClient extends SqlExecutor, Notifications {
  /** Runs `work` in one transaction (READ COMMITTED), committing on success and rolling back on error. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
  /**
   * Tries to become the one process that seals and anchors (a session advisory lock held on a
   * dedicated connection until close). Always true for the single-process embedded database.
   */
  tryLeadership(lockKey: number): Promise<boolean>;
  close(): Promise<void>;
}
