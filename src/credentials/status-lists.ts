// Our W3C Bitstring Status Lists: random index allocation without reuse, a new signed version on every
// status change, and each version's SHA-256 handed to the notary so the revocation history is anchored.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { DomainError } from '../core/errors';
import type { ServiceIdentity } from '../did/service-identity';
import type { SqlExecutor } from '../store/sql-client';
import { bitstringWithSetBits, MIN_STATUS_LIST_BITS } from './bitstring';
import type { CredentialStore, OpenStatusList, StatusListRecord, StatusPurpose } from './credential-store';
import { microBatcher } from './micro-batcher';
import { signStatusListCredential } from './status-list-credential';

/** The route that serves status lists; a list's URL is `<base URL>/v1/status-lists/<id>`. */
export const STATUS_LIST_PATH = '/v1/status-lists/';

/** A `credentialStatus` entry as it appears in an issued credential. */
export interface AllocatedStatusEntry {
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: StatusPurpose;
  statusListIndex: string;
  statusListCredential: string;
}

/** A random index in an open list, not yet claimed: the store claims it together with the credential. */
export interface StatusCandidate {
  listId: string;
  index: number;
  entry: AllocatedStatusEntry;
}

/** A newly signed list version; its SHA-256 is notarized once it is committed. */
export interface PublishedStatusListVersion {
  listId: string;
  version: number;
  sha256: Uint8Array;
}

export interface StatusListsOptions {
  store: CredentialStore;
  identity: ServiceIdentity;
  /** The service's public base URL (PUBLIC_URL, or where it listens). */
  baseUrl: () => string;
  /** Announces a committed list version (to the notary); must not throw. */
  publish: (version: PublishedStatusListVersion) => Promise<void>;
  /** Bits per list (default and minimum: 131,072). */
  length?: number;
  /** Milliseconds clock. */
  now?: () => number;
  /** Random index in [0, length): injectable for tests of collisions. */
  randomIndex?: (length: number) => number;
}

/**
 * Collisions in a row after which a list counts as full. A random pick collides with probability
 * "fill ratio", so 16 in a row means the list is about 85 % allocated or more.
 */
const COLLISIONS_BEFORE_FULL = 16;

export class StatusLists {
  private readonly length: number;
  private readonly now: () => number;
  private readonly randomIndex: (length: number) => number;
  /** The list of each purpose new credentials go to (committed state only). */
  private readonly open = new Map<StatusPurpose, Promise<OpenStatusList>>();
  private readonly collisions = new Map<string, number>();
  private readonly full = new Set<string>();
  /** Concurrent verifications share one status query. */
  private readonly statusLookup = microBatcher((lookups: Array<{ listId: string; index: number }>) => this.options.store.areStatusesSet(lookups));

  constructor(private readonly options: StatusListsOptions) {
    this.length = options.length ?? MIN_STATUS_LIST_BITS;
    if (this.length < MIN_STATUS_LIST_BITS || this.length % 8 !== 0) {
      throw new RangeError(`a status list needs at least ${MIN_STATUS_LIST_BITS} bits, a multiple of 8`);
    }
    this.now = options.now ?? Date.now;
    this.randomIndex = options.randomIndex ?? ((length) => randomInt(length));
  }

  /**
   * The open list of each purpose, creating (and publishing) one where none is open. Call it outside
   * any transaction: it reads and writes through the store's own connection.
   */
  async openLists(): Promise<Record<StatusPurpose, OpenStatusList>> {
    for (const id of this.full) {
      await this.options.store.markStatusListFull(this.options.store.db, id);
      this.full.delete(id);
    }
    const [revocation, suspension] = await Promise.all([this.openList('revocation'), this.openList('suspension')]);
    return { revocation, suspension };
  }

  /** A fresh random candidate index in `list`. */
  candidate(list: OpenStatusList): StatusCandidate {
    const index = this.randomIndex(list.length);
    return {
      listId: list.id,
      index,
      entry: {
        id: `${list.url}#${index}`,
        type: 'BitstringStatusListEntry',
        statusPurpose: list.purpose,
        statusListIndex: String(index),
        statusListCredential: list.url,
      },
    };
  }

