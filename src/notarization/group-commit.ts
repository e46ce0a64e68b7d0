// Group commit of submissions: concurrent requests share one store write (the micro-batcher), and
// each is acknowledged only after the commit that holds it. N concurrent requests cost one commit.
import { microBatcher } from '../platform/micro-batcher';
import type { SubmissionRecord, TenantSubmission } from './submission';

/**
 * Submits one request's documents through shared writes of at most `maxDocuments` documents (one
 * statement); a request that large is written alone at once. A lone request waits for nothing.
 * `parallelWrites` writes may run at once: one for a store with one connection (PGlite), more for
 * PostgreSQL, whose concurrent commits share their WAL flushes.
 */
export function groupCommit(
  write: (documents: TenantSubmission[]) => Promise<SubmissionRecord[]>,
  maxDocuments = 1000,
  parallelWrites = 1,
): (documents: TenantSubmission[]) => Promise<SubmissionRecord[]> {
  return microBatcher<TenantSubmission[], SubmissionRecord[]>(
    async (requests) => {
      const records = await write(requests.flat());
      let offset = 0;
      return requests.map((documents) => records.slice(offset, (offset += documents.length)));
    },
    { maxBatch: maxDocuments, weight: (documents) => documents.length, flushWhenIdle: true, joinAfterBatch: true, maxInFlight: parallelWrites },
  );
}
