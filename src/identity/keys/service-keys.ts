// The service's signing keys, live: the active ES256K key (did:ethr credentials, status lists, receipt
// credentials, anchoring) and the active ES256 key (SD-JWT VCs, Token Status Lists, did:web credentials),
// plus every key it signed with before, which stays published so that what it signed still verifies.
// The database says which keys exist and which are active (replicas agree); key files hold the private halves.
import { readKeyFile, removeKeyFile, writeKeyFile } from './key-files';
import { es256kKey, generateEs256Key, type Es256kSigningKey, type Es256SigningKey, type P256PublicJwk, type Secp256k1PublicJwk } from './signing-keys';
import type { ServiceKeyRecord, ServiceKeyStore } from '../sql/service-key-store';

/** A key as the service publishes it (did:web document, JWT VC issuer metadata, GET /v1/signing-keys). */
export interface PublishedSigningKey {
  id: string;
  alg: 'ES256K' | 'ES256';
  publicJwk: Secp256k1PublicJwk | P256PublicJwk;
  /** ES256K: the Ethereum address. */
  address?: string;
  state: 'active' | 'retired';
  createdAt: string;
  retiredAt?: string;
}

/** The keys at one moment: replaced as a whole by a rotation or a reload. */
export interface ServiceKeySet {
  /** The address the service's did:ethr names: its first ES256K key, whatever signs today. */
  identityAddress: string;
  es256k: Es256kSigningKey;
  es256: Es256SigningKey;
  /** ES256K keys of this service that are not active, where their key file is at hand (anchoring replacements). */
  retiredEs256k: Es256kSigningKey[];
  published: PublishedSigningKey[];
}

export interface LoadServiceKeysOptions {
  store: ServiceKeyStore;
  /** Where key files live (`<DATA_DIR>/keys`). */
  keysDir: string;
  /** The configured signer key (SIGNER_PRIVATE_KEY, its file, or the generated one): the first ES256K key. */
  signerPrivateKey: string;
}

/** Thrown when the active key is recorded but its private half is not in the keys directory. */
export class MissingKeyFileError extends Error {}

/** The service's keys; `current()` changes when they are rotated or reloaded. */
export class ServiceKeys {
  constructor(private keys: ServiceKeySet) {}

  get identityAddress(): string {
    return this.keys.identityAddress;
  }

  /** The active ES256K key. */
  es256k(): Es256kSigningKey {
    return this.keys.es256k;
  }

  /** The active ES256 key. */
  es256(): Es256SigningKey {
    return this.keys.es256;
  }

  /** Every key, active ones first. */
  published(): readonly PublishedSigningKey[] {
    return this.keys.published;
  }

  /** An ES256K key of this service (active or retired) by address, when its private half is at hand. */
  es256kByAddress(address: string): Es256kSigningKey | undefined {
    const lower = address.toLowerCase();
    if (this.keys.es256k.address === lower) return this.keys.es256k;
    return this.keys.retiredEs256k.find((key) => key.address === lower);
  }

  /** Swaps in a new set (after a rotation, or a reload when another replica rotated). */
  replace(keys: ServiceKeySet): void {
    this.keys = keys;
  }
}

/**
 * Loads the service's keys. On the first start it records the configured signer key as the ES256K
 * key and generates the ES256 key; later starts (and other replicas) find them recorded. Throws
 * MissingKeyFileError when an active key's private half is missing.
 */
export async function loadServiceKeys(options: LoadServiceKeysOptions): Promise<ServiceKeys> {
  return new ServiceKeys(await readServiceKeySet(options));
}

/**
 * The address the service's did:ethr names, without loading any private key: the first ES256K key
 * recorded, or the configured signer key on a first start. The deployment binding is checked with it
 * before the keys are loaded, so a replica of another deployment is told that, not that a key is missing.
 */
export async function identityAddressOf(store: ServiceKeyStore, signerPrivateKey: string): Promise<string> {
  return (await store.list()).find((record) => record.alg === 'ES256K')?.address ?? es256kKey(signerPrivateKey).address;
}

/** Reads the recorded keys into a ServiceKeySet, recording the first ones when there are none. */
export async function readServiceKeySet(options: LoadServiceKeysOptions): Promise<ServiceKeySet> {
  const { store, keysDir } = options;
  const configured = es256kKey(options.signerPrivateKey);
  let records = await store.list();
  if (!records.some((record) => record.alg === 'ES256K')) {
    await store.insertFirstActive({ id: configured.id, alg: 'ES256K', publicJwk: { ...configured.publicJwk }, address: configured.address });
    records = await store.list();
  }
  if (!records.some((record) => record.alg === 'ES256' && record.state === 'active')) {
    const generated = generateEs256Key();
    writeKeyFile(keysDir, generated);
    // Another replica may have recorded its own key meanwhile: then its key is the one, and ours goes.
    if (!(await store.insertFirstActive({ id: generated.id, alg: 'ES256', publicJwk: { ...generated.publicJwk }, address: null }))) removeKeyFile(keysDir, generated);
    records = await store.list();
  }
  const activeEs256k = records.find((record) => record.alg === 'ES256K' && record.state === 'active')!;
  const activeEs256 = records.find((record) => record.alg === 'ES256' && record.state === 'active')!;
  const es256k = activeEs256k.id === configured.id ? configured : readKeyFile(keysDir, 'ES256K', activeEs256k.id);
  if (!es256k) throw missing(keysDir, activeEs256k, 'es256k');
  const es256 = readKeyFile(keysDir, 'ES256', activeEs256.id);
  if (!es256) throw missing(keysDir, activeEs256, 'es256');
  const retiredEs256k = records
    .filter((record) => record.alg === 'ES256K' && record.state === 'retired')
    .map((record) => (record.id === configured.id ? configured : readKeyFile(keysDir, 'ES256K', record.id)))
    .filter((key): key is Es256kSigningKey => key !== undefined);
  return {
    identityAddress: records.find((record) => record.alg === 'ES256K')!.address!,
    es256k,
    es256,
    retiredEs256k,
    published: [...records.filter((r) => r.state === 'active'), ...records.filter((r) => r.state === 'retired').reverse()].map(toPublished),
  };
}

function missing(keysDir: string, record: ServiceKeyRecord, prefix: string): MissingKeyFileError {
  return new MissingKeyFileError(
    `the service's active ${record.alg} key ${record.id} is recorded in the database, but its private key is not in ${keysDir} ` +
      `(${prefix}-${record.id}.*): copy that file from the replica that created it` +
      (record.alg === 'ES256K' ? ', or give the key as SIGNER_PRIVATE_KEY' : ''),
  );
}

function toPublished(record: ServiceKeyRecord): PublishedSigningKey {
  return {
    id: record.id,
    alg: record.alg,
    publicJwk: record.publicJwk as unknown as PublishedSigningKey['publicJwk'],
    ...(record.address ? { address: record.address } : {}),
    state: record.state,
    createdAt: record.createdAt.toISOString(),
    ...(record.retiredAt ? { retiredAt: record.retiredAt.toISOString() } : {}),
  };
}
