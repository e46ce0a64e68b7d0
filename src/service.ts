// The composition root: wires config, keys, chain, store, notary and HTTP into a running service.
import { connectEmbeddedChain } from './platform/chain/embedded-anvil/embedded-provider';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { FallbackProvider, FetchRequest, JsonRpcProvider, Wallet, type Provider } from 'ethers';
import { RPC_REQUEST_TIMEOUT_MS } from './platform/chain/chain-errors';
import { bootstrapAdminKey } from './access/api-keys';
import { AnchorClient } from './platform/chain/anchor-client';
import { ensureEmbeddedDeployment } from './platform/chain/deployment';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil } from './platform/chain/embedded-anvil/embedded-anvil';
import { redactUrl, type Config } from './config/config';
import { documentIdFromDigest } from './core/ids/document-id';
import { createIdentityServices } from './identity/identity-services';
import { ethrDid } from './identity/did/service-identity';
import { loadSignerKey } from './identity/did/signer-key';
import { createApp } from './http/app';
import { createRequestGuards } from './http/auth';
import { answerClientError, MAX_HEADER_BYTES } from './http/client-errors';
import { withReceiptFastPath } from './http/receipt-fast-path';
import { withRequestBoundary } from './http/request-boundary';
import { withSubmissionFastPath } from './http/submission-fast-path';
import type { HealthReport, ServiceInfo } from './http/routes/service';
import { startMerkleHelper } from './notarization/parallel-merkle';
import { NotaryEvents } from './notarization/events';
import { Notary } from './notarization/notary';
import { notaryMetricsSubscriber } from './notarization/subscribers/notary-metrics';
import type { Logger } from './platform/observability/logger';
import type { SqlClient } from './platform/database/sql-client';
import { ServiceMetrics } from './platform/observability/metrics';
import { reuseRecentResult } from './platform/observability/recent-result';
import { acquireDirectoryLock } from './platform/directory-lock';
import { openServiceDatabase } from './schema';
import { SqlApiKeyStore } from './access/sql/api-key-store';
import { SqlNotaryStore } from './notarization/sql/notary-store';
import { SERVICE_VERSION } from './version';

/** ethr-did-resolver's canonical ERC-1056 registry, deployed at this address on most public chains. */
const CANONICAL_DID_REGISTRY = '0xdca7ef03e98e0dc2b855be647c39abe984fcf21b';
/** How long one chain check (the signer's balance) answers GET /health. */
const HEALTH_CHAIN_CHECK_TTL_MS = 5_000;
/** How long GET /health waits for the chain before it reports it unreachable. */
const HEALTH_CHAIN_TIMEOUT_MS = 3_000;


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

