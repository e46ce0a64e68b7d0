// The chain the service anchors on and resolves did:ethr against: the embedded Anvil (started,
// supervised and deployed to on first start) or the RPC endpoints the operator configured (checked
// to serve one chain, with the anchor contract deployed).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FallbackProvider, FetchRequest, JsonRpcProvider, Wallet, type Provider } from 'ethers';
import { redactUrl, type Config, type ExtraChainSettings } from '../../config/config';
import type { Logger } from '../observability/logger';
import { RPC_REQUEST_TIMEOUT_MS } from './chain-errors';
import { ensureEmbeddedDeployment } from './deployment';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil } from './embedded-anvil/embedded-anvil';
import { connectEmbeddedChain } from './embedded-anvil/embedded-provider';

/** ethr-did-resolver's canonical ERC-1056 registry, deployed at this address on most public chains. */
const CANONICAL_DID_REGISTRY = '0xdca7ef03e98e0dc2b855be647c39abe984fcf21b';

export interface ConnectedChain {
  provider: Provider;
  /** The service's signer, connected to `provider`. */
  wallet: Wallet;
  chainId: number;
  anchorContract: string;
  didRegistry: string;
  /** The RPC URL published in /v1/info ('' when the configured one carries credentials). */
  publicRpcUrl: string;
  /** The embedded chain's loopback RPC, which browsers cannot reach: relayed for the page. */
  relayUpstreamUrl?: string;
  /**
   * Which chain this is, beyond its id: `genesis:<block 0 hash>` for a configured chain, and
   * `embedded:<id>` for the embedded one, an id kept in its data directory (an embedded chain that
   * lost its state after a crash starts from a new genesis, yet is still the same service's chain).
   */
  instance: string;
}

export interface ConnectChainOptions {
  config: Config;
  signerPrivateKey: string;
  logger: Logger;
  /** Registers what must be stopped with the service (the embedded chain, the providers). */
  onStop: (stop: () => Promise<void>) => void;
  /** The embedded chain was restarted after a crash (it may have lost its newest blocks). */
  onRestart: () => void;
  /** An extra anchoring chain (CHAINS) instead of the primary one the single-chain settings describe. */
  extra?: ExtraChainSettings;
}

/** Connects to the configured chain, or starts the embedded one when no RPC_URL is set. */
export async function connectChain(options: ConnectChainOptions): Promise<ConnectedChain> {
  const { extra } = options;
  if (extra) {
    // An extra chain is described like the primary one: its settings take the single-chain ones' place.
    const config: Config = { ...options.config, rpcUrls: extra.rpcUrls, chainId: extra.chainId, anchorContract: extra.anchorContract, publicRpcUrl: extra.publicRpcUrl };
    const embeddedDirectory = `chain-${extra.chainId ?? 'extra'}`;
    return extra.embedded ? connectEmbedded({ ...options, config }, embeddedDirectory, extra.chainId) : connectConfigured({ ...options, config });
  }
  return options.config.rpcUrls.length === 0 ? connectEmbedded(options) : connectConfigured(options);
}

/** The primary chain, then every extra chain of CHAINS, each connected (or started) and checked. */
export async function connectChains(options: Omit<ConnectChainOptions, 'extra' | 'onRestart'> & { onRestart: (chain: number) => void }): Promise<ConnectedChain[]> {
  const chains: ConnectedChain[] = [];
  for (const extra of [undefined, ...options.config.extraChains]) {
    const index = chains.length;
    chains.push(await connectChain({ ...options, extra, onRestart: () => options.onRestart(index) }));
  }
  const ids = chains.map((chain) => chain.chainId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new Error(`chain ${repeated} is configured twice: each anchoring chain once (RPC_URL or the embedded chain, then CHAINS)`);
  return chains;
}

async function connectEmbedded({ config, signerPrivateKey, logger, onStop, onRestart }: ConnectChainOptions, directory = 'chain', chainId?: number): Promise<ConnectedChain> {
  const anvil = await startEmbeddedAnvil({ dataDir: config.dataDir, directory, chainId, logger: chainLogger(logger), onRestart });
  onStop(() => anvil.stop());
  const provider = connectEmbeddedChain(anvil);
  onStop(async () => provider.destroy());
  const wallet = new Wallet(signerPrivateKey, provider);
  const deployment = await ensureEmbeddedDeployment({
    dataDir: config.dataDir,
    directory,
    provider,
    funder: new Wallet(ANVIL_DEV_FUNDER_KEY, provider),
    signerAddress: wallet.address,
    logger: chainLogger(logger),
  });
  logger.info({ rpcUrl: anvil.rpcUrl, pid: anvil.pid, chainId: anvil.chainId }, 'embedded chain ready');
  return {
    provider,
    wallet,
    chainId: anvil.chainId,
    anchorContract: deployment.anchorContract.toLowerCase(),
    didRegistry: deployment.didRegistry.toLowerCase(),
    publicRpcUrl: config.publicRpcUrl ?? anvil.rpcUrl,
    relayUpstreamUrl: anvil.rpcUrl,
    instance: `embedded:${embeddedChainId(config.dataDir, directory)}`,
  };
}

async function connectConfigured({ config, signerPrivateKey, logger, onStop }: ConnectChainOptions): Promise<ConnectedChain> {
  const providers = config.rpcUrls.map((url) => {
    const request = new FetchRequest(url);
    request.timeout = RPC_REQUEST_TIMEOUT_MS;
    return new JsonRpcProvider(request, config.chainId, { cacheTimeout: -1, batchStallTime: 0, ...(config.chainId ? { staticNetwork: true } : {}) });
  });
  const provider: Provider =
    providers.length === 1 ? providers[0]! : new FallbackProvider(providers.map((p, i) => ({ provider: p, priority: i + 1, weight: 1 })), config.chainId, { quorum: 1 });
  onStop(async () => provider.destroy());
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
  const genesis = await provider.getBlock(0);
  if (!genesis?.hash) throw new Error(`RPC_URL has no block 0 on chain ${chainId}`);
  logger.info({ chainId, rpc: config.rpcUrls.map(redactUrl) }, 'connected to chain');
  return {
    provider,
    wallet: new Wallet(signerPrivateKey, provider),
    chainId,
    anchorContract,
    didRegistry: config.didRegistry ?? CANONICAL_DID_REGISTRY,
    publicRpcUrl: config.publicRpcUrl ?? publishableRpcUrl(config.rpcUrls[0]!),
    instance: `genesis:${genesis.hash.toLowerCase()}`,
  };
}

/** The embedded chain's id, created with its directory: `<dataDir>/chain/instance-id`. */
function embeddedChainId(dataDir: string, directory: string): string {
  const file = path.join(dataDir, directory, 'instance-id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomBytes(16).toString('hex');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${id}\n`, { flag: 'wx' });
    return id;
  }
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
