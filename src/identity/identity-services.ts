// Composition of the identity and credentials feature: one call builds the service identity, the DID
// resolver, issuer, verifiers, status lists and challenges on a store and a chain configuration.
import type { DIDDocument } from 'did-resolver';
import { DidResolver, type EthrNetworkConfig } from './did/did-resolution';
import { didWebForUrl } from './did/did-web';
import { serviceDidWebDocument, type PublishedLogKey } from './did/did-web-document';
import { OutboundFetcher, type OutboundFetchPolicy } from '../platform/outbound/outbound-fetch';
import { createServiceIdentity, type ServiceIdentity } from './did/service-identity';
import type { SqlClient } from '../platform/database/sql-client';
import { CredentialIssuer, type ErrorReporter } from './credentials/issuance/credential-issuer';
import { CredentialStore } from './sql/credential-store';
import { CredentialVerifier } from './credentials/verification/credential-verifier';
import { PresentationChallenges } from './credentials/verification/presentation-challenges';
import { PresentationVerifier } from './credentials/verification/presentation-verifier';
import type { Receipt } from '../core/receipts/receipt';
import { signReceiptCredential } from './credentials/issuance/receipt-credential';
import type { VcDataModel } from './credentials/verification/vc-payload';
import { BitstringStatusChecker } from './credentials/status-lists/status-checker';
import { StatusLists, type PublishedStatusListVersion } from './credentials/status-lists/status-lists';
import type { CredentialStatusEvents } from './credentials/status-changes';

/** Submits a SHA-256 digest to the notary (the service passes one that notarizes for tenant `system`). */
export type Notarize = (sha256Digest: Uint8Array) => Promise<void>;

export interface IdentityServicesOptions {
  /** The service's store connection (`SqlStore.db`); migration 2 holds the tables. */
  db: SqlClient;
  /** The signer key (0x-hex): the same key anchors roots and signs credentials. */
  signerPrivateKey: string;
  /** The anchoring chain's id: names the service's did:ethr. */
  chainId: number;
  /** Chains for did:ethr resolution; at least the anchoring chain with its ERC-1056 registry. */
  ethrNetworks: readonly EthrNetworkConfig[];
  /** Public base URL (PUBLIC_URL, else where the service listens): status list URLs and did:web. */
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
  /** Milliseconds clock (tests). */
  now?: () => number;
  skewSeconds?: number;
  statusListLength?: number;
  /** Told of every credential status change inside its transaction (webhooks subscribe here). */
  statusEvents?: CredentialStatusEvents;
}

export interface IdentityServices {
  identity: ServiceIdentity;
  /** `did:web:<host>` of the base URL. */
  didWeb(): string;
  /** The document served at `/.well-known/did.json`. */
  didWebDocument(): DIDDocument;
  resolver: DidResolver;
  issuer: CredentialIssuer;
  verifier: CredentialVerifier;
  challenges: PresentationChallenges;
  presentations: PresentationVerifier;
  statusLists: StatusLists;
  /** A DocumentNotarization VC-JWT for an anchored receipt (for `GET /v1/receipts/{id}?format=vc`), VCDM 2.0 unless asked for 1.1. */
  signReceipt(receipt: Receipt, dataModel?: VcDataModel): Promise<string>;
}

export function createIdentityServices(options: IdentityServicesOptions): IdentityServices {
  const identity = createServiceIdentity(options.signerPrivateKey, options.chainId);
  const fetcher = new OutboundFetcher({ ...options.fetch, allowedHosts: options.didWebAllowedHosts ?? [] });
  const resolver = new DidResolver({
    ethrNetworks: options.ethrNetworks,
    fetcher,
    ...(options.didCache ? { cache: options.didCache } : {}),
  });
  const store = new CredentialStore(options.db);
  const clock = options.now ? { now: options.now } : {};
  // Every committed status list version goes to the notary; a failure there must not undo the change.
  const publish = async (version: PublishedStatusListVersion): Promise<void> => {
    try {
      await options.notarize(version.sha256);
    } catch (error) {
      options.reporter?.error({ err: error, statusList: version.listId, version: version.version }, 'could not notarize a status list version');
    }
  };
  const statusLists = new StatusLists({ store, identity, baseUrl: options.baseUrl, publish, length: options.statusListLength, ...clock });
  const didWeb = () => didWebForUrl(options.baseUrl());
  const status = new BitstringStatusChecker({
    ownLists: statusLists,
    ownDids: () => (/^https?:\/\//.test(options.baseUrl()) ? [identity.did, didWeb()] : [identity.did]),
    resolver,
    fetcher,
    ...clock,
    ...(options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {}),
  });
  const verifier = new CredentialVerifier({ resolver, status, ...clock, ...(options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {}) });
  const challenges = new PresentationChallenges({ store, ...clock });
  return {
    identity,
    didWeb,
    didWebDocument: () =>
      serviceDidWebDocument(
        identity,
        didWeb(),
        options.logKey ? { publicKeyJwk: options.logKey.publicKeyJwk, checkpointUrl: new URL('/v1/log/checkpoint', options.baseUrl()).href } : undefined,
      ),
    resolver,
    issuer: new CredentialIssuer({
      store,
      statusLists,
      identity,
      publish,
      ...(options.reporter ? { reporter: options.reporter } : {}),
      ...(options.statusEvents ? { statusEvents: options.statusEvents } : {}),
      ...clock,
    }),
    verifier,
    challenges,
    presentations: new PresentationVerifier({
      resolver,
      credentials: verifier,
      challenges,
      ...clock,
      ...(options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {}),
    }),
    statusLists,
    signReceipt: (receipt, dataModel) => signReceiptCredential(receipt, identity, dataModel),
  };
}
