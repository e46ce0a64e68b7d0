// The validator's per-request route compilation is served from a cache, with the same results.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { memoizeRoutePatterns } from '../../src/http/route-regexp-cache';

type Compiled = { regexp: RegExp; keys: Array<{ name: string }> };
const pathToRegexpModule = createRequire(__filename)('path-to-regexp') as { pathToRegexp: (path: unknown, options?: object) => Compiled };

describe('memoizeRoutePatterns', () => {
  it('compiles each documented path once and matches as before', () => {
    const fresh = pathToRegexpModule.pathToRegexp('/v1/receipts/:id', { sensitive: false, strict: false });
    memoizeRoutePatterns();
    memoizeRoutePatterns(); // idempotent
    const first = pathToRegexpModule.pathToRegexp('/v1/receipts/:id', { sensitive: false, strict: false });
    const second = pathToRegexpModule.pathToRegexp('/v1/receipts/:id', { sensitive: false, strict: false });
    expect(second).toBe(first);
    expect(first.regexp.source).toBe(fresh.regexp.source);
    expect(first.keys.map((k) => k.name)).toEqual(['id']);
    expect(first.regexp.exec('/v1/receipts/bafkrei123')?.[1]).toBe('bafkrei123');
    // Other options are another entry, not the cached one.
    const sensitive = pathToRegexpModule.pathToRegexp('/v1/receipts/:id', { sensitive: true, strict: false });
    expect(sensitive).not.toBe(first);
    expect(sensitive.regexp.test('/V1/receipts/x')).toBe(false);
    expect(first.regexp.test('/V1/receipts/x')).toBe(true);
  });
});
