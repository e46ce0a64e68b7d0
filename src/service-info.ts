// GET /v1/info's content, fixed at start: what anyone needs to verify receipts and credentials
// without this service (chain, contracts, DID, signer).
import type { Config } from './config/config';
import type { ServiceInfo } from './http/routes/service';
import type { ConnectedChain } from './platform/chain/connect-chain';
import { SERVICE_VERSION } from './version';

/** What GET /v1/info publishes: enough for anyone to verify receipts and credentials without this service. */
export function serviceInfo(config: Config, chains: readonly ConnectedChain[], did: string, log: ServiceInfo['log']): ServiceInfo {
  const chain = chains[0]!;
  return {
    name: 'did-notary',
    version: SERVICE_VERSION,
    did,
    ...(config.publicUrl ? { didWeb: `did:web:${encodeURIComponent(new URL(config.publicUrl).host)}` } : {}),
    chain: `eip155:${chain.chainId}`,
    chainId: chain.chainId,
    rpcUrl: chain.publicRpcUrl,
    contracts: { anchor: chain.anchorContract, didRegistry: chain.didRegistry },
    signer: chain.wallet.address.toLowerCase(),
    batch: { intervalMs: config.batchIntervalMs, maxSize: config.batchMaxSize, confirmations: config.confirmations },
    log,
    chains: chains.map((each, index) => ({
      chain: `eip155:${each.chainId}`,
      chainId: each.chainId,
      contract: each.anchorContract,
      rpcUrl: each.publicRpcUrl,
      primary: index === 0,
      confirmations: index === 0 ? config.confirmations : config.extraChains[index - 1]!.confirmations,
    })),
  };
}
