// One run of an expensive check serves every caller for a while; failures are not kept.
import { describe, expect, it } from 'vitest';
import { reuseRecentResult } from '../../../src/platform/observability/recent-result';

describe('reuseRecentResult', () => {
  it('shares a run among concurrent callers and for ttl after it resolves, then runs again', async () => {
    let clock = 1_000;
    let runs = 0;
    let release!: () => void;
    const shared = reuseRecentResult(
      () =>
        new Promise<number>((resolve) => {
          runs += 1;
          const run = runs;
          release = () => resolve(run);
        }),
      5_000,
      () => clock,
    );
    const first = shared();
    const second = shared();
    expect(runs).toBe(1);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    clock += 4_999;
    expect(await shared()).toBe(1);
    expect(runs).toBe(1);
    clock += 1;
    const third = shared();
    expect(runs).toBe(2);
    release();
    expect(await third).toBe(2);
  });

  it('does not keep a rejection: the next caller runs it again', async () => {
    let runs = 0;
    const shared = reuseRecentResult(async () => {
      runs += 1;
      if (runs === 1) throw new Error('RPC down');
      return 'ok';
    }, 60_000);
    await expect(shared()).rejects.toThrow('RPC down');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await shared()).toBe('ok');
    expect(await shared()).toBe('ok');
    expect(runs).toBe(2);
  });
});
