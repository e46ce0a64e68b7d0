// The one way to talk to the embedded Anvil with ethers.
import { FetchRequest, JsonRpcProvider } from 'ethers';
import { RPC_REQUEST_TIMEOUT_MS } from '../chain-errors';
import type { EmbeddedAnvil } from './embedded-anvil';

/**
 * A provider for the embedded chain. Anvil mines faster than ethers' default 250 ms result cache,
 * which would hand back stale nonces and stale eth_call answers, so the cache is off; request
 * batching only adds latency on loopback, so it is off too.
 */
export function connectEmbeddedChain(anvil: Pick<EmbeddedAnvil, 'rpcUrl' | 'chainId'>, pollingIntervalMs = 250): JsonRpcProvider {
  const request = new FetchRequest(anvil.rpcUrl);
  request.timeout = RPC_REQUEST_TIMEOUT_MS;
  return new JsonRpcProvider(request, anvil.chainId, {
    staticNetwork: true,
    pollingInterval: pollingIntervalMs,
    cacheTimeout: -1,
    batchMaxCount: 1,
  });
}
