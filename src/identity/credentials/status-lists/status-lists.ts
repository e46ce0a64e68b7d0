// Our status lists: W3C Bitstring Status Lists (revocation, suspension) for W3C credentials and IETF
// Token Status Lists for SD-JWT VCs. Random index allocation without reuse (indices claimed in blocks),
// a new signed version on every status change, and each version's SHA-256 handed to the notary so the
// revocation history is anchored.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { DomainError } from '../../../core/errors';
import type { SqlExecutor } from '../../../platform/database/sql-client';
import { bitstringWithSetBits, MIN_STATUS_LIST_BITS } from './bitstring';
import type { CredentialStore, OpenStatusList, StatusListPurpose, StatusListRecord, StatusListSigningAlg, StatusPurpose } from '../../sql/credential-store';
import { microBatcher } from '../../../platform/micro-batcher';
import { signStatusListCredential } from './status-list-credential';
import { signTokenStatusList, type TokenStatus } from './token-status-list';
import type { VcJwtIssuer } from '../issuance/vc-jose-credential';
import type { SdJwtVcIssuerKey } from '../issuance/sd-jwt-vc-credential';

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

/** An SD-JWT VC's `status` claim: its place in a Token Status List. */
export interface TokenStatusReference {
  status_list: { idx: number; uri: string };
}

/** An index of an open list claimed in the store for one credential: nobody else is ever given it. */
export interface ClaimedStatusIndex<Entry = AllocatedStatusEntry> {
  listId: string;
  index: number;
  entry: Entry;
}

/** Who signs the lists: the did:ethr (ES256K) and did:web (ES256) credential signers, and the SD-JWT VC issuer key. */
export interface StatusListSigners {
  es256k: () => VcJwtIssuer;
  es256: () => VcJwtIssuer;
  token: () => SdJwtVcIssuerKey;
}

/** A newly signed list version; its SHA-256 is notarized once it is committed. */
export interface PublishedStatusListVersion {
  listId: string;
  version: number;
  sha256: Uint8Array;
}

export interface StatusListsOptions {
  store: CredentialStore;
  signers: StatusListSigners;
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
 * Indices are claimed in blocks: one statement claims a block of random indices for this process, which
 * hands them out from memory. The first block of a list is small (a service issuing a few credentials a
 * day wastes few indices on each restart) and the next ones grow as issuing goes on.
 */
const FIRST_BLOCK = 16;
const LARGEST_BLOCK = 512;
/** A new block is claimed in the background when this share of the current one is left. */
const REFILL_SHARE = 0.25;
/**
 * A block claimed fewer than one pick in this many: the list counts as full. A random pick is free with
 * probability "1 − fill ratio", so a list is about 7/8 allocated when this happens.
 */
const FREE_PICKS_BEFORE_FULL = 8;

/** The claimed indices of the open list of one kind that no credential has been given yet. */
interface IndexPool {
  list: OpenStatusList;
  free: number[];
  nextBlock: number;
  /** The claim of the next block, when one is running. */
  refilling?: Promise<void>;
  /** The list filled up: no more blocks from it. */
  retired: boolean;
}

export class StatusLists {
  private readonly length: number;
  private readonly now: () => number;
  private readonly randomIndex: (length: number) => number;
  /** The open list of each kind (purpose and signing key) with the indices this process holds in it. */
  private readonly pools = new Map<string, Promise<IndexPool>>();
  /** Concurrent verifications share one status query. */
  private readonly statusLookup = microBatcher((lookups: Array<{ listId: string; index: number }>) => this.options.store.areStatusesSet(lookups));
  private readonly tokenLookup = microBatcher((lookups: Array<{ listId: string; index: number }>) => this.options.store.tokenStatuses(lookups));

  constructor(private readonly options: StatusListsOptions) {
    this.length = options.length ?? MIN_STATUS_LIST_BITS;
    if (this.length < MIN_STATUS_LIST_BITS || this.length % 8 !== 0) {
      throw new RangeError(`a status list needs at least ${MIN_STATUS_LIST_BITS} bits, a multiple of 8`);
    }
    this.now = options.now ?? Date.now;
    this.randomIndex = options.randomIndex ?? ((length) => randomInt(length));
  }

  /**
   * One claimed index in the open list of each purpose, creating (and publishing) a list where none is
   * open. The claims are committed before this resolves: after a crash an index given out here is never
   * given out again, whether or not the credential holding it was recorded. Call it outside any
   * transaction: it reads and writes through the store's own connection.
   */
  async allocate(signingAlg: StatusListSigningAlg = 'ES256K'): Promise<Record<StatusPurpose, ClaimedStatusIndex>> {
    const [revocation, suspension] = await Promise.all([this.take('revocation', signingAlg), this.take('suspension', signingAlg)]);
    return { revocation: withEntry(revocation), suspension: withEntry(suspension) };
  }

