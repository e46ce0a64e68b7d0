// Random status index allocation on a real store: concurrent issues (batched into shared statements)
// never share an index, a taken index is picked again, and a list that fills up is replaced.
import fs from 'node:fs';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialIssuer } from '../../src/credentials/credential-issuer';
import { CredentialStore } from '../../src/credentials/credential-store';
import { StatusLists, type PublishedStatusListVersion } from '../../src/credentials/status-lists';
import { createServiceIdentity } from '../../src/did/service-identity';
import type { SqlStore } from '../../src/store/store';
import { makeTempDir } from '../helpers/service-process';
import { openStoreFromTemplate } from './helpers/identity-harness';

let dataDir: string;
let sqlStore: SqlStore;
beforeAll(async () => {
  dataDir = makeTempDir('did-notary-allocation-');
  sqlStore = await openStoreFromTemplate(dataDir);
});
afterAll(async () => {
  await sqlStore?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const request = { subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', type: 'T', claims: { n: 1 } };

/** An issuer on the shared store whose random indices come from `randomIndex`. */
function issuerWith(randomIndex?: (length: number) => number) {
  const store = new CredentialStore(sqlStore.db);
  const identity = createServiceIdentity(Wallet.createRandom().privateKey, 31337);
  const published: PublishedStatusListVersion[] = [];
  const publish = async (version: PublishedStatusListVersion) => {
    published.push(version);
  };
  const statusLists = new StatusLists({ store, identity, baseUrl: () => 'https://notary.example', publish, ...(randomIndex ? { randomIndex } : {}) });
  return { issuer: new CredentialIssuer({ store, statusLists, identity, publish }), published, store };
}

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

  it('picks again when an index is taken, keeping the one it already holds', async () => {
    await retireAllLists(); // fresh, empty lists: the scripted picks below are all free
    const picks = [1001, 2002, 1001, 2003, 1004];
    const { issuer } = issuerWith(() => picks.shift() ?? 9999);
    const first = await issuer.issue('acme', request);
    const second = await issuer.issue('acme', request);
    expect(first.result.status.map((s) => s.statusListIndex)).toEqual(['1001', '2002']);
    // revocation 1001 is taken: picked again (1004); suspension 2003 was free and stays
    expect(second.result.status.map((s) => s.statusListIndex)).toEqual(['1004', '2003']);
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
