// Group commit on a real store: concurrent submissions share writes and each gets its own records.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCommit } from '../../src/notarization/group-commit';
import type { TenantSubmission } from '../../src/notarization/submission';
import type { SqlNotaryStore } from '../../src/notarization/sql/notary-store';
import { makeTempDir } from '../helpers/service-process';
import { insertSubmissions, openTestStores, type TestStores } from '../helpers/stores';

const doc = (tenantId: string): TenantSubmission => ({ tenantId, multihash: Uint8Array.from([0x12, 0x20, ...randomBytes(32)]) });

describe('group commit', () => {
  let stores: TestStores;
  let store: SqlNotaryStore;
  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-group-') });
    store = stores.notary;
  });
  afterAll(async () => {
    await stores?.close();
  });

  it('answers each of many concurrent submissions with its own records, in fewer writes', async () => {
    let writes = 0;
    const group = groupCommit((documents) => {
      writes += 1;
      return store.insertTenantSubmissions(documents);
    }, 50);
    const requests = Array.from({ length: 120 }, (_, i) => [doc(`t${i % 3}`), ...(i % 4 === 0 ? [doc(`t${i % 3}`)] : [])]);
    const answers = await Promise.all(requests.map((documents) => group(documents)));
    answers.forEach((records, i) => {
      expect(records.map((r) => Buffer.from(r.multihash).toString('hex'))).toEqual(requests[i]!.map((d) => Buffer.from(d.multihash).toString('hex')));
      expect(records.map((r) => r.tenantId)).toEqual(requests[i]!.map((d) => d.tenantId));
      expect(records.every((r) => !r.existing)).toBe(true);
    });
    expect(writes).toBeLessThan(requests.length / 4);
    const seqs = answers.flat().map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('returns the existing record for a resubmission in the same group, and fails every waiter of a failed write', async () => {
    const first = doc('acme');
    await insertSubmissions(store, 'acme', [first]);
    const group = groupCommit((documents) => store.insertTenantSubmissions(documents));
    const [again, fresh] = await Promise.all([group([first]), group([doc('acme')])]);
    expect(again[0]!.existing).toBe(true);
    expect(fresh[0]!.existing).toBe(false);

    const failing = groupCommit(async () => {
      throw new Error('disk full');
    });
    const results = await Promise.allSettled([failing([doc('a')]), failing([doc('b')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('lets submissions that arrive as the write ends join the next group instead of a third write', async () => {
    const sizes: number[] = [];
    let finishWrite: (() => void) | undefined;
    const group = groupCommit(async (documents) => {
      sizes.push(documents.length);
      const records = await store.insertTenantSubmissions(documents);
      if (sizes.length === 1) await new Promise<void>((resolve) => (finishWrite = resolve));
      return records;
    });
    const first = group([doc('acme')]);
    const second = group([doc('acme')]); // queued behind the first write
    let third: Promise<unknown> | undefined;
    // Like I/O handled in the same loop turn as the end of the write (a request parsed just then).
    while (!finishWrite) await new Promise((resolve) => setTimeout(resolve, 5)); // the first write is now waiting to end
    // One timer: two timers of the same delay can land in different loop turns on a busy machine.
    setTimeout(() => {
      finishWrite!();
      // After every promise reaction of the write's end (a tick queued from a reaction runs once
      // they are all done), still in the same loop turn: like a request parsed just then.
      void first.then(() =>
        process.nextTick(() => {
          third = group([doc('acme')]);
        }),
      );
    }, 1);
    await first;
    await second;
    await third;
    expect(sizes).toEqual([1, 2]);
  });
});
