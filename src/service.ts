// The composition root: wires configuration, database, chain, notary, identity and HTTP into a
// running service. Each part lives in its own module; this file only connects them and stops them
// in reverse order.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet, type Provider } from 'ethers';
import { bootstrapAdminKey } from './access/api-keys';
import { followKeyRevocations, revokeAndAnnounce } from './access/key-revocations';
import { SqlApiKeyStore } from './access/sql/api-key-store';
import { redactUrl, type Config } from './config/config';
import { bindDeployment } from './deployment/deployment-binding';
import { documentIdFromDigest } from './core/ids/document-id';
import { createRequestGuard } from './http/guards';
import { createHttpServer, listen } from './http/server';
import type { ServiceInfo } from './http/routes/service';
import { ethrDid } from './identity/did/service-identity';
import { loadSignerKey } from './identity/did/signer-key';
import { createIdentityServices } from './identity/identity-services';
import { announceRotation, followRotations } from './identity/keys/key-rotation';
import { identityAddressOf, loadServiceKeys, type ServiceKeys } from './identity/keys/service-keys';
import { DidRegistryWriter } from './platform/chain/did-registry-writer';
import { ServiceKeyStore } from './identity/sql/service-key-store';
import { NotaryEvents } from './notarization/events';
import { Notary } from './notarization/notary';
import { startMerkleHelper } from './notarization/parallel-merkle';
import { SqlNotaryStore } from './notarization/sql/notary-store';
import { notaryMetricsSubscriber } from './notarization/subscribers/notary-metrics';
import { AnchorClient, type AnchoringAccounts } from './platform/chain/anchor-client';
import { connectChain } from './platform/chain/connect-chain';
import { signerBalanceReader, watchLowBalance } from './platform/chain/signer-balance';
import type { SqlClient } from './platform/database/sql-client';
import { acquireDirectoryLock } from './platform/directory-lock';
import { serviceHealth } from './platform/observability/health';
import type { Logger } from './platform/observability/logger';
import { ServiceMetrics } from './platform/observability/metrics';
import { openServiceDatabase } from './schema';
import { serviceInfo } from './service-info';

export interface RunningService {
  url: string;
  port: number;
  info: ServiceInfo;
  /** The migrated database (tests and operations read it directly). */
  db: SqlClient;
  notary: Notary;
  /** The admin key's secret when this start created it (first start), else null. */
  createdAdminKey: string | null;
  /** Graceful stop: in-flight requests, anchoring round, store, embedded chain. Idempotent. */
  stop(): Promise<void>;
}

/** The service's ES256K keys as anchoring wallets: the active one, and earlier ones by address. */
function anchoringAccounts(keys: ServiceKeys, provider: Provider): AnchoringAccounts {
  const wallets = new Map<string, Wallet>();
  const wallet = (privateKey: string, address: string) => {
    let found = wallets.get(address);
    if (!found) wallets.set(address, (found = new Wallet(privateKey, provider)));
    return found;
  };
  return {
    current: () => wallet(keys.es256k().privateKey, keys.es256k().address),
    byAddress: (address) => {
      const key = keys.es256kByAddress(address);
      return key ? wallet(key.privateKey, key.address) : undefined;
    },
  };
}

