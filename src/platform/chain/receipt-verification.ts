// Receipt verification against a chain over JSON-RPC: the core's verifyReceipt with an anchor lookup
// that asks the contract (one eth_call) and its RootAnchored event (one eth_getLogs), nothing else.
import type { Provider } from 'ethers';
import { LRUCache } from 'lru-cache';
import { verifyReceipt, type AnchorLookup, type ReceiptVerification } from '../../core/receipts/verify';
import { AnchorContractError, findAnchoringEvent, readAnchoring } from './anchor-contract';

/** An AnchorLookup on `provider`: the contract's record of the root plus its transaction and block. */
export function createAnchorLookup(provider: Provider): AnchorLookup {
  return async ({ contract, root }) => {
    const anchoring = await readAnchoring(provider, contract, root);
    if (!anchoring) return null;
    const event = await findAnchoringEvent(provider, contract, root, anchoring.blockNumber);
    return {
      ...anchoring,
      ...(event ? { transactionHash: event.transactionHash.toLowerCase(), blockHash: event.blockHash.toLowerCase() } : {}),
    };
  };
}

/** How long a root's anchoring, once read, answers receipt checks; a root not (yet) anchored, briefly. */
const ANCHORED_TTL_MS = 10_000;
const NOT_ANCHORED_TTL_MS = 2_000;

/**
 * `lookup` with its answers kept per contract and root for a few seconds, concurrent lookups of one
 * root merged: POST /v1/receipts/verify is public, and without this every call costs two RPC calls.
 * A reorganisation that moves an anchoring shows after at most ANCHORED_TTL_MS. Failures are not kept.
 */
export function cachedAnchorLookup(lookup: AnchorLookup, maxRoots = 10_000): AnchorLookup {
  type Found = Awaited<ReturnType<AnchorLookup>> | { none: true };
  const cache = new LRUCache<string, NonNullable<Found>, Parameters<AnchorLookup>[0]>({
    max: maxRoots,
    ttl: ANCHORED_TTL_MS,
    fetchMethod: async (_key, _stale, { context, options }) => {
      const anchoring = await lookup(context);
      if (anchoring) return anchoring;
      options.ttl = NOT_ANCHORED_TTL_MS;
      return { none: true };
    },
  });
  return async (query) => {
    const found = await cache.fetch(`${query.contract.toLowerCase()}:${query.root.toLowerCase()}`, { context: query });
    return !found || 'none' in found ? null : found;
  };
}

/**
 * Verifies a receipt using only the chain behind `provider`: its chain id must be the receipt's,
 * and a receipt naming an address without the anchor contract is `wrong-contract`.
 */
export async function verifyReceiptOnChain(
  receipt: unknown,
  options: { provider: Provider; documentBytes?: Uint8Array; hash?: string; expectedContract?: string; chainId?: number; lookupAnchor?: AnchorLookup },
): Promise<ReceiptVerification> {
  const chainId = options.chainId ?? Number((await options.provider.getNetwork()).chainId);
  try {
    return await verifyReceipt(receipt, {
      documentBytes: options.documentBytes,
      hash: options.hash,
      expectedChain: `eip155:${chainId}`,
      expectedContract: options.expectedContract,
      lookupAnchor: options.lookupAnchor ?? createAnchorLookup(options.provider),
    });
  } catch (error) {
    if (error instanceof AnchorContractError && error.code === 'ANCHOR_CONTRACT_NOT_FOUND') {
      return { valid: false, reason: 'wrong-contract', message: `${error.message} on eip155:${chainId}` };
    }
    throw error;
  }
}

/**
 * Verifies a receipt against every chain given (by CAIP-2 id): each of its anchors on one of them is
 * checked there; anchors on other chains are reported as 'wrong-chain' (no RPC for them). Valid when
 * one anchor holds.
 */
export async function verifyReceiptOnChains(
  receipt: unknown,
  options: {
    providers: ReadonlyMap<string, Provider>;
    /** Lookups per chain to use instead of fresh ones on the providers (cachedAnchorLookup, when many receipts share roots). */
    lookups?: ReadonlyMap<string, AnchorLookup>;
    documentBytes?: Uint8Array;
    hash?: string;
    expectedContract?: string;
  },
): Promise<ReceiptVerification> {
  const lookups = options.lookups ?? new Map([...options.providers].map(([chain, provider]) => [chain, createAnchorLookup(provider)]));
  try {
    return await verifyReceipt(receipt, {
      documentBytes: options.documentBytes,
      hash: options.hash,
      expectedChains: [...lookups.keys()],
      expectedContract: options.expectedContract,
      lookupAnchor: (query) => lookups.get(query.chain)!(query),
    });
  } catch (error) {
    // No anchor verified, and one names an address without the contract: the receipt points elsewhere.
    if (error instanceof AnchorContractError && error.code === 'ANCHOR_CONTRACT_NOT_FOUND') {
      return { valid: false, reason: 'wrong-contract', message: error.message };
    }
    throw error;
  }
}
