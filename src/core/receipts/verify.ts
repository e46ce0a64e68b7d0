// Verification of a receipt against the chain alone, through an injected anchor lookup: the same code
// in the service, the CLI and the browser page, none of which trusts the service's own records.
import { hashDocument, parseDocumentId } from '../ids/document-id';
import { InvalidReceiptError } from '../errors';
import { bytesToHex, hexToBytes } from '../hex';
import { formatCheckpoint } from '../log/checkpoint';
import { rootFromInclusionProof } from '../merkle/proof';
import { hashLeaf } from '../merkle/tree';
import type { MerkleHasher } from '../merkle/hasher';
import { decodeMultihash, type MultihashAlgorithm } from '../ids/multihash';
import { parseReceipt, type AnchoredReceipt, type Receipt, type ReceiptDocument } from './receipt';

/**
 * An anchoring as the chain records it: the anchor contract's `anchorOf(root)` (the first anchoring of
 * the root), plus the transaction and block of its RootAnchored event where the reader looked them up.
 */
export interface Anchoring {
  /** Block timestamp of the first anchoring, Unix seconds. */
  timestamp: number;
  blockNumber: number;
  treeSize: number;
  /** The address that anchored it first. */
  submitter: string;
  transactionHash?: string;
  blockHash?: string;
}

/** Which anchoring to look up. `root` is 64 lower-case hex without 0x, as in the receipt. */
export interface AnchorQuery {
  chain: string;
  contract: string;
  root: string;
}

/**
 * Asks the chain (never the service's own records) for the anchoring of a root; null when there is
 * none. An I/O failure should reject: it is not a verification result.
 */
export type AnchorLookup = (query: AnchorQuery) => Promise<Anchoring | null>;

export interface VerifyReceiptOptions {
  /** The document itself: hashed with the receipt's algorithm and compared. */
  documentBytes?: Uint8Array;
  /** The document's id in any form `parseDocumentId` accepts; an unparsable one throws. */
  hash?: string;
  lookupAnchor: AnchorLookup;
  /** Reject receipts anchored on another chain ('eip155:<id>'). */
  expectedChain?: string;
  /** Reject receipts anchored by another contract (compared case-insensitively). */
  expectedContract?: string;
  hasher?: MerkleHasher;
}

/** Why a receipt does not prove what it claims; stable identifiers for clients. */
export type ReceiptFailureReason =
  | 'invalid-receipt'
  | 'wrong-document'
  | 'pending'
  | 'wrong-chain'
  | 'wrong-contract'
  | 'root-mismatch'
  | 'bad-proof'
  | 'not-anchored'
  | 'anchor-mismatch'
  | 'bad-log-commitment';

/** A receipt that holds: the document was in a batch whose root the chain recorded at `anchoredAt`. */
export interface ReceiptVerified {
  valid: true;
  document: ReceiptDocument;
  /** Block timestamp of the anchoring, as the chain reports it (Unix seconds). */
  anchoredAt: number;
  blockNumber: number;
  chain: string;
  contract: string;
  transactionHash: string;
  root: string;
  treeSize: number;
  leafIndex: number;
  /** Account that anchored the root, as the chain reports it. */
  submitter: string;
  /** The batch's place in the transparency log, when the receipt names one (its commitment checked). */
  log?: { origin: string; index: number; commitmentRoot: string };
}

export interface ReceiptRejected {
  valid: false;
  reason: ReceiptFailureReason;
  message: string;
}

/** JSON-serialisable outcome of `verifyReceipt`. */
export type ReceiptVerification = ReceiptVerified | ReceiptRejected;

/**
 * Verifies a receipt (parsed or raw JSON) against the chain: optionally that it is about the given
 * document, then that its audit path leads to the batch root, then that the chain recorded that root
 * with the receipt's block, time and tree size. Failures are results; only an invalid `hash` option
 * (`InvalidDocumentIdError`) or a failing `lookupAnchor` throws.
 */
