// The two DocumentAnchor reads a verifier needs, hand-encoded so the page does not bundle ethers:
// `anchorOf(bytes32)` as eth_call data and its four ABI words, and the RootAnchored log filter.
// Browser-safe; the relay in src/web/chain-rpc-relay.ts uses the same constants to allow-list calls.
import { DomainError } from '../../core/errors';
import type { Anchoring } from '../../core/receipts/verify';

/** First four bytes of keccak256("anchorOf(bytes32)"); a test keeps it equal to ethers' encoding. */
export const ANCHOR_OF_SELECTOR = '0xcf4ff901';

/** keccak256("RootAnchored(bytes32,address,uint32,uint32,uint32)"): topic 0 of the event. */
export const ROOT_ANCHORED_TOPIC = '0xbb62a9f194d5883ba8329d294e86a3f05c7d6a494ff70c2d7990c1e5e69acfc9';

/**
 * `CHAIN_RPC_ERROR`: the RPC answered with an error or with something that is not an answer;
 * `ANCHOR_CONTRACT_NOT_FOUND`: the address holds no contract (eth_call returned no data);
 * `CHAIN_UNREACHABLE`: no answer at all (network, CORS, timeout, HTTP error).
 */
export class ChainRequestError extends DomainError<'CHAIN_RPC_ERROR' | 'ANCHOR_CONTRACT_NOT_FOUND' | 'CHAIN_UNREACHABLE'> {}

const ROOT_PATTERN = /^[0-9a-f]{64}$/;
const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;
const ZERO_ADDRESS = `0x${'0'.repeat(40)}`;

/** eth_call data of `anchorOf(root)`; `rootHex` is 64 lower-case hex digits without 0x, as in receipts. */
export function encodeAnchorOfCall(rootHex: string): string {
  if (!ROOT_PATTERN.test(rootHex)) throw new ChainRequestError('CHAIN_RPC_ERROR', 'a root is 64 lower-case hex digits');
  return `${ANCHOR_OF_SELECTOR}${rootHex}`;
}

/**
 * Decodes the `(uint32, uint32, uint32, address)` answer of `anchorOf`: the root's anchoring (the
 * submitter as a lower-case 0x address), or null for a root never anchored (all four words zero).
 */
export function decodeAnchorOfResult(data: unknown, contract: string): Anchoring | null {
  if (data === '0x') throw new ChainRequestError('ANCHOR_CONTRACT_NOT_FOUND', `no DocumentAnchor contract at ${contract}`);
  if (typeof data !== 'string' || !/^0x[0-9a-fA-F]{256}$/.test(data)) {
    throw new ChainRequestError('CHAIN_RPC_ERROR', `anchorOf answered ${String(data).slice(0, 80)}, not four ABI words`);
  }
  const words = [0, 1, 2, 3].map((index) => data.slice(2 + index * 64, 2 + (index + 1) * 64).toLowerCase());
  const uint32 = (word: string, name: string): number => {
    if (!/^0{56}/.test(word)) throw new ChainRequestError('CHAIN_RPC_ERROR', `anchorOf ${name} does not fit a uint32`);
    return Number.parseInt(word.slice(56), 16);
  };
  const addressWord = words[3]!;
  if (!/^0{24}/.test(addressWord)) throw new ChainRequestError('CHAIN_RPC_ERROR', 'anchorOf submitter is not an address');
  const submitter = `0x${addressWord.slice(24)}`;
  if (submitter === ZERO_ADDRESS) return null;
  return {
    timestamp: uint32(words[0]!, 'timestamp'),
    blockNumber: uint32(words[1]!, 'blockNumber'),
    treeSize: uint32(words[2]!, 'treeSize'),
    submitter,
  };
}

/** eth_getLogs filter for the RootAnchored event of `rootHex` in one block. */
export function rootAnchoredLogFilter(contract: string, rootHex: string, blockNumber: number): Record<string, unknown> {
  if (!ADDRESS_PATTERN.test(contract)) throw new ChainRequestError('CHAIN_RPC_ERROR', `${contract} is not an address`);
  if (!ROOT_PATTERN.test(rootHex)) throw new ChainRequestError('CHAIN_RPC_ERROR', 'a root is 64 lower-case hex digits');
  const block = `0x${blockNumber.toString(16)}`;
  return { address: contract.toLowerCase(), topics: [ROOT_ANCHORED_TOPIC, `0x${rootHex}`], fromBlock: block, toBlock: block };
}