  /** One claimed index in the open Token Status List (for an SD-JWT VC); as `allocate`, committed first. */
  async allocateToken(): Promise<ClaimedStatusIndex<TokenStatusReference>> {
    const claimed = await this.take('token', 'ES256');
    return { listId: claimed.list.id, index: claimed.index, entry: { status_list: { idx: claimed.index, uri: claimed.list.url } } };
  }

  /**
   * Gives back indices from `allocate` that no credential holds: the caller knows the credential was
   * not recorded (an idempotent replay, a refused request) and never will be.
   */
  release(indices: Iterable<{ listId: string; index: number }>): void {
    for (const claimed of indices) {
      for (const pool of this.pools.values()) {
        // the pool's promise is settled when an index of it was handed out; a newer pool does not matter
        void pool.then((current) => {
          if (current.list.id === claimed.listId && !current.retired) current.free.push(claimed.index);
        }, () => undefined);
      }
    }
  }

  private async take(purpose: StatusListPurpose, signingAlg: StatusListSigningAlg): Promise<{ list: OpenStatusList; index: number }> {
    for (;;) {
      const pool = await this.pool(purpose, signingAlg);
      const index = pool.free.pop();
      if (index !== undefined) {
        // Claimed ahead so takers rarely wait; a failure here is the next empty-handed taker's to report.
        if (pool.free.length < pool.nextBlock * REFILL_SHARE) void this.refill(pool).catch(() => undefined);
        return { list: pool.list, index };
      }
      await this.refill(pool);
    }
  }

  /** The pool of a kind: the open list, found or created once, and its claimed indices. */
  private async pool(purpose: StatusListPurpose, signingAlg: StatusListSigningAlg): Promise<IndexPool> {
    const kind = `${purpose}/${signingAlg}`;
    for (;;) {
      let pending = this.pools.get(kind);
      if (!pending) {
        pending = this.findOrCreate(purpose, signingAlg).then((list) => ({ list, free: [], nextBlock: FIRST_BLOCK, retired: false }));
        this.pools.set(kind, pending);
        const settled = pending;
        settled.catch(() => {
          if (this.pools.get(kind) === settled) this.pools.delete(kind);
        });
      }
      const pool = await pending;
      if (!pool.retired) return pool;
      if (this.pools.get(kind) === pending) this.pools.delete(kind);
    }
  }

  /** Claims the next block of `pool` (one claim at a time); a list found full is retired. */
  private refill(pool: IndexPool): Promise<void> {
    if (pool.retired) return Promise.resolve();
    pool.refilling ??= this.claimBlock(pool).finally(() => {
      pool.refilling = undefined;
    });
    return pool.refilling;
  }

  private async claimBlock(pool: IndexPool): Promise<void> {
    const { store } = this.options;
    const size = Math.min(pool.nextBlock, pool.list.length);
    const picks = new Set<number>();
    for (let draw = 0; draw < size * 4 && picks.size < size; draw++) picks.add(this.randomIndex(pool.list.length));
    const claimed = await store.claimStatusIndices(pool.list.id, [...picks]);
    pool.nextBlock = Math.min(pool.nextBlock * 2, LARGEST_BLOCK);
    if (claimed.length * FREE_PICKS_BEFORE_FULL < picks.size) {
      // Its few claimed indices stay unused: claimed but unused is harmless, used twice is not. Marked
      // full before it is retired, so the next pool cannot find it open again.
      await store.markStatusListFull(store.db, pool.list.id);
      pool.retired = true;
      return;
    }
    pool.free.push(...claimed);
  }

  /** Signs and records the next version of a locked list from the credentials' current state. */
  async republish(tx: SqlExecutor, list: StatusListRecord): Promise<PublishedStatusListVersion> {
    const { store } = this.options;
    const jwt =
      list.purpose === 'token'
        ? this.signToken(list, await store.tokenStatusEntries(tx, list.id))
        : await this.signBitstring(list, list.purpose, bitstringWithSetBits(list.length, await store.setStatusIndices(tx, list.id, list.purpose)));
    const sha256 = sha256Of(jwt);
    const version = list.version + 1;
    await store.saveStatusListVersion(tx, list.id, version, jwt, sha256);
    return { listId: list.id, version, sha256 };
  }

