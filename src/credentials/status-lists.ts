// Our W3C Bitstring Status Lists: random index allocation without reuse, a new signed version on every
// status change, and each version's SHA-256 handed to the notary so the revocation history is anchored.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { DomainError } from '../core/errors';
import type { ServiceIdentity } from '../did/service-identity';
import type { SqlExecutor } from '../store/sql-client';
import { bitstringWithSetBits, MIN_STATUS_LIST_BITS } from './bitstring';
import type { CredentialStore, StatusListRecord, StatusPurpose } from './credential-store';
import { signStatusListCredential } from './status-list-credential';

/** The route that serves status lists; a list's URL is `<base URL>/v1/status-lists/<id>`. */
export const STATUS_LIST_PATH = '/v1/status-lists/';

/** A `credentialStatus` entry we allocated. */
export interface AllocatedStatusEntry {
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: StatusPurpose;
  statusListIndex: string;
  statusListCredential: string;
}

/** A list version created inside a transaction; notarize it after the commit. */
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
  /** Bits per list (default and minimum: 131,072). */
  length?: number;
  /** Milliseconds clock. */
  now?: () => number;
  /** Random index in [0, length): injectable for tests of collisions. */
  randomIndex?: (length: number) => number;
}

/** Random picks before a list counts as full: with 16 tries it fills to about 85 % before rotating. */
const ALLOCATION_ATTEMPTS = 16;

export class StatusLists {
  private readonly length: number;
  private readonly now: () => number;
  private readonly randomIndex: (length: number) => number;

  constructor(private readonly options: StatusListsOptions) {
    this.length = options.length ?? MIN_STATUS_LIST_BITS;
    if (this.length < MIN_STATUS_LIST_BITS || this.length % 8 !== 0) {
      throw new RangeError(`a status list needs at least ${MIN_STATUS_LIST_BITS} bits, a multiple of 8`);
    }
    this.now = options.now ?? Date.now;
    this.randomIndex = options.randomIndex ?? ((length) => randomInt(length));
  }

  /** Takes a random unused index in an open list of `purpose` (creating and publishing a list if needed). */
  async allocate(
    tx: SqlExecutor,
    purpose: StatusPurpose,
  ): Promise<{ entry: AllocatedStatusEntry; listId: string; index: number; published?: PublishedStatusListVersion }> {
    const { store } = this.options;
    for (let round = 0; round < 3; round++) {
      let published: PublishedStatusListVersion | undefined;
      let list = await store.openStatusList(tx, purpose);
      if (!list) {
        const created = await this.createList(tx, purpose);
        list = { id: created.listId, url: created.url, length: this.length };
        published = { listId: created.listId, version: created.version, sha256: created.sha256 };
      }
      for (let attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
        const index = this.randomIndex(list.length);
        if (await store.claimStatusIndex(tx, list.id, index)) {
          const url = list.url;
          return {
            entry: {
              id: `${url}#${index}`,
              type: 'BitstringStatusListEntry',
              statusPurpose: purpose,
              statusListIndex: String(index),
              statusListCredential: url,
            },
            listId: list.id,
            index,
            ...(published ? { published } : {}),
          };
        }
      }
      await store.markStatusListFull(tx, list.id);
    }
    throw new Error(`could not allocate a ${purpose} status index`);
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
    return this.options.store.isStatusSet(id, index);
  }

  private async createList(tx: SqlExecutor, purpose: StatusPurpose): Promise<PublishedStatusListVersion & { url: string }> {
    const id = `${purpose}-${randomBytes(6).toString('hex')}`;
    const url = `${this.options.baseUrl().replace(/\/+$/, '')}${STATUS_LIST_PATH}${id}`;
    const jwt = await signStatusListCredential(this.options.identity, {
      url,
      purpose,
      bits: new Uint8Array(this.length / 8),
      validFromSeconds: Math.floor(this.now() / 1000),
    });
    const sha256 = sha256Of(jwt);
    await this.options.store.insertStatusList(tx, { id, purpose, url, length: this.length, jwt, sha256 });
    return { listId: id, version: 1, sha256, url };
  }
}

/** SHA-256 of the served JWT text: the "document" notarized for each list version. */
export function sha256Of(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}
