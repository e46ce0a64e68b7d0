// The service's stores on a real database (PGlite in a temp dir, or a PostgreSQL test database), for
// tests below the HTTP layer, and the two ways a test may change a store: a port implementation that
// delegates to the real one with some methods replaced (no monkey-patching), and the seal that the
// notary composes from the store's two sealing steps.
import { SqlApiKeyStore } from '../../src/access/sql/api-key-store';
import type { BatchLeaves, BatchRecord, RecordedAnchoring } from '../../src/notarization/batch';
import type { NotaryStore } from '../../src/notarization/ports';
import type { NewSubmission, SubmissionRecord } from '../../src/notarization/submission';
import { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import type { DatabaseOptions } from '../../src/platform/database/open-database';
import type { SqlClient, SqlExecutor } from '../../src/platform/database/sql-client';
import { openServiceDatabase } from '../../src/schema';

export interface TestStores {
  db: SqlClient;
  notary: SqlNotaryStore;
  keys: SqlApiKeyStore;
  close(): Promise<void>;
}

/** Opens and migrates a database (the service's schema) and its stores. */
export async function openTestStores(options: DatabaseOptions): Promise<TestStores> {
  const db = await openServiceDatabase(options);
  return { db, notary: new SqlNotaryStore(db), keys: new SqlApiKeyStore(db), close: () => db.close() };
}

/** A NotaryStore that is `base` except for `overrides` (each may call the base method it replaces). */
export function withOverrides(base: NotaryStore, overrides: Partial<NotaryStore>): NotaryStore {
  return new Proxy(base, {
    get(target, property, receiver) {
      const override = (overrides as Record<PropertyKey, unknown>)[property];
      if (override !== undefined) return override;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** One seal as the notary does it: the sealable range, its root, the batch recorded (null: none or lost the race). */
export async function sealNextBatch(
  store: NotaryStore,
  maxSize: number,
  computeRoot: (leaves: BatchLeaves) => Uint8Array,
): Promise<{ batch: BatchRecord; leaves: BatchLeaves; oldestSubmittedAt: Date } | null> {
  const range = await store.readSealableRange(maxSize);
  if (!range) return null;
  const batch = await store.recordSealedBatch(range, computeRoot(range.leaves));
  return batch ? { batch, leaves: range.leaves, oldestSubmittedAt: range.oldestSubmittedAt } : null;
}

/** Commits one tenant's documents (the group commit's write for a single request). */
export function insertSubmissions(store: Pick<NotaryStore, 'insertTenantSubmissions'>, tenantId: string, documents: NewSubmission[]): Promise<SubmissionRecord[]> {
  return store.insertTenantSubmissions(documents.map((document) => ({ ...document, tenantId })));
}

/**
 * Records an anchoring of a batch as a chain's anchorer does: the batch queued for the anchoring's
 * chain (and every batch sealed before it), then marked anchored there, `onFirstAnchoring` in the same
 * transaction when it is the batch's first.
 */
export async function recordAnchoring(
  store: Pick<NotaryStore, 'enqueueChainAnchorings' | 'markAnchored'>,
  batchId: string,
  anchoring: RecordedAnchoring,
  onFirstAnchoring?: (tx: SqlExecutor, batch: BatchRecord) => Promise<void>,
): Promise<BatchRecord> {
  await store.enqueueChainAnchorings(anchoring.chain, anchoring.contract, 0);
  return store.markAnchored(batchId, anchoring.chain, anchoring, onFirstAnchoring);
}