/** Starts everything the configuration asks for; on failure, stops what already started. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
    }
  };
  try {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    if (config.rpcUrls.length === 0 || !config.databaseUrl) {
      const release = acquireDirectoryLock(path.join(config.dataDir, 'service.lock'), 'the data directory');
      cleanups.push(async () => release());
    }
    const signerKey = loadSignerKey(config);
    logger.info({ source: signerKey.source }, signerKey.source === 'generated' ? 'generated a new signer key' : 'loaded the signer key');

    // The embedded chain, restarted after a crash, may have lost its newest blocks: the notary then
    // re-checks recent anchorings (it exists only later, hence the late binding).
    let onChainRestart = () => {};
    const chainSetup = await connectChain(config, signerKey.privateKey, logger, cleanups, () => onChainRestart());
    const db = await openServiceDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, embeddedCacheBytes: config.embeddedDbCacheBytes });
    cleanups.push(() => db.close());
    const keys = new SqlApiKeyStore(db);
    const store = new SqlNotaryStore(db);
    logger.info({ store: config.databaseUrl ? redactUrl(config.databaseUrl) : `${config.dataDir}/db (embedded)` }, 'store ready');

    const created = await bootstrapAdminKey(keys, config.dataDir);
    const signer = chainSetup.wallet.address.toLowerCase();
    // The same did:ethr the credential services sign as: one function names it.
    const did = ethrDid(chainSetup.chainId, signer);
    const anchorClient = new AnchorClient(chainSetup.provider, chainSetup.wallet, chainSetup.chainId, chainSetup.anchorContract);
    const metrics = new ServiceMetrics();
    const events = new NotaryEvents((error, event) => logger.error({ err: error, event: event.type }, 'a subscriber to notary events failed'));
    events.subscribe(notaryMetricsSubscriber(metrics));
    const notary = new Notary(
      store,
      anchorClient,
      {
        batchIntervalMs: config.batchIntervalMs,
        batchMaxSize: config.batchMaxSize,
        confirmations: config.confirmations,
        maxDocumentsPerRequest: config.maxHashesPerRequest,
        issuerDid: did,
      },
      logger.child({ module: 'notary' }),
      events,
    );
    let listeningUrl = '';
    const identity = createIdentityServices({
      db,
      signerPrivateKey: signerKey.privateKey,
      chainId: chainSetup.chainId,
      ethrNetworks: [{ chainId: chainSetup.chainId, registry: chainSetup.didRegistry, provider: chainSetup.provider }],
      baseUrl: () => config.publicUrl ?? listeningUrl,
      didWebAllowedHosts: config.didWebAllowedHosts,
      notarize: async (digest) => {
        await notary.submit('system', [documentIdFromDigest(digest)], { label: 'status list version' });
      },
      reporter: logger.child({ module: 'credentials' }),
    });

    metrics.onScrape(async () => {
      metrics.pendingDocuments.set(notary.pendingEstimate());
      metrics.signerBalance.set(Number(await chainSetup.provider.getBalance(chainSetup.wallet.address)));
    });
    const checkBalance = () =>
      chainSetup.provider
        .getBalance(chainSetup.wallet.address)
        .then((balance) => {
          if (balance < config.lowBalanceWei) {
            logger.warn({ signer, balanceWei: balance.toString(), thresholdWei: config.lowBalanceWei.toString() }, 'signer balance is low: anchoring will stop when it runs out');
          }
        })
        .catch(() => undefined);
    await checkBalance();
    const balanceWatch = setInterval(() => void checkBalance(), 60_000);
    balanceWatch.unref();
    cleanups.push(async () => clearInterval(balanceWatch));

    const info: ServiceInfo = {
      name: 'did-notary',
      version: SERVICE_VERSION,
      did,
      ...(config.publicUrl ? { didWeb: `did:web:${encodeURIComponent(new URL(config.publicUrl).host)}` } : {}),
      chain: `eip155:${chainSetup.chainId}`,
      chainId: chainSetup.chainId,
      rpcUrl: chainSetup.publicRpcUrl,
      contracts: { anchor: chainSetup.anchorContract, didRegistry: chainSetup.didRegistry },
      signer,
      batch: { intervalMs: config.batchIntervalMs, maxSize: config.batchMaxSize, confirmations: config.confirmations },
    };
    let stopping = false;
    // The chain part of /health is an RPC call: shared by all callers for a few seconds (public endpoint).
    type Check = HealthReport['checks'][string];
    const chainHealth = reuseRecentResult(async (): Promise<{ chain: Check; signerBalance?: Check; lowBalance: boolean }> => {
      try {
        // A stalled RPC must not stall /health: it answers within the timeout, saying the chain does not.
        const balance = await withTimeout(chainSetup.provider.getBalance(chainSetup.wallet.address), HEALTH_CHAIN_TIMEOUT_MS, `no answer within ${HEALTH_CHAIN_TIMEOUT_MS} ms`);
        const lowBalance = balance < config.lowBalanceWei;
        return { chain: { ok: true }, signerBalance: { ok: !lowBalance, detail: `${balance} wei` }, lowBalance };
      } catch (error) {
        return { chain: { ok: false, detail: `unreachable: ${(error as Error).message.slice(0, 200)}` }, lowBalance: false };
      }
    }, HEALTH_CHAIN_CHECK_TTL_MS);
    const health = async (): Promise<HealthReport> => {
      const checks: HealthReport['checks'] = {};
      checks.service = stopping ? { ok: false, detail: 'stopping' } : { ok: true };
      try {
        await db.query('SELECT 1');
        checks.store = { ok: true };
      } catch (error) {
        checks.store = { ok: false, detail: (error as Error).message };
      }
      const { lowBalance, ...chainChecks } = await chainHealth();
      Object.assign(checks, chainChecks);
      const unavailable = !checks.service.ok || !checks.store.ok || !checks.chain?.ok;
      return { status: unavailable ? 'unavailable' : lowBalance ? 'degraded' : 'ok', checks };
    };

    // One key cache and one set of rate-limit buckets for the app and the fast paths in front of it.
    const guards = createRequestGuards(keys, config.rateLimitPerSecond);
    const app = createApp({
      guards,
      config,
      logger,
      keys,
      notary,
      metrics,
      identity,
      info: () => info,
      health,
      validateResponses: config.validateResponses,
      web: {
        chainRpcRelay:
          chainSetup.relayUpstreamUrl && !config.publicRpcUrl
            ? { upstreamUrl: chainSetup.relayUpstreamUrl, anchorContract: chainSetup.anchorContract }
            : undefined,
        onBuilt: (bundle) => logger.info({ ms: bundle.buildMs }, 'verification page built'),
        onBuildError: (error) => logger.error({ err: error }, 'verification page could not be built; GET / answers 503'),
      },
    });
    const server = http.createServer(
      { maxHeaderSize: MAX_HEADER_BYTES },
      withRequestBoundary(withSubmissionFastPath(withReceiptFastPath(app, { notary, metrics, logger }), { notary, guards, metrics, logger }), logger),
    );
    server.keepAliveTimeout = 5_000;
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          stopping = true;
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 5_000).unref();
        }),
    );
    // The tree-building helper thread starts now, so the first large seal or rebuild after a start
    // already runs on two threads; building never waits for it.
    void startMerkleHelper();
    notary.start();
    onChainRestart = () => notary.recheckAnchorings();
    cleanups.push(() => notary.stop());

    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    listeningUrl = url;
    if (!info.didWeb) info.didWeb = identity.didWeb();
    logger.info({ url, did, chain: info.chain, anchorContract: info.contracts.anchor }, 'did-notary is ready');
    return { url, port, info, db, notary, createdAdminKey: created?.secret ?? null, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface ChainSetup {
  /** The embedded chain's loopback RPC, which browsers cannot reach: relayed for the page. */
  relayUpstreamUrl?: string;
  provider: Provider;
  wallet: Wallet;
  chainId: number;
  anchorContract: string;
  didRegistry: string;
  publicRpcUrl: string;
}