export async function verifyReceipt(receipt: unknown, options: VerifyReceiptOptions): Promise<ReceiptVerification> {
  let parsed: Receipt;
  try {
    parsed = parseReceipt(receipt);
  } catch (error) {
    if (error instanceof InvalidReceiptError) return rejected('invalid-receipt', error.message);
    throw error;
  }
  const multihash = hexToBytes(parsed.document.multihash);
  const documentMismatch = checkDocument(parsed.document, decodeMultihash(multihash).algorithm, options);
  if (documentMismatch !== undefined) return rejected('wrong-document', documentMismatch);
  if (parsed.status === 'pending') return rejected('pending', 'the receipt is pending: the document is not anchored yet');

  const { batch, proof, anchor } = parsed;
  if (options.expectedChain !== undefined && anchor.chain !== options.expectedChain) {
    return rejected('wrong-chain', `anchored on ${anchor.chain}, expected ${options.expectedChain}`);
  }
  if (options.expectedContract !== undefined && anchor.contract.toLowerCase() !== options.expectedContract.toLowerCase()) {
    return rejected('wrong-contract', `anchored by contract ${anchor.contract}, expected ${options.expectedContract}`);
  }
  if (proof.treeSize !== batch.treeSize) {
    return rejected('root-mismatch', `proof.treeSize ${proof.treeSize} differs from batch.treeSize ${batch.treeSize}`);
  }

  const computed = rootFromInclusionProof(
    {
      leafHash: hashLeaf(multihash, options.hasher),
      leafIndex: proof.leafIndex,
      treeSize: proof.treeSize,
      auditPath: proof.auditPath.map(hexToBytes),
    },
    options.hasher,
  );
  if (!computed.ok) return rejected('bad-proof', computed.reason);
  const computedRoot = bytesToHex(computed.root);
  if (computedRoot !== batch.root) {
    return rejected('bad-proof', `the audit path leads to ${computedRoot}, not to the batch root ${batch.root}`);
  }

  const logProblem = parsed.log ? checkLogCommitment(parsed, options.hasher) : undefined;
  if (logProblem !== undefined) return rejected('bad-log-commitment', logProblem);

  const record = await options.lookupAnchor({ chain: anchor.chain, contract: anchor.contract, root: batch.root });
  // The contract answers zeros for an unknown root; block 0 (genesis) can hold no anchoring.
  if (record === null || record.blockNumber === 0) {
    return rejected('not-anchored', `the chain has no anchoring of root ${batch.root} by ${anchor.contract}`);
  }
  const differences = anchorDifferences(record, parsed);
  if (differences.length > 0) {
    return rejected('anchor-mismatch', `the chain disagrees with the receipt: ${differences.join('; ')}`);
  }
  return {
    valid: true,
    document: { ...parsed.document },
    anchoredAt: record.timestamp,
    blockNumber: record.blockNumber,
    chain: anchor.chain,
    contract: anchor.contract,
    transactionHash: anchor.transactionHash,
    root: batch.root,
    treeSize: batch.treeSize,
    leafIndex: proof.leafIndex,
    submitter: record.submitter,
    ...(parsed.log ? { log: { origin: parsed.log.origin, index: parsed.log.index, commitmentRoot: parsed.log.commitment.root } } : {}),
  };
}

/**
 * Why the receipt's log commitment does not hold, or undefined when it does: the batch tree's last
 * leaf must be the checkpoint text of the log the receipt names, the place `index` the size of that
 * log, and the document another leaf.
 */
function checkLogCommitment(receipt: AnchoredReceipt, hasher?: MerkleHasher): string | undefined {
  const { log, batch, proof } = receipt;
  if (!log) return undefined;
  if (log.commitment.size !== log.index) return `log.index ${log.index} differs from the size ${log.commitment.size} of the log it extends`;
  if (proof.leafIndex === batch.treeSize - 1) return 'the document cannot be the batch tree\'s last leaf: that leaf is the log commitment';
  let text: string;
  try {
    text = formatCheckpoint({ origin: log.origin, size: log.commitment.size, root: hexToBytes(log.commitment.root) });
  } catch (error) {
    return (error as Error).message;
  }
  const computed = rootFromInclusionProof(
    { leafHash: hashLeaf(new TextEncoder().encode(text), hasher), leafIndex: batch.treeSize - 1, treeSize: batch.treeSize, auditPath: log.commitment.auditPath.map(hexToBytes) },
    hasher,
  );
  if (!computed.ok) return `the log commitment's path: ${computed.reason}`;
  if (bytesToHex(computed.root) !== batch.root) return `the batch root does not commit to log ${log.origin} at size ${log.commitment.size}`;
  return undefined;
}

/** Why the given document is not the receipt's, or undefined when it is (or none was given). */
function checkDocument(
  document: ReceiptDocument,
  algorithm: MultihashAlgorithm,
  options: VerifyReceiptOptions,
): string | undefined {
  if (options.documentBytes !== undefined) {
    // Hash with the receipt's algorithm, so a sha2-512 receipt is checked with sha2-512.
    const actual = hashDocument(options.documentBytes, algorithm);
    if (actual.multihashHex !== document.multihash) {
      return `the document hashes to ${actual.cid}, the receipt is for ${document.cid}`;
    }
  }
  if (options.hash !== undefined) {
    const given = parseDocumentId(options.hash);
    if (given.multihashHex !== document.multihash) {
      return `the hash names ${given.cid}, the receipt is for ${document.cid}`;
    }
  }
  return undefined;
}

function anchorDifferences(record: Anchoring, receipt: AnchoredReceipt): string[] {
  const differences: string[] = [];
  const compare = (what: string, chain: unknown, claimed: unknown): void => {
    if (chain !== claimed) differences.push(`${what} is ${String(chain)} on chain, ${String(claimed)} in the receipt`);
  };
  compare('block number', record.blockNumber, receipt.anchor.blockNumber);
  compare('timestamp', record.timestamp, receipt.anchor.timestamp);
  compare('tree size', record.treeSize, receipt.batch.treeSize);
  if (record.transactionHash !== undefined) {
    compare('transaction hash', record.transactionHash.toLowerCase(), receipt.anchor.transactionHash);
  }
  if (record.blockHash !== undefined) compare('block hash', record.blockHash.toLowerCase(), receipt.anchor.blockHash);
  return differences;
}

function rejected(reason: ReceiptFailureReason, message: string): ReceiptRejected {
  return { valid: false, reason, message };
}
