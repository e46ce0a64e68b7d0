// Receipt verification against a chain over JSON-RPC: the core's verifyReceipt with an anchor lookup
// that asks the contract (one eth_call) and its RootAnchored event (one eth_getLogs), nothing else.
import type { Provider } from 'ethers';
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

/**
 * Verifies a receipt using only the chain behind `provider`: its chain id must be the receipt's,
 * and a receipt naming an address without the anchor contract is `wrong-contract`.
 */
export async function verifyReceiptOnChain(
  receipt: unknown,
  options: { provider: Provider; documentBytes?: Uint8Array; hash?: string; expectedContract?: string; chainId?: number },
): Promise<ReceiptVerification> {
  const chainId = options.chainId ?? Number((await options.provider.getNetwork()).chainId);
  try {
    return await verifyReceipt(receipt, {
      documentBytes: options.documentBytes,
      hash: options.hash,
      expectedChain: `eip155:${chainId}`,
      expectedContract: options.expectedContract,
      lookupAnchor: createAnchorLookup(options.provider),
    });
  } catch (error) {
    if (error instanceof AnchorContractError && error.code === 'ANCHOR_CONTRACT_NOT_FOUND') {
      return { valid: false, reason: 'wrong-contract', message: `${error.message} on eip155:${chainId}` };
    }
    throw error;
  }
}