  private signBitstring(list: { url: string; signingAlg: StatusListSigningAlg }, purpose: StatusPurpose, bits: Uint8Array): Promise<string> {
    const signer = list.signingAlg === 'ES256' ? this.options.signers.es256() : this.options.signers.es256k();
    return signStatusListCredential(signer, { url: list.url, purpose, bits, validFromSeconds: Math.floor(this.now() / 1000) });
  }

  private signToken(list: { url: string; length: number }, entries: ReadonlyArray<{ index: number; revoked: boolean }>): string {
    return signTokenStatusList(this.options.signers.token(), {
      uri: list.url,
      length: list.length,
      entries: entries.map(({ index, revoked }) => ({ index, status: revoked ? 'revoked' : 'suspended' })),
      iatSeconds: Math.floor(this.now() / 1000),
    });
  }

  /** The latest signed version of a list; throws STATUS_LIST_NOT_FOUND. */
  async get(id: string): Promise<{ id: string; purpose: StatusListPurpose; version: number; jwt: string }> {
    const list = /^[a-z0-9-]{1,64}$/.test(id) ? await this.options.store.findStatusList(id) : undefined;
    if (!list) throw new DomainError('STATUS_LIST_NOT_FOUND', `no status list ${id.slice(0, 64)}`);
    return { id: list.id, purpose: list.purpose, version: list.version, jwt: list.jwt };
  }

  /**
   * For a status list URL of ours (path `/v1/status-lists/<id>`), whether the bit is set. Undefined
   * when the URL names no list of ours. The caller must already know the credential is ours (issuer).
   */
  async lookup(url: string, index: number): Promise<{ purpose: StatusListPurpose; set: boolean } | undefined> {
    const id = this.ownListId(url, index);
    return id === undefined ? undefined : this.statusLookup({ listId: id, index });
  }

  /**
   * For a Token Status List URL of ours, the credential's state at `index`; undefined when the URL names
   * no token list of ours. The caller must already know the credential is ours (issuer).
   */
  async lookupToken(url: string, index: number): Promise<TokenStatus | undefined> {
    const id = this.ownListId(url, index);
    return id === undefined ? undefined : this.tokenLookup({ listId: id, index });
  }

  private ownListId(url: string, index: number): string | undefined {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
    if (!path.startsWith(STATUS_LIST_PATH)) return undefined;
    const id = decodeURIComponent(path.slice(STATUS_LIST_PATH.length));
    if (!/^[a-z0-9-]{1,64}$/.test(id) || !Number.isSafeInteger(index) || index < 0 || index >= this.length) return undefined;
    return id;
  }

  private async findOrCreate(purpose: StatusListPurpose, signingAlg: StatusListSigningAlg): Promise<OpenStatusList> {
    const { store } = this.options;
    const found = await store.openStatusList(store.db, purpose, signingAlg);
    if (found) return found;
    const created = await store.transaction((tx) => this.createList(tx, purpose, signingAlg));
    await this.options.publish(created.published);
    return created.list;
  }

  private async createList(
    tx: SqlExecutor,
    purpose: StatusListPurpose,
    signingAlg: StatusListSigningAlg,
  ): Promise<{ list: OpenStatusList; published: PublishedStatusListVersion }> {
    const id = `${purpose}-${randomBytes(6).toString('hex')}`;
    const base = this.options.baseUrl().replace(/\/+$/, '');
    // The URL goes into every credential using the list: it must be absolute and stable.
    if (!/^https?:\/\/[^/]+/.test(base)) throw new Error(`status lists need an absolute base URL, got ${JSON.stringify(base)}`);
    const url = `${base}${STATUS_LIST_PATH}${id}`;
    const jwt = purpose === 'token' ? this.signToken({ url, length: this.length }, []) : await this.signBitstring({ url, signingAlg }, purpose, new Uint8Array(this.length / 8));
    const sha256 = sha256Of(jwt);
    await this.options.store.insertStatusList(tx, { id, purpose, signingAlg, url, length: this.length, jwt, sha256 });
    return { list: { id, purpose, signingAlg, url, length: this.length }, published: { listId: id, version: 1, sha256 } };
  }
}

/** A claimed index of a W3C list, with the `credentialStatus` entry that points at it. */
function withEntry(claimed: { list: OpenStatusList; index: number }): ClaimedStatusIndex {
  const { list, index } = claimed;
  return {
    listId: list.id,
    index,
    entry: {
      id: `${list.url}#${index}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: list.purpose as StatusPurpose,
      statusListIndex: String(index),
      statusListCredential: list.url,
    },
  };
}

/** SHA-256 of the served JWT text: the "document" notarized for each list version. */
export function sha256Of(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}
