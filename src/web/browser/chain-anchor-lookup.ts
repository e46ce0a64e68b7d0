// The page's way to the chain: a minimal JSON-RPC client over fetch, and the core's AnchorLookup built
// on it (one eth_call of anchorOf, one eth_getLogs for the transaction), like platform/chain/receipt-verification.ts.
import type { AnchorLookup } from '../../core/receipts/verify';
import { ChainRequestError, decodeAnchorOfResult, encodeAnchorOfCall, rootAnchoredLogFilter } from './anchor-contract-calls';

/** A JSON-RPC endpoint; every failure is a `ChainRequestError`. */
export interface JsonRpcClient {
  readonly url: string;
  request(method: string, params: unknown[]): Promise<unknown>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** A client for `url` that sends one request per call (no batches: not every RPC accepts them). */
export function createJsonRpcClient(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): JsonRpcClient {
  let nextId = 1;
  return {
    url,
    async request(method, params) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
          credentials: 'omit',
          referrerPolicy: 'no-referrer',
        });
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        throw new ChainRequestError(
          'CHAIN_UNREACHABLE',
          timedOut
            ? `no answer within ${timeoutMs / 1000} s`
            : 'no answer: the address is wrong, the node is down, or it does not accept requests from web pages (CORS)',
        );
      }
      if (!response.ok) throw new ChainRequestError('CHAIN_UNREACHABLE', `the RPC answered HTTP ${response.status} ${response.statusText}`.trim());
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new ChainRequestError('CHAIN_UNREACHABLE', 'the RPC answered something that is not JSON');
      }
      if (typeof body !== 'object' || body === null) throw new ChainRequestError('CHAIN_RPC_ERROR', 'the RPC answered no JSON-RPC object');
      const { result, error } = body as { result?: unknown; error?: { message?: unknown } };
      if (error !== undefined) {
        throw new ChainRequestError('CHAIN_RPC_ERROR', `${method} failed: ${String(error?.message ?? 'unknown error').slice(0, 300)}`);
      }
      return result;
    },
  };
}

/** The chain id the RPC serves, as a number (eth_chainId). */
export async function readChainId(client: JsonRpcClient): Promise<number> {
  const result = await client.request('eth_chainId', []);
  if (typeof result !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(result)) {
    throw new ChainRequestError('CHAIN_RPC_ERROR', `eth_chainId answered ${String(result).slice(0, 40)}`);
  }
  return Number.parseInt(result, 16);
}

/**
 * Asks the anchor contract for a root's first anchoring and finds its RootAnchored log for the
 * transaction and block hash. A contract-less address rejects with `ANCHOR_CONTRACT_NOT_FOUND`.
 */
export function createChainAnchorLookup(client: JsonRpcClient): AnchorLookup {
  return async ({ contract, root }) => {
    const data = await client.request('eth_call', [{ to: contract.toLowerCase(), data: encodeAnchorOfCall(root) }, 'latest']);
    const anchoring = decodeAnchorOfResult(data, contract);
    if (anchoring === null) return null;
    const logs = await client.request('eth_getLogs', [rootAnchoredLogFilter(contract, root, anchoring.blockNumber)]);
    if (!Array.isArray(logs)) throw new ChainRequestError('CHAIN_RPC_ERROR', 'eth_getLogs answered no list');
    const log = logs.find((entry): entry is { transactionHash: string; blockHash: string } => isLiveLog(entry));
    return {
      ...anchoring,
      ...(log ? { transactionHash: log.transactionHash.toLowerCase(), blockHash: log.blockHash.toLowerCase() } : {}),
    };
  };
}

function isLiveLog(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const log = entry as Record<string, unknown>;
  return log.removed !== true && typeof log.transactionHash === 'string' && typeof log.blockHash === 'string';
}
