// API keys: random bearer secrets stored only as SHA-256 hashes, each owned by a tenant with scopes.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

/** What a key may do; an `admin` key may do everything. `timestamp`: POST /tsa when TSA_AUTH=api-key; `webhooks`: manage its tenant's webhook endpoints. */
export type Scope = 'notarize' | 'issue' | 'timestamp' | 'webhooks' | 'admin';
export const SCOPES: readonly Scope[] = ['notarize', 'issue', 'timestamp', 'webhooks', 'admin'];

/** A key as stored and shown: never its secret or hash. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  scopes: Scope[];
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Where keys are kept (sql/api-key-store.ts); the rest of the service sees only this. */
export interface ApiKeyStore {
  insertApiKey(key: { id: string; tenantId: string; keyHash: Uint8Array; scopes: Scope[]; label?: string }): Promise<ApiKeyRecord>;
  /** The active (not revoked) key with this hash, if any. */
  findActiveApiKeyByHash(keyHash: Uint8Array): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes a key; false when no active key has this id. */
  revokeApiKey(id: string): Promise<boolean>;
  countApiKeys(): Promise<number>;
}

const KEY_PREFIX = 'dnk_';

/** A new key: the secret is shown once; only its hash is stored. */
export interface CreatedApiKey {
  record: ApiKeyRecord;
  secret: string;
}

/** Keys are 256-bit random, so a fast unsalted hash is enough (no dictionary to attack). */
export function hashApiKey(secret: string): Uint8Array {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Creates a key for a tenant; the id is public (listing, revoking), the secret is not. */
export async function createApiKey(
  store: Pick<ApiKeyStore, 'insertApiKey'>,
  options: { tenantId: string; scopes: Scope[]; label?: string },
): Promise<CreatedApiKey> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await store.insertApiKey({ id, tenantId: options.tenantId, keyHash: hashApiKey(secret), scopes: options.scopes, label: options.label });
  return { record, secret };
}

/**
 * Authenticates presented secrets, remembering valid keys briefly so a busy client does not cost a
 * database round trip per request. A key revoked through this process is forgotten at once; one
 * revoked elsewhere (another replica, the CLI) stops working within `ttlMs`.
 */
export class ApiKeyAuthenticator {
  /** Valid keys by the base64 hash of their secret; `fetch` merges concurrent lookups of one secret. */
  private readonly cache: LRUCache<string, ApiKeyRecord, Uint8Array>;

  constructor(store: Pick<ApiKeyStore, 'findActiveApiKeyByHash'>, ttlMs = 5_000, maxEntries = 10_000) {
    this.cache = new LRUCache({
      max: maxEntries,
      ttl: ttlMs,
      // No key for the secret: nothing is remembered, so a key created meanwhile works at once.
      fetchMethod: async (_hash, _stale, { context }) => (await store.findActiveApiKeyByHash(context)) ?? undefined,
    });
  }

  /** The active key matching a presented secret, or null. */
  async authenticate(secret: string): Promise<ApiKeyRecord | null> {
    if (!secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
    const keyHash = hashApiKey(secret);
    const cacheKey = Buffer.from(keyHash).toString('base64');
    // A hit (every request of a busy client) is answered by get(), without fetch()'s bookkeeping.
    return this.cache.get(cacheKey) ?? (await this.cache.fetch(cacheKey, { context: keyHash })) ?? null;
  }

  /** Drops a key from the cache (after revoking it). */
  forget(keyId: string): void {
    for (const [hash, key] of this.cache.entries()) if (key.id === keyId) this.cache.delete(hash);
  }
}

/**
 * On the very first start (no key at all) creates the admin key and writes it to
 * `<dataDir>/admin-api-key` with mode 0600; returns the secret so it can be printed once.
 */
export async function bootstrapAdminKey(store: Pick<ApiKeyStore, 'countApiKeys' | 'insertApiKey'>, dataDir: string): Promise<CreatedApiKey | null> {
  if ((await store.countApiKeys()) > 0) return null;
  const created = await createApiKey(store, { tenantId: 'admin', scopes: ['admin', 'notarize', 'issue'], label: 'bootstrap admin key' });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'admin-api-key'), `${created.secret}\n`, { mode: 0o600 });
  return created;
}
