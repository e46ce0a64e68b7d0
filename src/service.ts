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
import { bindDeployment, bindExtraChains, bindTransparencyLog } from './deployment/deployment-binding';
import { bytesToBase64 } from './core/base64';
import { loadLogKey } from './notarization/log/log-key';
import { SignedCheckpoints } from './notarization/log/signed-checkpoints';
import { documentIdFromDigest } from './core/ids/document-id';
import { createRequestGuard } from './http/guards';
import { createHttpServer, listen } from './http/server';
import type { ServiceInfo } from './http/routes/service';
import { ethrDid } from './identity/did/service-identity';
import { loadSignerKey } from './identity/did/signer-key';
import { CredentialStatusEvents } from './identity/credentials/status-changes';
import { createIdentityServices } from './identity/identity-services';
import { credentialStatusWebhookSubscriber } from './identity/subscribers/webhooks';
import { announceRotation, followRotations } from './identity/keys/key-rotation';
import { identityAddressOf, loadServiceKeys, type ServiceKeys } from './identity/keys/service-keys';
import { DidRegistryWriter } from './platform/chain/did-registry-writer';
import { ServiceKeyStore } from './identity/sql/service-key-store';
import { NotaryEvents } from './notarization/events';
import { Notary } from './notarization/notary';
import { startMerkleHelper } from './notarization/parallel-merkle';
import { merkleHashing } from './notarization/native-merkle-hasher';
import { SqlNotaryStore } from './notarization/sql/notary-store';
import { notaryMetricsSubscriber } from './notarization/subscribers/notary-metrics';
import { anchoredBatchDocuments, batchAnchoredWebhookSubscriber } from './notarization/subscribers/webhooks';
import { AnchorClient, type AnchoringAccounts } from './platform/chain/anchor-client';
import { connectChains } from './platform/chain/connect-chain';
import { signerBalanceReader, watchLowBalance } from './platform/chain/signer-balance';
import type { SqlClient } from './platform/database/sql-client';
import { acquireDirectoryLock } from './platform/directory-lock';
import { serviceHealth } from './platform/observability/health';
import type { Logger } from './platform/observability/logger';
import { ServiceMetrics } from './platform/observability/metrics';
import { openServiceDatabase } from './schema';
import { serviceInfo } from './service-info';
import { TSA_TENANT } from './timestamping/time-stamp-authority';
import { setUpTimeStampAuthority } from './timestamping/tsa-setup';
import { createWebhookServices } from './webhooks/webhook-services';
import { createWalletServices } from './wallets/wallet-services';
import { readCredentialConfigurations } from './wallets/issuance/credential-configurations';
import { presentationWebhookSubscriber } from './wallets/subscribers/webhooks';

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
    // Files a business wrote are checked before anything starts: a mistake there is the likely one.
    const walletConfigurations = config.walletCredentialsFile ? readCredentialConfigurations(config.walletCredentialsFile) : undefined;
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
    // The primary chain names the service's did:ethr; every chain, primary or extra, anchors every batch.
    const chains = await connectChains({ config, signerPrivateKey: signerKey.privateKey, logger, onStop, onRestart: () => onChainRestart() });
    const chain = chains[0]!;
    const db = await openServiceDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, embeddedCacheBytes: config.embeddedDbCacheBytes });
    onStop(() => db.close());
    logger.info({ store: config.databaseUrl ? redactUrl(config.databaseUrl) : `${config.dataDir}/db (embedded)` }, 'store ready');
    const keyStore = new ServiceKeyStore(db);
    // The did:ethr names the service's first key: a rotation adds keys to it, never renames it.
    const identityAddress = await identityAddressOf(keyStore, signerKey.privateKey);
    const did = ethrDid(chain.chainId, identityAddress);
    const binding = { chainId: chain.chainId, chainInstance: chain.instance, anchorContract: chain.anchorContract, didRegistry: chain.didRegistry, serviceDid: did };
    logger.info({ ...binding, binding: await bindDeployment(db, binding) }, 'deployment binding checked');
    const keysDir = path.join(config.dataDir, 'keys');
    const signingKeys = await loadServiceKeys({ store: keyStore, keysDir, signerPrivateKey: signerKey.privateKey });
    logger.info({ es256k: signingKeys.es256k().id, es256: signingKeys.es256().id }, 'signing keys loaded');
    const logKey = loadLogKey({ dataDir: config.dataDir, keyFile: config.logKeyFile });
    const fallbackLogOrigin = config.publicUrl ? `${new URL(config.publicUrl).host}/log` : `did-notary/${identityAddress}/log`;
    const logOrigin = await bindTransparencyLog(db, { configuredOrigin: config.logOrigin, fallbackOrigin: fallbackLogOrigin, publicKey: bytesToBase64(logKey.key.publicKey) });
    logger.info({ origin: logOrigin, key: logKey.source }, 'transparency log ready');
    const keys = new SqlApiKeyStore(db);
    const created = await bootstrapAdminKey(keys, config.dataDir);

    const metrics = new ServiceMetrics();
    const events = new NotaryEvents((error, event) => logger.error({ err: error, event: event.type }, 'a subscriber to notary events failed'));
    events.subscribe(notaryMetricsSubscriber(metrics));
    const { batchIntervalMs, batchMaxSize, confirmations, maxHashesPerRequest: maxDocumentsPerRequest } = config;
    // The anchoring account is the active ES256K key on every chain; a transaction recorded before a rotation stays its signer's.
    const anchoringClients = chains.map((connected) => new AnchorClient(connected.provider, anchoringAccounts(signingKeys, connected.provider), connected.chainId, connected.anchorContract));
    const logSize = Number((await db.query<{ size: number }>('SELECT COALESCE(max(log_index) + 1, 0) AS size FROM batches'))[0]?.size ?? 0);
    const firstLogIndexes = await bindExtraChains(
      db,
      chains.slice(1).map((extra) => ({ chain: `eip155:${extra.chainId}`, chainInstance: extra.instance, anchorContract: extra.anchorContract })),
      logSize,
    );
    const anchoringTargets = anchoringClients.map((client, index) => ({
      chain: client,
      confirmations: index === 0 ? confirmations : config.extraChains[index - 1]!.confirmations,
      firstLogIndex: index === 0 ? 0 : (firstLogIndexes.get(client.chain) ?? logSize),
    }));
    const notaryOptions = { batchIntervalMs, batchMaxSize, confirmations, maxDocumentsPerRequest, issuerDid: did, logOrigin };
    const notaryStore = new SqlNotaryStore(db);
    const notary = new Notary(notaryStore, anchoringTargets, notaryOptions, logger.child({ module: 'notary' }), events);
    const checkpoints = new SignedCheckpoints(notary.log, logKey.key);
    await notary.log.catchUp();

    let listeningUrl = '';
    const baseUrl = () => config.publicUrl ?? listeningUrl;
    const webhooks = createWebhookServices({
      db,
      settings: config.webhooks,
      documents: anchoredBatchDocuments(notaryStore),
      baseUrl,
      logger,
      onAttempt: (outcome, ms) => metrics.observeWebhookAttempt(outcome, ms),
    });
    events.subscribeDurably(batchAnchoredWebhookSubscriber(webhooks.outbox));
    const statusEvents = new CredentialStatusEvents();
    statusEvents.subscribe(credentialStatusWebhookSubscriber(webhooks.outbox));
    const identity = createIdentityServices({
      db,
      keys: signingKeys,
      chainId: chain.chainId,
      ethrNetworks: [{ chainId: chain.chainId, registry: chain.didRegistry, provider: chain.provider }],
      baseUrl,
      statusEvents,
      didWebAllowedHosts: config.didWebAllowedHosts,
      notarize: async (digest) => void (await notary.submit('system', [documentIdFromDigest(digest)], { label: 'status list version' })),
      reporter: logger.child({ module: 'credentials' }),
      logKey: logKey.key,
      rotation: {
        store: keyStore,
        keysDir,
        signerPrivateKey: signerKey.privateKey,
        chain: new DidRegistryWriter(chain.provider, chain.didRegistry),
        exclusive: (work) => notary.exclusive(work),
        announce: () => announceRotation(db),
      },
    });

    const wallets = createWalletServices({
      db,
      identity,
      baseUrl,
      onPresentationVerified: presentationWebhookSubscriber(webhooks.outbox),
      ...(walletConfigurations ? { configurations: walletConfigurations } : {}),
    });

    const tsa = await setUpTimeStampAuthority({
      db,
      dataDir: config.dataDir,
      config: config.tsa,
      sharedDatabase: config.databaseUrl !== undefined,
      // Every token's SHA-256 becomes a document of the TSA's tenant, committed before the reply.
      anchorToken: async (tokenSha256, serialNumber) =>
        void (await notary.submit(TSA_TENANT, [documentIdFromDigest(tokenSha256)], { label: 'RFC 3161 time-stamp token', externalRef: `tsa-serial:${serialNumber}` })),
      logger: logger.child({ module: 'tsa' }),
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
      for (const status of notary.anchoringStatus()) metrics.chainHealthy.set({ chain: status.chain }, status.healthy ? 1 : 0);
      metrics.signerBalance.set(Number(await signerBalance()));
    });
    const balanceWatch = watchLowBalance(signerBalance, config.lowBalanceWei, () => signingKeys.es256k().address, logger);
    onStop(async () => balanceWatch.stop());
    await balanceWatch.first;

    const info = serviceInfo(config, chains, did, { origin: logOrigin, verifierKey: checkpoints.verifierKey, checkpoint: '/v1/log/checkpoint' });
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
      checkpoints,
      metrics,
      identity,
      webhooks: webhooks.endpoints,
      wallets,
      baseUrl,
      info: () => info,
      health: serviceHealth({ db, signerBalance, lowBalanceWei: config.lowBalanceWei, stopping: () => stopping, anchoring: () => notary.anchoringStatus() }),
      validateResponses: config.validateResponses,
      tsa: { answer: (query) => tsa.authority.answer(query), certificateChainDer: tsa.certificateChainDer },
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
    onStop(await webhooks.start());

    const { port } = listening;
    listeningUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    info.didWeb ??= identity.didWeb();
    logger.info({ url: listeningUrl, did, chain: info.chain, anchorContract: info.contracts.anchor, merkleHashing }, 'did-notary is ready');
    return { url: listeningUrl, port, info, db, notary, createdAdminKey: created?.secret ?? null, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
