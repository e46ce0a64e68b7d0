// Per-API-key token buckets: a burst of one second's worth, refilled continuously.
import type { ApiKeyRecord } from '../access/api-keys';
import { HttpProblem } from './problems';

/** Creates the limiter used right after authentication; 0 requests/s disables it. */
export function createRateLimiter(requestsPerSecond: number): (key: ApiKeyRecord) => void {
  const buckets = new Map<string, { tokens: number; updatedAt: number }>();
  return (key) => {
    if (requestsPerSecond <= 0) return;
    const now = Date.now();
    const bucket = buckets.get(key.id) ?? { tokens: requestsPerSecond, updatedAt: now };
    bucket.tokens = Math.min(requestsPerSecond, bucket.tokens + ((now - bucket.updatedAt) / 1000) * requestsPerSecond);
    bucket.updatedAt = now;
    buckets.set(key.id, bucket);
    if (buckets.size > 10_000) buckets.delete(buckets.keys().next().value as string);
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / requestsPerSecond));
      throw new HttpProblem('rate-limited', `this API key is limited to ${requestsPerSecond} requests per second`, {}, {
        'Retry-After': String(retryAfter),
      });
    }
    bucket.tokens -= 1;
  };
}
