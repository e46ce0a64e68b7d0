// Composition of the identity and credentials feature: one call builds the service identity, the DID
// resolver, issuer, verifiers, status lists and challenges on a store, the service's keys and a chain
// configuration.
import type { DIDDocument } from 'did-resolver';
import { DidResolver, type EthrNetworkConfig } from './did/did-resolution';
import { didWebForUrl } from './did/did-web';
import { didWebKeyId, serviceDidWebDocument, type PublishedLogKey } from './did/did-web-document';
import { OutboundFetcher, type OutboundFetchPolicy } from '../platform/outbound/outbound-fetch';
import { createServiceIdentity, type ServiceIdentity } from './did/service-identity';
import type { SqlClient } from '../platform/database/sql-client';
import { CredentialIssuer, type ErrorReporter } from './credentials/issuance/credential-issuer';
import type { SdJwtVcIssuerKey } from './credentials/issuance/sd-jwt-vc-credential';
import type { VcJwtIssuer } from './credentials/issuance/vc-jose-credential';
import { CredentialStore } from './sql/credential-store';
import { CredentialVerifier } from './credentials/verification/credential-verifier';
import { PresentationChallenges } from './credentials/verification/presentation-challenges';
import { PresentationVerifier } from './credentials/verification/presentation-verifier';
import { SdJwtIssuerKeys } from './credentials/verification/sd-jwt-issuer-keys';
import { SdJwtVcVerifier } from './credentials/verification/sd-jwt-vc-verifier';
import type { Receipt } from '../core/receipts/receipt';
import { signReceiptCredential } from './credentials/issuance/receipt-credential';
import type { VcDataModel } from './credentials/verification/vc-payload';
import { BitstringStatusChecker } from './credentials/status-lists/status-checker';
import { StatusLists, type PublishedStatusListVersion } from './credentials/status-lists/status-lists';
import type { CredentialStatusEvents } from './credentials/status-changes';
import { TokenStatusChecker } from './credentials/status-lists/token-status-checker';
import { readServiceKeySet, type LoadServiceKeysOptions, type ServiceKeys } from './keys/service-keys';
import { SigningKeyRotator, type KeyRotationChain, type RotateSigningKeysRequest, type SigningKeyRotation } from './keys/key-rotation';
import { DomainError } from '../core/errors';
import { es256Signer } from './keys/signing-keys';

/** Submits a SHA-256 digest to the notary (the service passes one that notarizes for tenant `system`). */
export type Notarize = (sha256Digest: Uint8Array) => Promise<void>;

export interface IdentityServicesOptions {
  /** The service's store connection (`SqlStore.db`); the identity migrations hold the tables. */
  db: SqlClient;
  /** The service's signing keys (keys/service-keys.ts): the ES256K key also anchors roots. */
  keys: ServiceKeys;
  /** The anchoring chain's id: names the service's did:ethr. */
  chainId: number;
  /** Chains for did:ethr resolution; at least the anchoring chain with its ERC-1056 registry. */
  ethrNetworks: readonly EthrNetworkConfig[];
  /** Public base URL (PUBLIC_URL, else where the service listens): status list URLs, did:web and the SD-JWT VC issuer. */
  baseUrl: () => string;
  /** Hosts did:web and status-list fetches may reach although private or loopback (config.didWebAllowedHosts). */
  didWebAllowedHosts?: readonly string[];
  /** The transparency log's key, published in the did:web document. */
  logKey?: { publicKeyJwk: PublishedLogKey['publicKeyJwk'] };
  /** Receives the SHA-256 of every new status list version (wire it to the notary, tenant `system`). */
  notarize: Notarize;
  reporter?: ErrorReporter;
  /** Outbound fetch limits and test hooks (allowHttpForAllowedHosts, lookup, request). */
  fetch?: Omit<OutboundFetchPolicy, 'allowedHosts'>;
  didCache?: { maxEntries?: number; ttlMs?: number };
  /** What rotating the keys needs (absent: `rotateSigningKeys` refuses). */
  rotation?: KeyRotationWiring;
  /** Milliseconds clock (tests). */
  now?: () => number;
  skewSeconds?: number;
  statusListLength?: number;
  /** Told of every credential status change inside its transaction (webhooks subscribe here). */
  statusEvents?: CredentialStatusEvents;
}

/** The parts of a key rotation that live outside this feature: the chain, the anchoring lock, the other replicas. */
export interface KeyRotationWiring extends LoadServiceKeysOptions {
  chain: KeyRotationChain;
  /** Runs `work` while this replica anchors nothing (Notary.exclusive). */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /** Tells the other replicas (they call `reloadSigningKeys`). */
  announce: () => Promise<void>;
}

/** JWT VC Issuer Metadata (SD-JWT VC §4): the issuer and the keys its SD-JWT VCs are signed with. */
export interface JwtVcIssuerMetadata {
  issuer: string;
  jwks: { keys: Array<Record<string, string>> };
}

