// Clients' receipt checks read a root's anchoring once per few seconds, however many ask.
import { describe, expect, it } from 'vitest';
import type { AnchorLookup } from '../../../src/core/receipts/verify';
import { cachedAnchorLookup } from '../../../src/platform/chain/receipt-verification';

const ANCHORING = { root: 'ab'.repeat(32), treeSize: 3, blockNumber: 7, timestamp: 1_700_000_000, submitter: `0x${'11'.repeat(20)}` };

describe('cached anchor lookup', () => {
  it('merges concurrent lookups of one root and answers repeats from the cache', async () => {
    let calls = 0;
    const lookup: AnchorLookup = async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return ANCHORING as unknown as Awaited<ReturnType<AnchorLookup>>;
    };
    const cached = cachedAnchorLookup(lookup);
    const query = { chain: 'eip155:31337', contract: `0x${'AA'.repeat(20)}`, root: ANCHORING.root };
    const answers = await Promise.all(Array.from({ length: 5 }, () => cached(query)));
    expect(calls).toBe(1);
    expect(answers.every((answer) => answer === answers[0])).toBe(true);
    // The same root under another spelling of the contract address is the same entry.
    await cached({ ...query, contract: query.contract.toLowerCase() });
    expect(calls).toBe(1);
    // Another root is another lookup.
    await cached({ ...query, root: 'cd'.repeat(32) });
    expect(calls).toBe(2);
  });

  it('keeps "not anchored" too, and never a failure', async () => {
    let calls = 0;
    let fail = true;
    const cached = cachedAnchorLookup(async () => {
      calls += 1;
      if (fail) throw new Error('rpc down');
      return null;
    });
    const query = { chain: 'eip155:31337', contract: `0x${'aa'.repeat(20)}`, root: 'ef'.repeat(32) };
    await expect(cached(query)).rejects.toThrow('rpc down');
    fail = false;
    expect(await cached(query)).toBeNull();
    expect(await cached(query)).toBeNull();
    expect(calls).toBe(2);
  });
});