async function connectChain(
  config: Config,
  privateKey: string,
  logger: Logger,
  cleanups: Array<() => Promise<void>>,
  chainRestarted: () => void,
): Promise<ChainSetup> {
  if (config.rpcUrls.length === 0) {
    const anvil = await startEmbeddedAnvil({ dataDir: config.dataDir, logger: chainLogger(logger), onRestart: () => chainRestarted() });
    cleanups.push(() => anvil.stop());
    const provider = connectEmbeddedChain(anvil);
    cleanups.push(async () => provider.destroy());
    const wallet = new Wallet(privateKey, provider);
    const funder = new Wallet(ANVIL_DEV_FUNDER_KEY, provider);
    const deployment = await ensureEmbeddedDeployment({
      dataDir: config.dataDir,
      provider,
      funder,
      signerAddress: wallet.address,
      logger: chainLogger(logger),
    });
    logger.info({ rpcUrl: anvil.rpcUrl, pid: anvil.pid }, 'embedded chain ready');
    return {
      provider,
      wallet,
      chainId: anvil.chainId,
      anchorContract: deployment.anchorContract.toLowerCase(),
      didRegistry: deployment.didRegistry.toLowerCase(),
      publicRpcUrl: config.publicRpcUrl ?? anvil.rpcUrl,
      relayUpstreamUrl: anvil.rpcUrl,
    };
  }
  const providers = config.rpcUrls.map((url) => {
    const request = new FetchRequest(url);
    request.timeout = RPC_REQUEST_TIMEOUT_MS;
    return new JsonRpcProvider(request, config.chainId, { cacheTimeout: -1, batchStallTime: 0, ...(config.chainId ? { staticNetwork: true } : {}) });
  });
  const provider: Provider =
    providers.length === 1 ? providers[0]! : new FallbackProvider(providers.map((p, i) => ({ provider: p, priority: i + 1, weight: 1 })), config.chainId, { quorum: 1 });
  cleanups.push(async () => provider.destroy());
  // Ask every endpoint itself: a static network would just echo CHAIN_ID back.
  const chainIds = await Promise.all(providers.map(async (p) => Number(await p.send('eth_chainId', []))));
  const chainId = chainIds[0]!;
  chainIds.forEach((id, i) => {
    if (id !== chainId) throw new Error(`RPC_URL endpoints disagree: ${redactUrl(config.rpcUrls[i]!)} serves chain ${id}, the first serves ${chainId}`);
  });
  if (config.chainId !== undefined && chainId !== config.chainId) {
    throw new Error(`RPC_URL serves chain ${chainId}, but CHAIN_ID is ${config.chainId}`);
  }
  const anchorContract = config.anchorContract!;
  if ((await provider.getCode(anchorContract)) === '0x') {
    throw new Error(`ANCHOR_CONTRACT ${anchorContract} has no code on chain ${chainId}`);
  }
  const publicRpcUrl = config.publicRpcUrl ?? publishableRpcUrl(config.rpcUrls[0]!);
  logger.info({ chainId, rpc: config.rpcUrls.map(redactUrl) }, 'connected to chain');
  return {
    provider,
    wallet: new Wallet(privateKey, provider),
    chainId,
    anchorContract,
    didRegistry: config.didRegistry ?? CANONICAL_DID_REGISTRY,
    publicRpcUrl,
  };
}

/** An RPC URL safe to publish: never one with credentials or an API key in its path or query. */
function publishableRpcUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.username || parsed.password || parsed.search || /[0-9a-f]{16,}|[A-Za-z0-9_-]{24,}/.test(parsed.pathname)) {
    return '';
  }
  return url;
}

function chainLogger(logger: Logger) {
  const child = logger.child({ module: 'chain' });
  return { info: (message: string) => child.info(message), warn: (message: string) => child.warn(message) };
}

/** `promise`, or a rejection with `message` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