export interface IdentityServices {
  identity: ServiceIdentity;
  keys: ServiceKeys;
  /** `did:web:<host>` of the base URL. */
  didWeb(): string;
  /** The document served at `/.well-known/did.json`. */
  didWebDocument(): DIDDocument;
  /** The SD-JWT VC issuer identifier (`iss`): the public base URL. */
  issuerUrl(): string;
  /** What `/.well-known/jwt-vc-issuer` serves: every ES256 key, active and retired. */
  jwtVcIssuerMetadata(): JwtVcIssuerMetadata;
  resolver: DidResolver;
  issuer: CredentialIssuer;
  verifier: CredentialVerifier;
  challenges: PresentationChallenges;
  presentations: PresentationVerifier;
  statusLists: StatusLists;
  /** A DocumentNotarization VC-JWT for an anchored receipt (for `GET /v1/receipts/{id}?format=vc`), VCDM 2.0 unless asked for 1.1. */
  signReceipt(receipt: Receipt, dataModel?: VcDataModel): Promise<string>;
  /** Rotates the service's signing keys (POST /v1/signing-keys/rotate, `did-notary keys rotate-signer`). */
  rotateSigningKeys(request: RotateSigningKeysRequest | unknown): Promise<SigningKeyRotation>;
  /** Re-reads the keys after another replica rotated them; forgets cached DID documents. */
  reloadSigningKeys(): Promise<void>;
}

export function createIdentityServices(options: IdentityServicesOptions): IdentityServices {
  const { keys } = options;
  const identity = createServiceIdentity(keys, options.chainId);
  const fetcher = new OutboundFetcher({ ...options.fetch, allowedHosts: options.didWebAllowedHosts ?? [] });
  const resolver = new DidResolver({
    ethrNetworks: options.ethrNetworks,
    fetcher,
    ...(options.didCache ? { cache: options.didCache } : {}),
  });
  const store = new CredentialStore(options.db);
  const clock = options.now ? { now: options.now } : {};
  const skew = options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {};
  // Every committed status list version goes to the notary; a failure there must not undo the change.
  const publish = async (version: PublishedStatusListVersion): Promise<void> => {
    try {
      await options.notarize(version.sha256);
    } catch (error) {
      options.reporter?.error({ err: error, statusList: version.listId, version: version.version }, 'could not notarize a status list version');
    }
  };
  const hasHttpBase = () => /^https?:\/\//.test(options.baseUrl());
  const didWeb = () => didWebForUrl(options.baseUrl());
  const issuerUrl = () => options.baseUrl().replace(/\/+$/, '');
  const didWebSigner = (): VcJwtIssuer => {
    const key = keys.es256();
    return { did: didWeb(), alg: 'ES256', signer: es256Signer(key), kid: didWebKeyId(didWeb(), key) };
  };
  const sdJwtVcKey = (): SdJwtVcIssuerKey => {
    const key = keys.es256();
    return { iss: issuerUrl(), kid: key.id, alg: 'ES256', sign: (input) => key.sign(input) };
  };
  const ownEs256Jwks = () =>
    keys
      .published()
      .filter((key) => key.alg === 'ES256')
      .map((key) => ({ ...key.publicJwk, kid: key.id, alg: 'ES256', use: 'sig' }));

  const statusLists = new StatusLists({
    store,
    signers: { es256k: () => identity, es256: didWebSigner, token: sdJwtVcKey },
    baseUrl: options.baseUrl,
    publish,
    length: options.statusListLength,
    ...clock,
  });
  const status = new BitstringStatusChecker({
    ownLists: statusLists,
    ownDids: () => (hasHttpBase() ? [identity.did, didWeb()] : [identity.did]),
    resolver,
    fetcher,
    ...clock,
    ...skew,
  });
  const issuerKeys = new SdJwtIssuerKeys({
    ownIssuer: () => (hasHttpBase() ? issuerUrl() : undefined),
    ownJwks: ownEs256Jwks,
    fetcher,
    resolver,
    ...clock,
  });
  const sdJwtVc = new SdJwtVcVerifier({
    issuerKeys,
    status: new TokenStatusChecker({ ownLists: statusLists, isOwnIssuer: (iss) => hasHttpBase() && iss === issuerUrl(), issuerKeys, fetcher, ...clock, ...skew }),
    resolver,
    ...clock,
    ...skew,
  });
  const verifier = new CredentialVerifier({ resolver, status, sdJwtVc, ...clock, ...skew });
  const challenges = new PresentationChallenges({ store, ...clock });
  const { rotation } = options;
  const rotator = rotation
    ? new SigningKeyRotator({
        ...rotation,
        keys,
        onRotated: async () => {
          resolver.clearCache();
          await rotation.announce();
        },
      })
    : undefined;
  return {
    identity,
    keys,
    didWeb,
    didWebDocument: () =>
      serviceDidWebDocument(
        didWeb(),
        identity.did,
        options.chainId,
        keys.published(),
        options.logKey ? { publicKeyJwk: options.logKey.publicKeyJwk, checkpointUrl: new URL('/v1/log/checkpoint', options.baseUrl()).href } : undefined,
      ),
    issuerUrl,
    jwtVcIssuerMetadata: () => ({ issuer: issuerUrl(), jwks: { keys: ownEs256Jwks() } }),
    resolver,
    issuer: new CredentialIssuer({
      store,
      statusLists,
      identity,
      didWebSigner,
      sdJwtVcKey,
      resolver,
      publish,
      ...(options.reporter ? { reporter: options.reporter } : {}),
      ...(options.statusEvents ? { statusEvents: options.statusEvents } : {}),
      ...clock,
    }),
    verifier,
    challenges,
    presentations: new PresentationVerifier({ resolver, credentials: verifier, challenges, ...clock, ...skew }),
    statusLists,
    signReceipt: (receipt, dataModel) => signReceiptCredential(receipt, identity, dataModel),
    rotateSigningKeys: async (request) => {
      if (!rotator) throw new DomainError('KEY_ROTATION_REFUSED', 'this service was started without what key rotation needs');
      return rotator.rotate(request);
    },
    reloadSigningKeys: async () => {
      if (!rotation) return;
      keys.replace(await readServiceKeySet(rotation));
      resolver.clearCache();
    },
  };
}
