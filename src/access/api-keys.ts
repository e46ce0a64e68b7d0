// API keys: random bearer secrets stored only as SHA-256 hashes, each owned by a tenant with scopes.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiKeyRecord, Scope, SqlStore } from '../store/store';

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
  store: SqlStore,
  options: { tenantId: string; scopes: Scope[]; label?: string },
): Promise<CreatedApiKey> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await store.insertApiKey({ id, tenantId: options.tenantId, keyHash: hashApiKey(secret), scopes: options.scopes, label: options.label });
  return { record, secret };
}

/** The active key matching a presented secret, or null. */
export async function authenticateApiKey(store: SqlStore, secret: string): Promise<ApiKeyRecord | null> {
  if (!secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
  return store.findActiveApiKeyByHash(hashApiKey(secret));
}

/**
 * On the very first start (no key at all) creates the admin key and writes it to
 * `<dataDir>/admin-api-key` with mode 0600; returns the secret so it can be printed once.
 */
export async function bootstrapAdminKey(store: SqlStore, dataDir: string): Promise<CreatedApiKey | null> {
  if ((await store.countApiKeys()) > 0) return null;
  const created = await createApiKey(store, { tenantId: 'admin', scopes: ['admin', 'notarize', 'issue'], label: 'bootstrap admin key' });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'admin-api-key'), `${created.secret}\n`, { mode: 0o600 });
  return created;
}
