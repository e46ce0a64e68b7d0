// Typed ethers v6 bindings for contracts/DocumentAnchor.sol, written by hand (four fragments do not
// need typechain). Roots cross this boundary as 64 lower-case hex digits without 0x (DESIGN §3).
import {
  Interface,
  ZeroAddress,
  getAddress,
  type BlockTag,
  type Overrides,
  type Provider,
  type Signer,
  type TransactionResponse,
} from 'ethers';
import { DomainError } from '../../core/errors';
import type { Anchoring } from '../../core/receipts/verify';

/** The contract's ABI; a test keeps it equal to the compiled artifact's. */
export const DOCUMENT_ANCHOR_ABI = [
  'error ZeroRoot()',
  'error ZeroTreeSize()',
  'error TimestampOutOfRange(uint256 timestamp)',
  'error BlockNumberOutOfRange(uint256 blockNumber)',
  'event RootAnchored(bytes32 indexed root, address indexed submitter, uint32 treeSize, uint32 blockNumber, uint32 timestamp)',
  'function anchor(bytes32 root, uint32 treeSize) returns (bool anchored)',
  'function anchorOf(bytes32 root) view returns (uint32 timestamp, uint32 blockNumber, uint32 treeSize, address submitter)',
] as const;

const anchorInterface = new Interface(DOCUMENT_ANCHOR_ABI);
const ROOT_ANCHORED_TOPIC = anchorInterface.getEvent('RootAnchored')!.topicHash;
const MAX_TREE_SIZE = 2 ** 32 - 1;

/** Where the RootAnchored event of a root sits: what a receipt's `anchor` needs beyond the contract's record. */
export interface AnchoringEvent {
  transactionHash: string;
  blockHash: string;
  blockNumber: number;
  logIndex: number;
}

/** `INVALID_ANCHOR_INPUT` for a malformed root or tree size; `ANCHOR_CONTRACT_NOT_FOUND` for an address without code. */
export class AnchorContractError extends DomainError<'INVALID_ANCHOR_INPUT' | 'ANCHOR_CONTRACT_NOT_FOUND'> {}

/**
 * The `to` and `data` of an `anchor(root, treeSize)` call, for callers that sign and record a
 * transaction before broadcasting it (idempotent anchoring, DESIGN §8). Rejects what the contract
 * would revert on, so no gas is spent on it.
 */
export function encodeAnchorCall(contractAddress: string, rootHex: string, treeSize: number): { to: string; data: string } {
  const root = rootToBytes32(rootHex);
  if (/^0x0{64}$/.test(root)) throw new AnchorContractError('INVALID_ANCHOR_INPUT', 'the zero root cannot be anchored');
  if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > MAX_TREE_SIZE) {
    throw new AnchorContractError('INVALID_ANCHOR_INPUT', `tree size must be an integer from 1 to ${MAX_TREE_SIZE}`, {
      treeSize,
    });
  }
  return { to: getAddress(contractAddress), data: anchorInterface.encodeFunctionData('anchor', [root, treeSize]) };
}

/**
 * Sends `anchor(root, treeSize)` from `wallet` and returns the transaction without waiting for it.
 * Anchoring a root that is already anchored succeeds and changes nothing, so a retry is harmless.
 */
export async function anchorRoot(
  wallet: Signer,
  contractAddress: string,
  rootHex: string,
  treeSize: number,
  overrides: Overrides = {},
): Promise<TransactionResponse> {
  return wallet.sendTransaction({ ...overrides, ...encodeAnchorCall(contractAddress, rootHex, treeSize) });
}

/** The contract's record of `rootHex` (one `eth_call`), or null when the root was never anchored. */
export async function readAnchoring(
  provider: Provider,
  contractAddress: string,
  rootHex: string,
  blockTag: BlockTag = 'latest',
): Promise<Anchoring | null> {
  const to = getAddress(contractAddress);
  const result = await provider.call({
    to,
    data: anchorInterface.encodeFunctionData('anchorOf', [rootToBytes32(rootHex)]),
    blockTag,
  });
  if (result === '0x') {
    throw new AnchorContractError('ANCHOR_CONTRACT_NOT_FOUND', `no DocumentAnchor contract at ${to}`, { contract: to });
  }
  const [timestamp, blockNumber, treeSize, submitter] = anchorInterface.decodeFunctionResult('anchorOf', result) as unknown as [
    bigint,
    bigint,
    bigint,
    string,
  ];
  if (submitter === ZeroAddress) return null;
  return { timestamp: Number(timestamp), blockNumber: Number(blockNumber), treeSize: Number(treeSize), submitter };
}

/**
 * The RootAnchored log of `rootHex` in block `blockNumber` (as read from `readAnchoring`), found by
 * its root topic; null when that block holds none (e.g. the anchoring was reorganised away).
 */
export async function findAnchoringEvent(
  provider: Provider,
  contractAddress: string,
  rootHex: string,
  blockNumber: number,
): Promise<AnchoringEvent | null> {
  const logs = await provider.getLogs({
    address: getAddress(contractAddress),
    topics: [ROOT_ANCHORED_TOPIC, rootToBytes32(rootHex)],
    fromBlock: blockNumber,
    toBlock: blockNumber,
  });
  const log = logs.find((candidate) => !candidate.removed);
  if (!log) return null;
  return { transactionHash: log.transactionHash, blockHash: log.blockHash, blockNumber: log.blockNumber, logIndex: log.index };
}

function rootToBytes32(rootHex: string): string {
  if (typeof rootHex !== 'string' || !/^[0-9a-f]{64}$/.test(rootHex)) {
    throw new AnchorContractError('INVALID_ANCHOR_INPUT', 'a root is 64 lower-case hex digits without 0x', {
      root: String(rootHex).slice(0, 80),
    });
  }
  return `0x${rootHex}`;
}
