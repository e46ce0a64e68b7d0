// A bounded cache with per-entry expiry: least recently used entries go first when full.

export interface TtlLruCacheOptions {
  maxEntries: number;
  ttlMs: number;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
}

export class TtlLruCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: TtlLruCacheOptions) {
    if (!(options.maxEntries >= 1) || !(options.ttlMs > 0)) throw new RangeError('a cache needs maxEntries >= 1 and ttlMs > 0');
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live value, refreshed as most recently used; undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
