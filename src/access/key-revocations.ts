// A revoked key stops working on every replica at once, not when their key caches expire: the
// revocation is announced on the database (LISTEN/NOTIFY on PostgreSQL) and every authenticator
// following the announcements forgets the key. A replica whose listening connection is down misses
// the announcement; its cache still forgets the key within the authenticator's TTL (5 s).
import type { Notifications } from '../platform/database/notifications';
import type { ApiKeyAuthenticator, ApiKeyStore } from './api-keys';

const KEY_REVOKED_CHANNEL = 'did_notary_key_revoked';

/** Revokes a key and announces it; false when there was no such active key. */
export async function revokeAndAnnounce(store: Pick<ApiKeyStore, 'revokeApiKey'>, notifications: Pick<Notifications, 'notify'>, keyId: string): Promise<boolean> {
  if (!(await store.revokeApiKey(keyId))) return false;
  await notifications.notify(KEY_REVOKED_CHANNEL, keyId);
  return true;
}

/** Makes `authenticator` forget every key revoked anywhere from now on; returns the unsubscribe. */
export function followKeyRevocations(notifications: Pick<Notifications, 'listen'>, authenticator: Pick<ApiKeyAuthenticator, 'forget'>): Promise<() => Promise<void>> {
  return notifications.listen(KEY_REVOKED_CHANNEL, (keyId) => authenticator.forget(keyId));
}