/** Starts everything the configuration asks for; on failure, stops what already started. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const stops: Array<() => Promise<void>> = [];
  const onStop = (stop: () => Promise<void>) => void stops.push(stop);
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
  };
  try {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // Embedded parts own the data directory: a second process on it would corrupt them.
    if (config.rpcUrls.length === 0 || !config.databaseUrl) {
      const release = acquireDirectoryLock(path.join(config.dataDir, 'service.lock'), 'the data directory');
      onStop(async () => release());
    }
    const signerKey = loadSignerKey(config);
    logger.info({ source: signerKey.source }, signerKey.source === 'generated' ? 'generated a new signer key' : 'loaded the signer key');
    // A restarted embedded chain may have lost its newest blocks: the notary (made later) re-checks.
    let onChainRestart = () => {};
    const chain = await connectChain({ config, signerPrivateKey: signerKey.privateKey, logger, onStop, onRestart: () => onChainRestart() });
    const db = await openServiceDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, embeddedCacheBytes: config.embeddedDbCacheBytes });
    onStop(() => db.close());
    logger.info({ store: config.databaseUrl ? redactUrl(config.databaseUrl) : `${config.dataDir}/db (embedded)` }, 'store ready');
    const keyStore = new ServiceKeyStore(db);
    // The did:ethr names the service's first key: a rotation adds keys to it, never renames it.
    const did = ethrDid(chain.chainId, await identityAddressOf(keyStore, signerKey.privateKey));
    const binding = { chainId: chain.chainId, chainInstance: chain.instance, anchorContract: chain.anchorContract, didRegistry: chain.didRegistry, serviceDid: did };
    logger.info({ ...binding, binding: await bindDeployment(db, binding) }, 'deployment binding checked');
    const keysDir = path.join(config.dataDir, 'keys');
    const signingKeys = await loadServiceKeys({ store: keyStore, keysDir, signerPrivateKey: signerKey.privateKey });
    logger.info({ es256k: signingKeys.es256k().id, es256: signingKeys.es256().id }, 'signing keys loaded');
    const keys = new SqlApiKeyStore(db);
    const created = await bootstrapAdminKey(keys, config.dataDir);

    const metrics = new ServiceMetrics();
    const events = new NotaryEvents((error, event) => logger.error({ err: error, event: event.type }, 'a subscriber to notary events failed'));
    events.subscribe(notaryMetricsSubscriber(metrics));
    const { batchIntervalMs, batchMaxSize, confirmations, maxHashesPerRequest: maxDocumentsPerRequest } = config;
    // The anchoring account is the active ES256K key; a transaction recorded before a rotation stays its signer's.
    const anchoring = new AnchorClient(chain.provider, anchoringAccounts(signingKeys, chain.provider), chain.chainId, chain.anchorContract);
    const notaryOptions = { batchIntervalMs, batchMaxSize, confirmations, maxDocumentsPerRequest, issuerDid: did };
    const notary = new Notary(new SqlNotaryStore(db), anchoring, notaryOptions, logger.child({ module: 'notary' }), events);

    let listeningUrl = '';
    const identity = createIdentityServices({
      db,
      keys: signingKeys,
      chainId: chain.chainId,
      ethrNetworks: [{ chainId: chain.chainId, registry: chain.didRegistry, provider: chain.provider }],
      baseUrl: () => config.publicUrl ?? listeningUrl,
      didWebAllowedHosts: config.didWebAllowedHosts,
      notarize: async (digest) => void (await notary.submit('system', [documentIdFromDigest(digest)], { label: 'status list version' })),
      reporter: logger.child({ module: 'credentials' }),
      rotation: {
        store: keyStore,
        keysDir,
        signerPrivateKey: signerKey.privateKey,
        chain: new DidRegistryWriter(chain.provider, chain.didRegistry),
        exclusive: (work) => notary.exclusive(work),
        announce: () => announceRotation(db),
      },
    });
    // A rotation on any replica (this one included) swaps the keys in use here.
    onStop(
      await followRotations(db, () => {
        identity.reloadSigningKeys().then(
          () => logger.info({ es256k: signingKeys.es256k().id, es256: signingKeys.es256().id }, 'signing keys rotated'),
          (error: unknown) => logger.error({ err: error }, 'could not load the rotated signing keys; signing with the previous ones, which stay valid'),
        );
      }),
    );

    const signerBalance = signerBalanceReader(chain.provider, () => signingKeys.es256k().address);
    metrics.onScrape(async () => {
      metrics.pendingDocuments.set(notary.pendingEstimate());
      metrics.signerBalance.set(Number(await signerBalance()));
    });
    const balanceWatch = watchLowBalance(signerBalance, config.lowBalanceWei, () => signingKeys.es256k().address, logger);
    onStop(async () => balanceWatch.stop());
    await balanceWatch.first;

    const info = serviceInfo(config, chain, did);
    Object.defineProperty(info, 'signer', { enumerable: true, get: () => signingKeys.es256k().address });
    let stopping = false;
    const guard = createRequestGuard(keys, config.rateLimitPerSecond);
    onStop(await followKeyRevocations(db, guard.authenticator));
    const server = createHttpServer({
      guard,
      revokeKey: (keyId) => revokeAndAnnounce(keys, db, keyId),
      config,
      logger,
      keys,
      notary,
      metrics,
      identity,
      info: () => info,
      health: serviceHealth({ db, signerBalance, lowBalanceWei: config.lowBalanceWei, stopping: () => stopping }),
      validateResponses: config.validateResponses,
      web: {
        chainRpcRelay: chain.relayUpstreamUrl && !config.publicRpcUrl ? { upstreamUrl: chain.relayUpstreamUrl, anchorContract: chain.anchorContract } : undefined,
        onBuilt: (bundle) => logger.info({ ms: bundle.buildMs }, 'verification page built'),
        onBuildError: (error) => logger.error({ err: error }, 'verification page could not be built; GET / answers 503'),
      },
    });
    const listening = await listen(server, config.port, config.host);
    onStop(async () => {
      stopping = true;
      await listening.close();
    });
    // The tree-building helper thread starts now, so the first large seal already runs on two threads.
    void startMerkleHelper();
    notary.start();
    onChainRestart = () => notary.recheckAnchorings();
    onStop(() => notary.stop());

    const { port } = listening;
    listeningUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    info.didWeb ??= identity.didWeb();
    logger.info({ url: listeningUrl, did, chain: info.chain, anchorContract: info.contracts.anchor }, 'did-notary is ready');
    return { url: listeningUrl, port, info, db, notary, createdAdminKey: created?.secret ?? null, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
