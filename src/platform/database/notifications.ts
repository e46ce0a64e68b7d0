// Messages between the processes sharing one database: PostgreSQL's LISTEN/NOTIFY for replicas, an
// in-process hub for the embedded database (which only one process can open). A notification is a
// hint that makes a change visible sooner (a revoked key, a request to anchor now); whoever relies
// on it still has a bounded fallback (a cache TTL, a timer), because a listening connection can
// drop and miss messages while it reconnects.
import { EventEmitter } from 'node:events';

/** Channel names are SQL identifiers in LISTEN: lower-case letters, digits and underscores only. */
const CHANNEL_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export function assertChannelName(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`not a notification channel name: ${channel}`);
}

/** Listen and notify, as SqlClient offers them. */
export interface Notifications {
  /** Calls `onMessage` with every payload published on `channel` from now on; returns the unsubscribe. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Publishes `payload` (at most 7,000 bytes) to every listener of `channel` on the database, this process included. */
  notify(channel: string, payload: string): Promise<void>;
}

/** The embedded database's notifications: one process, so an event emitter is the whole bus. */
export function inProcessNotifications(): Notifications {
  const hub = new EventEmitter();
  hub.setMaxListeners(0);
  return {
    async listen(channel, onMessage) {
      assertChannelName(channel);
      hub.on(channel, onMessage);
      return async () => {
        hub.off(channel, onMessage);
      };
    },
    async notify(channel, payload) {
      assertChannelName(channel);
      // Asynchronously, as a database notification arrives: never inside the notifier's call stack.
      setImmediate(() => hub.emit(channel, payload));
    },
  };
}
