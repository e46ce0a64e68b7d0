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
import { parseReceipt, type AnchoredReceipt, type Receipt, type ReceiptAnchor, type ReceiptDocument } from './receipt';

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
  /** Check only anchors on this chain ('eip155:<id>'): an anchor elsewhere is reported as 'wrong-chain'. */
  expectedChain?: string;
  /** Check only anchors on these chains (the chains the caller can reach); others are 'wrong-chain'. */
  expectedChains?: readonly string[];
  /** Accept only anchors by this contract (compared case-insensitively). */
  expectedContract?: string;
  /** Per chain, the contract to accept there (compared case-insensitively). */
  expectedContracts?: Readonly<Record<string, string>>;
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

/** What one of a receipt's anchors came to: verified on its chain, or why not. */
export interface AnchorCheck {
  chain: string;
  contract: string;
  transactionHash: string;
  valid: boolean;
  /** Why not (absent when valid); 'unreachable' when its chain could not be asked. */
  reason?: 'wrong-chain' | 'wrong-contract' | 'not-anchored' | 'anchor-mismatch' | 'unreachable';
  message?: string;
  /** As the chain reports it, when valid. */
  anchoredAt?: number;
  blockNumber?: number;
}

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
  /** Every anchor of the receipt and what it came to; the fields above are the first valid one's. */
  anchors: AnchorCheck[];
}

export interface ReceiptRejected {
  valid: false;
  reason: ReceiptFailureReason;
  message: string;
  /** What each anchor came to, when the receipt got as far as its anchors. */
  anchors?: AnchorCheck[];
}

/** JSON-serialisable outcome of `verifyReceipt`. */
export type ReceiptVerification = ReceiptVerified | ReceiptRejected;

/**
 * Verifies a receipt (parsed or raw JSON) against the chains: optionally that it is about the given
 * document, then that its audit path leads to the batch root, then, for each anchor it names, that
 * its chain recorded that root with the receipt's block, time and tree size. Valid when at least one
 * anchor verifies; `anchors` says what each came to. Failures are results; an invalid `hash` option
 * (`InvalidDocumentIdError`) throws, and so does `lookupAnchor`'s error when no anchor verified and a
 * chain could not be asked (nothing is decided then).
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

  const { batch, proof } = parsed;
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

  // Every anchor the receipt names (the v1 `anchor`, then `anchors`), each on its own chain.
  const candidates = [parsed.anchor, ...(parsed.anchors ?? [])].filter(
    (anchor, index, all) => all.findIndex((other) => JSON.stringify(other) === JSON.stringify(anchor)) === index,
  );
  const checks: AnchorCheck[] = [];
  let unreachable: unknown;
  let verified: { anchor: ReceiptAnchor; record: Anchoring } | undefined;
  for (const anchor of candidates) {
    const check = await checkAnchor(anchor, parsed, options);
    checks.push(check.result);
    if ('error' in check && unreachable === undefined) unreachable = check.error;
    if ('record' in check && !verified) verified = { anchor, record: check.record };
  }
  if (!verified) {
    // Nothing verified. If a chain could not be asked, nothing is decided: the caller hears why.
    if (unreachable !== undefined) throw unreachable;
    const first = checks[0]!;
    return { valid: false, reason: first.reason as Exclude<AnchorCheck['reason'], 'unreachable' | undefined>, message: first.message!, anchors: checks };
  }
  const { anchor, record } = verified;
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
    anchors: checks,
  };
}

/** One anchor against its chain: verified (with the chain's record), refuted, or not checkable. */
async function checkAnchor(
  anchor: ReceiptAnchor,
  receipt: AnchoredReceipt,
  options: VerifyReceiptOptions,
): Promise<{ result: AnchorCheck; record: Anchoring } | { result: AnchorCheck; error: unknown } | { result: AnchorCheck }> {
  const base = { chain: anchor.chain, contract: anchor.contract, transactionHash: anchor.transactionHash };
  const fail = (reason: NonNullable<AnchorCheck['reason']>, message: string) => ({ result: { ...base, valid: false, reason, message } });
  const chains = options.expectedChains ?? (options.expectedChain !== undefined ? [options.expectedChain] : undefined);
  if (chains !== undefined && !chains.includes(anchor.chain)) {
    return fail('wrong-chain', `anchored on ${anchor.chain}, expected ${chains.join(' or ')}`);
  }
  const contract = options.expectedContracts?.[anchor.chain] ?? options.expectedContract;
  if (contract !== undefined && anchor.contract.toLowerCase() !== contract.toLowerCase()) {
    return fail('wrong-contract', `anchored by contract ${anchor.contract}, expected ${contract}`);
  }
  let record: Anchoring | null;
  try {
    record = await options.lookupAnchor({ chain: anchor.chain, contract: anchor.contract, root: receipt.batch.root });
  } catch (error) {
    return { result: { ...base, valid: false, reason: 'unreachable', message: (error as Error).message?.slice(0, 300) ?? String(error) }, error };
  }
  // The contract answers zeros for an unknown root; block 0 (genesis) can hold no anchoring.
  if (record === null || record.blockNumber === 0) {
    return fail('not-anchored', `the chain has no anchoring of root ${receipt.batch.root} by ${anchor.contract}`);
  }
  const differences = anchorDifferences(record, anchor, receipt.batch.treeSize);
  if (differences.length > 0) return fail('anchor-mismatch', `the chain disagrees with the receipt: ${differences.join('; ')}`);
  return { result: { ...base, valid: true, anchoredAt: record.timestamp, blockNumber: record.blockNumber }, record };
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

function anchorDifferences(record: Anchoring, anchor: ReceiptAnchor, treeSize: number): string[] {
  const differences: string[] = [];
  const compare = (what: string, chain: unknown, claimed: unknown): void => {
    if (chain !== claimed) differences.push(`${what} is ${String(chain)} on chain, ${String(claimed)} in the receipt`);
  };
  compare('block number', record.blockNumber, anchor.blockNumber);
  compare('timestamp', record.timestamp, anchor.timestamp);
  compare('tree size', record.treeSize, treeSize);
  if (record.transactionHash !== undefined) {
    compare('transaction hash', record.transactionHash.toLowerCase(), anchor.transactionHash);
  }
  if (record.blockHash !== undefined) compare('block hash', record.blockHash.toLowerCase(), anchor.blockHash);
  return differences;
}

function rejected(reason: ReceiptFailureReason, message: string): ReceiptRejected {
  return { valid: false, reason, message };
}
