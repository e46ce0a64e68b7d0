// Load against the real service with autocannon (loopback only), behind a small typed wrapper:
// every request can get a fresh path or body, so ids stay unique across requests and runs.

/** The part of autocannon's result the bench reads. */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  '2xx': number;
  latency: { average: number; p50: number; p90: number; p99: number; max: number };
  requests: { average: number; total: number; sent: number };
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonRequest {
  method?: string;
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  method?: string;
  headers?: Record<string, string>;
  requests?: AutocannonRequest[];
  verifyBody?: (body: string) => boolean;
  timeout?: number;
}

type Autocannon = (options: AutocannonOptions, done: (error: Error | null, result: AutocannonResult) => void) => { stop(): void };
// autocannon ships no types; this is the slice of its documented API used here.
const autocannon = require('autocannon') as Autocannon;

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  durationSeconds: number;
  /** Fixed request rate over all connections (latency is then corrected for coordinated omission). */
  overallRate?: number;
  headers?: Record<string, string>;
  /** Path of each request (default '/'). */
  path: () => string;
  /** Text, or bytes for a binary body (time-stamp queries). */
  body?: () => string | Buffer;
  /** Counted as a mismatch when false (the body as text). */
  verifyBody?: (body: string) => boolean;
}

export interface LoadResult {
  durationSeconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  okPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (!/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?$/.test(options.url)) {
    return Promise.reject(new Error(`load is only ever sent to loopback, not ${options.url}`));
  }
  const makeBody = options.body;
  const makePath = options.path;
  // The load generator shares this process: collect the harness's own garbage now (npm run bench
  // runs with --expose-gc), so that its pauses (e.g. the million leaves of an earlier figure) are
  // not measured as the service's latency.
  (globalThis as { gc?: () => void }).gc?.();
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        overallRate: options.overallRate,
        timeout: 30,
        method: options.method,
        headers: options.headers,
        verifyBody: options.verifyBody,
        requests: [
          {
            method: options.method,
            setupRequest: (request) => ({ ...request, path: makePath(), ...(makeBody ? { body: makeBody() } : {}) }),
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(stat.count);
        resolve({
          durationSeconds: result.duration,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          mismatches: result.mismatches,
          okPerSecond: result['2xx'] / result.duration,
          latencyMs: {
            mean: result.latency.average,
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            max: result.latency.max,
          },
          statusCodes,
        });
      },
    );
  });
}