  /** Records that a candidate was taken; returns true when the list now counts as full. */
  noteCollision(list: OpenStatusList): boolean {
    const count = (this.collisions.get(list.id) ?? 0) + 1;
    this.collisions.set(list.id, count);
    if (count < COLLISIONS_BEFORE_FULL) return false;
    this.collisions.delete(list.id);
    this.full.add(list.id);
    this.open.delete(list.purpose);
    return true;
  }

  /** Records that a candidate was claimed: collisions only count in a row. */
  noteClaimed(listId: string): void {
    this.collisions.delete(listId);
  }

  /** Signs and records the next version of a locked list from the credentials' current state. */
  async republish(tx: SqlExecutor, list: StatusListRecord): Promise<PublishedStatusListVersion> {
    const indices = await this.options.store.setStatusIndices(tx, list.id, list.purpose);
    const jwt = await signStatusListCredential(this.options.identity, {
      url: list.url,
      purpose: list.purpose,
      bits: bitstringWithSetBits(list.length, indices),
      validFromSeconds: Math.floor(this.now() / 1000),
    });
    const sha256 = sha256Of(jwt);
    const version = list.version + 1;
    await this.options.store.saveStatusListVersion(tx, list.id, version, jwt, sha256);
    return { listId: list.id, version, sha256 };
  }

  /** The latest signed version of a list; throws STATUS_LIST_NOT_FOUND. */
  async get(id: string): Promise<{ id: string; purpose: StatusPurpose; version: number; jwt: string }> {
    const list = /^[a-z0-9-]{1,64}$/.test(id) ? await this.options.store.findStatusList(id) : undefined;
    if (!list) throw new DomainError('STATUS_LIST_NOT_FOUND', `no status list ${id.slice(0, 64)}`);
    return { id: list.id, purpose: list.purpose, version: list.version, jwt: list.jwt };
  }

  /**
   * For a status list URL of ours (path `/v1/status-lists/<id>`), whether the bit is set. Undefined
   * when the URL names no list of ours. The caller must already know the credential is ours (issuer).
   */
  async lookup(url: string, index: number): Promise<{ purpose: StatusPurpose; set: boolean } | undefined> {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
    if (!path.startsWith(STATUS_LIST_PATH)) return undefined;
    const id = decodeURIComponent(path.slice(STATUS_LIST_PATH.length));
    if (!/^[a-z0-9-]{1,64}$/.test(id) || index >= this.length) return undefined;
    return this.statusLookup({ listId: id, index });
  }

  private openList(purpose: StatusPurpose): Promise<OpenStatusList> {
    let list = this.open.get(purpose);
    if (!list) {
      list = this.findOrCreate(purpose);
      this.open.set(purpose, list);
      list.catch(() => this.open.delete(purpose));
    }
    return list;
  }

  private async findOrCreate(purpose: StatusPurpose): Promise<OpenStatusList> {
    const { store } = this.options;
    const found = await store.openStatusList(store.db, purpose);
    if (found) return found;
    const created = await store.transaction((tx) => this.createList(tx, purpose));
    await this.options.publish(created.published);
    return created.list;
  }

  private async createList(tx: SqlExecutor, purpose: StatusPurpose): Promise<{ list: OpenStatusList; published: PublishedStatusListVersion }> {
    const id = `${purpose}-${randomBytes(6).toString('hex')}`;
    const base = this.options.baseUrl().replace(/\/+$/, '');
    // The URL goes into every credential using the list: it must be absolute and stable.
    if (!/^https?:\/\/[^/]+/.test(base)) throw new Error(`status lists need an absolute base URL, got ${JSON.stringify(base)}`);
    const url = `${base}${STATUS_LIST_PATH}${id}`;
    const jwt = await signStatusListCredential(this.options.identity, {
      url,
      purpose,
      bits: new Uint8Array(this.length / 8),
      validFromSeconds: Math.floor(this.now() / 1000),
    });
    const sha256 = sha256Of(jwt);
    await this.options.store.insertStatusList(tx, { id, purpose, url, length: this.length, jwt, sha256 });
    return { list: { id, purpose, url, length: this.length }, published: { listId: id, version: 1, sha256 } };
  }
}

/** SHA-256 of the served JWT text: the "document" notarized for each list version. */
export function sha256Of(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}
