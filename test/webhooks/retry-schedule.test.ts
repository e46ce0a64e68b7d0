// The retry schedule: exponential, capped, with jitter that never brings a retry below half its
// step; a series given up once its next attempt would leave the retry window; and an endpoint turned
// off only after failing for long enough, often enough (or at once on 410 Gone).
import { describe, expect, it } from 'vitest';
import { disableReason, MIN_FAILURES_BEFORE_DISABLE, nextAttemptAfterFailure, retryDelayMs } from '../../src/webhooks/delivery/retry-schedule';

const policy = { firstDelayMs: 5_000, maxDelayMs: 3_600_000, retryForMs: 86_400_000, disableAfterMs: 86_400_000 };

describe('retry schedule', () => {
  it('doubles from the first delay up to the cap, each delay between half its step and the step', () => {
    const steps = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 3_600_000, 3_600_000];
    steps.forEach((step, i) => {
      expect(retryDelayMs(i + 1, policy, () => 0)).toBe(step / 2);
      expect(retryDelayMs(i + 1, policy, () => 0.999999)).toBeCloseTo(step, -1);
    });
    expect(retryDelayMs(10_000, policy, () => 1)).toBe(3_600_000);
  });

  it('spreads the retries of deliveries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, policy)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(10_000);
      expect(delay).toBeLessThanOrEqual(20_000);
    }
  });

  it('retries within the window for about a day, then gives up', () => {
    const start = new Date('2026-12-03T00:00:00Z');
    let now = start;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAfterFailure(attempts, start, now, policy, () => 1);
      if (!next) break;
      expect(next.getTime() - start.getTime()).toBeLessThanOrEqual(policy.retryForMs);
      now = next;
      attempts += 1;
    }
    // 5 s doubling to the 1 h cap: 11 attempts in the first 1.4 h, then 22 an hour apart.
    expect(attempts).toBe(33);
    expect(now.getTime() - start.getTime()).toBeGreaterThan(policy.retryForMs - policy.maxDelayMs);
    expect(nextAttemptAfterFailure(1, start, start, { ...policy, retryForMs: 0 })).toBeNull();
  });

  it('turns an endpoint off after failing long enough and often enough, or at once on 410', () => {
    const since = new Date('2026-12-03T00:00:00Z');
    const run = { failingSince: since, consecutiveFailures: MIN_FAILURES_BEFORE_DISABLE, lastStatus: 500, lastError: 'answered HTTP 500' };
    const dayLater = new Date(since.getTime() + policy.disableAfterMs);
    expect(disableReason(run, new Date(dayLater.getTime() - 1), policy)).toBeNull();
    expect(disableReason({ ...run, consecutiveFailures: MIN_FAILURES_BEFORE_DISABLE - 1 }, dayLater, policy)).toBeNull();
    expect(disableReason(run, dayLater, policy)).toBe(`every attempt failed since 2026-12-03T00:00:00.000Z (${MIN_FAILURES_BEFORE_DISABLE} in a row); the last: answered HTTP 500`);
    expect(disableReason({ ...run, consecutiveFailures: 1, lastStatus: 410 }, since, policy)).toBe('the endpoint answered 410 Gone');
  });
});
