// When a failed delivery is tried again: exponential backoff with jitter, within a retry window, and
// when an endpoint that keeps failing is turned off. Pure functions of the policy and the history.

export interface RetryPolicy {
  /** Delay before the first retry; each further retry doubles it (WEBHOOK_RETRY_DELAY). */
  firstDelayMs: number;
  /** The longest delay between two attempts (WEBHOOK_RETRY_MAX_DELAY). */
  maxDelayMs: number;
  /** A delivery is given up once its next attempt would fall this long after its first (WEBHOOK_RETRY_FOR). */
  retryForMs: number;
  /** An endpoint whose every attempt failed for this long is turned off (WEBHOOK_DISABLE_AFTER). */
  disableAfterMs: number;
}

/**
 * Failed attempts in a row an endpoint needs besides `disableAfterMs` before it is turned off: one
 * failure a day ago followed by silence is no reason to stop delivering.
 */
export const MIN_FAILURES_BEFORE_DISABLE = 5;

/**
 * The delay after the `failures`-th failed attempt of a series: firstDelay · 2^(failures−1), capped at
 * maxDelay, then "equal jitter" — half of it fixed, half uniformly random — so the retries of many
 * deliveries that failed together (a receiver's outage) spread out instead of arriving in waves,
 * and none comes back sooner than half its step.
 */
export function retryDelayMs(failures: number, policy: Pick<RetryPolicy, 'firstDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * When to try again after a failed attempt at `now`, or null to give up: the series started at
 * `retryingSince` (its first attempt) and may not run past `retryForMs`.
 */
export function nextAttemptAfterFailure(
  failures: number,
  retryingSince: Date,
  now: Date,
  policy: Pick<RetryPolicy, 'firstDelayMs' | 'maxDelayMs' | 'retryForMs'>,
  random: () => number = Math.random,
): Date | null {
  const next = now.getTime() + retryDelayMs(failures, policy, random);
  return next - retryingSince.getTime() > policy.retryForMs ? null : new Date(next);
}

/**
 * Why an endpoint must be turned off after a failed attempt, or null to keep it: it answered 410 Gone
 * (the Standard Webhooks way of asking to stop), or every attempt failed for `disableAfterMs` and at
 * least MIN_FAILURES_BEFORE_DISABLE times in a row.
 */
export function disableReason(
  run: { failingSince: Date; consecutiveFailures: number; lastStatus: number | null; lastError: string },
  now: Date,
  policy: Pick<RetryPolicy, 'disableAfterMs'>,
): string | null {
  if (run.lastStatus === 410) return 'the endpoint answered 410 Gone';
  if (run.consecutiveFailures < MIN_FAILURES_BEFORE_DISABLE || now.getTime() - run.failingSince.getTime() < policy.disableAfterMs) return null;
  return `every attempt failed since ${run.failingSince.toISOString()} (${run.consecutiveFailures} in a row); the last: ${run.lastError}`;
}
