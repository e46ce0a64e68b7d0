// Random status index allocation on a real store: indices are claimed in blocks held in memory, and
// concurrent issues, replicas and restarts never share an index; a list that fills up is replaced.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialIssuer, type IssuedJwtVc } from '../../../src/identity/credentials/issuance/credential-issuer';
import { Wallet } from 'ethers';
import { CredentialStore, type NewCredentialRecord } from '../../../src/identity/sql/credential-store';
import { StatusLists, type PublishedStatusListVersion } from '../../../src/identity/credentials/status-lists/status-lists';
import { createServiceIdentity } from '../../../src/identity/did/service-identity';
import { makeTempDir } from '../../helpers/service-process';
import { openStoreFromTemplate } from './helpers/identity-harness';
import { inMemoryServiceKeys, testSigners } from './helpers/test-keys';
import type { TestStores } from '../../helpers/stores';

let dataDir: string;
let sqlStore: TestStores;
beforeAll(async () => {
  dataDir = makeTempDir('did-notary-allocation-');
  sqlStore = await openStoreFromTemplate(dataDir);
});
afterAll(async () => {
  await sqlStore?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const request = { subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', type: 'T', claims: { n: 1 } };

/** An issuer on the shared store (a process of its own) whose random indices come from `randomIndex`. */
function issuerWith(randomIndex?: (length: number) => number) {
  const store = new CredentialStore(sqlStore.db);
  const keys = inMemoryServiceKeys();
  const identity = createServiceIdentity(keys, 31337);
  const { statusListSigners, issuerSigners } = testSigners(identity, keys);
  const published: PublishedStatusListVersion[] = [];
  const publish = async (version: PublishedStatusListVersion) => {
    published.push(version);
  };
  const statusLists = new StatusLists({ store, signers: statusListSigners, baseUrl: () => 'https://notary.example', publish, ...(randomIndex ? { randomIndex } : {}) });
  return { issuer: jwtVcIssuer(new CredentialIssuer({ store, statusLists, identity, ...issuerSigners, publish })), statusLists, published, store };
}

/** The issuer, for the jwt_vc_json requests of this file: answers typed as W3C credentials with their two status entries. */
function jwtVcIssuer(issuer: CredentialIssuer) {
  return { issue: (tenantId: string, input: unknown) => issuer.issue(tenantId, input) as Promise<{ result: IssuedJwtVc; replayed: boolean }> };
}

/** A seeded pseudo-random index below `below` (mulberry32): repeatable runs, picks that overlap on purpose. */
function seededIndices(seed: number, below: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % below;
  };
}

async function claimedIndices(listId: string): Promise<number[]> {
  const rows = await sqlStore.db.query<{ i: number }>('SELECT entry_index AS i FROM status_list_entries WHERE list_id = $1', [listId]);
  return rows.map((r) => Number(r.i));
}

const listIdOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function retireAllLists(): Promise<void> {
  await sqlStore.db.query('UPDATE status_lists SET is_full = true');
}

const indicesOf = (status: Array<{ statusListCredential: string; statusListIndex: string }>) => status.map((s) => `${s.statusListCredential}#${s.statusListIndex}`);

describe('status index allocation', () => {
  it('gives concurrent issues distinct indices and records every credential', async () => {
    const { issuer } = issuerWith();
    const results = await Promise.all(Array.from({ length: 40 }, () => issuer.issue('acme', request)));
    const all = results.flatMap((r) => indicesOf(r.result.status));
    expect(new Set(all).size).toBe(80);
    const rows = await sqlStore.db.query<{ n: number }>('SELECT count(*)::int AS n FROM issued_credentials WHERE id = ANY($1::text[])', [results.map((r) => r.result.id)]);
    expect(rows[0]!.n).toBe(40);
  });

  it('records concurrent issues in groups, the first written while the last are still being signed', async () => {
    const events: string[] = [];
    class RecordingStore extends CredentialStore {
      override insertCredentials(executor: Parameters<CredentialStore['insertCredentials']>[0], records: readonly NewCredentialRecord[]) {
        events.push(`write ${records.length}`);
        return super.insertCredentials(executor, records);
      }
    }
    const store = new RecordingStore(sqlStore.db);
    const keys = inMemoryServiceKeys();
    const identity = createServiceIdentity(keys, 31337);
    const signer = identity.signer;
    const signing = { ...identity, did: identity.did, signer: (data: string | Uint8Array) => (events.push('sign'), signer(data)) };
    const { statusListSigners, issuerSigners } = testSigners(signing, keys);
    const publish = async () => undefined;
    const statusLists = new StatusLists({ store, signers: statusListSigners, baseUrl: () => 'https://notary.example', publish });
    const issuer = jwtVcIssuer(new CredentialIssuer({ store, statusLists, identity: signing, ...issuerSigners, publish }));
    // lists exist, and enough indices are claimed that no issue below waits for a block
    for (let i = 0; i < 24; i++) await issuer.issue('acme', request);
    events.length = 0;
    const results = await Promise.all(Array.from({ length: 16 }, () => issuer.issue('acme', request)));
    const writes = events.filter((e) => e.startsWith('write')).map((e) => Number(e.split(' ')[1]));
    expect(writes.reduce((a, b) => a + b, 0)).toBe(16);
    expect(Math.max(...writes)).toBeLessThanOrEqual(8);
    expect(events.indexOf('write 8')).toBeLessThan(events.lastIndexOf('sign'));
    const rows = await sqlStore.db.query<{ n: number }>('SELECT count(*)::int AS n FROM issued_credentials WHERE id = ANY($1::text[])', [results.map((r) => r.result.id)]);
    expect(rows[0]!.n).toBe(16);
  });

  it('refuses a second credential with the same explicit id, also when both arrive together, without failing the others', async () => {
    const { issuer } = issuerWith();
    const id = `urn:example:${Wallet.createRandom().address}`;
    const outcomes = await Promise.allSettled([
      issuer.issue('acme', { ...request, id }),
      issuer.issue('acme', request),
      issuer.issue('acme', { ...request, id }),
      issuer.issue('acme', request),
    ]);
    const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 'issued' : (o.reason as { code?: string }).code));
    expect(codes.filter((c) => c === 'issued')).toHaveLength(3);
    expect(codes.filter((c) => c === 'CREDENTIAL_ALREADY_EXISTS')).toHaveLength(1);
    expect(codes[1]).toBe('issued');
    expect(codes[3]).toBe('issued');
    await expect(issuer.issue('acme', { ...request, id })).rejects.toMatchObject({ code: 'CREDENTIAL_ALREADY_EXISTS' });
  });

  it('never gives out an index another replica or an earlier run of the service claimed, when their picks overlap', async () => {
    await retireAllLists();
    // Picks among 48 indices only: blocks of both issuers collide often, and the lists fill up and are replaced.
    const first = issuerWith(seededIndices(1, 48));
    const second = issuerWith(seededIndices(2, 48));
    const issued = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? first : second).issuer.issue('acme', request)));
    // a restart: a fresh process with the first one's seed repeats its picks, claimed or used
    const restarted = issuerWith(seededIndices(1, 48));
    for (let i = 0; i < 10; i++) issued.push(await restarted.issuer.issue('acme', request));
    const all = issued.flatMap((r) => indicesOf(r.result.status));
    expect(new Set(all).size).toBe(all.length);
    const rows = await sqlStore.db.query<{ n: number }>('SELECT count(*)::int AS n FROM issued_credentials WHERE id = ANY($1::text[])', [issued.map((r) => r.result.id)]);
    expect(rows[0]!.n).toBe(40);
    // every index given out is claimed in the store (so no later process can pick it)
    for (const { result } of issued) {
      for (const entry of result.status) expect(await claimedIndices(listIdOf(entry.statusListCredential))).toContain(Number(entry.statusListIndex));
    }
  });

  it('skips the indices a stopped process had claimed but not used', async () => {
    await retireAllLists();
    const crashed = issuerWith(seededIndices(3, 100_000));
    const before = await crashed.issuer.issue('acme', request); // claims a first block per purpose, uses one index of each
    const lists = before.result.status.map((s) => listIdOf(s.statusListCredential));
    const unused = await Promise.all(lists.map(async (listId, i) => (await claimedIndices(listId)).filter((index) => index !== Number(before.result.status[i]!.statusListIndex))));
    expect(unused[0]!.length).toBeGreaterThan(0);
    // The next process's picks are those indices, each followed by a fresh one.
    const picks = [...new Set(unused.flat())].flatMap((index, i) => [index, 120_000 + i]);
    const next = issuerWith(() => picks.shift() ?? 130_000 + Math.floor(Math.random() * 1000));
    const after = await Promise.all(Array.from({ length: 8 }, () => next.issuer.issue('acme', request)));
    for (const { result } of after) {
      expect(result.status.map((s) => listIdOf(s.statusListCredential))).toEqual(lists); // the same, still open, lists
      for (const [i, entry] of result.status.entries()) expect(unused[i]).not.toContain(Number(entry.statusListIndex));
    }
  });

  it('hands indices given back (an idempotent replay) to the next credential', async () => {
    const { statusLists } = issuerWith();
    const first = await statusLists.allocate();
    statusLists.release([first.revocation, first.suspension]);
    const again = await statusLists.allocate();
    expect(again).toEqual(first);
    const other = await statusLists.allocate();
    expect(other.revocation.index === first.revocation.index && other.revocation.listId === first.revocation.listId).toBe(false);
  });

  it('starts a new list when one is full, and publishes its first version', async () => {
    await retireAllLists();
    const { issuer, published, store } = issuerWith(() => 7);
    const first = await issuer.issue('acme', request);
    const before = published.length;
    const second = await issuer.issue('acme', request);
    expect(second.result.status.map((s) => s.statusListIndex)).toEqual(['7', '7']);
    const firstLists = first.result.status.map((s) => s.statusListCredential);
    const secondLists = second.result.status.map((s) => s.statusListCredential);
    expect(secondLists[0]).not.toBe(firstLists[0]);
    expect(secondLists[1]).not.toBe(firstLists[1]);
    expect(published.length - before).toBe(2); // one new list per purpose, each notarized
    await issuer.issue('acme', { ...request, claims: { n: 2 } }).catch(() => undefined); // lets the issuer record the old lists as full
    for (const url of firstLists) {
      const id = url.slice(url.lastIndexOf('/') + 1);
      const rows = await store.db.query<{ is_full: boolean }>('SELECT is_full FROM status_lists WHERE id = $1', [id]);
      expect(rows[0]!.is_full).toBe(true);
    }
  });
});
