// Receipts, version 1 (DESIGN.md §3, fixed): their types, a strict parser for receipts that arrive as
// JSON, and verification against the chain alone, through an injected anchor lookup.
import { documentIdFromMultihash, hashDocument, parseDocumentId, type DocumentId } from '../ids/document-id';
import { DomainError, InvalidReceiptError } from '../errors';
import { bytesToHex, hexToBytes, isLowerHex } from '../hex';
import { hashLeaf, rootFromInclusionProof } from '../merkle/tree';
import type { MerkleHasher } from '../merkle/hasher';
import { decodeMultihash, type MultihashAlgorithm } from '../ids/multihash';

export const RECEIPT_VERSION = 'did-notary/receipt/1';
export const INCLUSION_PROOF_TYPE = 'rfc9162-sha256-inclusion';

export type ReceiptStatus = 'pending' | 'anchored';

export interface ReceiptDocument {
  /** CIDv1, raw codec, base32. */
  cid: string;
  /** Lower-case hex multihash; must name the same multihash as `cid`. */
  multihash: string;
}

export interface ReceiptBatch {
  id: string;
  /** 64 lower-case hex: MTH of the batch. */
  root: string;
  treeSize: number;
}

export interface ReceiptProof {
  type: typeof INCLUSION_PROOF_TYPE;
  leafIndex: number;
  treeSize: number;
  /** RFC 9162 audit path, leaf level first, 64 lower-case hex each. */
  auditPath: string[];
}

export interface ReceiptAnchor {
  /** CAIP-2 chain id, 'eip155:<chain id>'. */
  chain: string;
  /** Anchor contract address, 0x-prefixed (any case: EIP-55 checksums are mixed case). */
  contract: string;
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  /** Block timestamp, Unix seconds. */
  timestamp: number;
}

interface ReceiptCommon {
  version: typeof RECEIPT_VERSION;
  document: ReceiptDocument;
  /** RFC 3339 time at which the service accepted the document. */
  submittedAt: string;
  /** DID of the service that issued the receipt. */
  issuer: string;
}

/** Accepted but not yet anchored: no batch, proof or anchor. */
export interface PendingReceipt extends ReceiptCommon {
  status: 'pending';
  batch?: undefined;
  proof?: undefined;
  anchor?: undefined;
}

export interface AnchoredReceipt extends ReceiptCommon {
  status: 'anchored';
  batch: ReceiptBatch;
  proof: ReceiptProof;
  anchor: ReceiptAnchor;
}

export type Receipt = PendingReceipt | AnchoredReceipt;

/**
 * Validates JSON as a version-1 receipt and returns a fresh copy holding only the fields of §3 (unknown
 * fields are ignored, for forward compatibility). Throws `InvalidReceiptError` (code `INVALID_RECEIPT`)
 * naming the first bad field. Checks form only; whether the proof holds is `verifyReceipt`'s job.
 */
export function parseReceipt(json: unknown): Receipt {
  const receipt = objectField(json, 'receipt');
  if (receipt.version !== RECEIPT_VERSION) {
    throw new InvalidReceiptError('version', `must be ${JSON.stringify(RECEIPT_VERSION)}`);
  }
  const status = receipt.status;
  if (status !== 'pending' && status !== 'anchored') {
    throw new InvalidReceiptError('status', `must be "pending" or "anchored"`);
  }
  const common: ReceiptCommon = {
    version: RECEIPT_VERSION,
    document: parseDocument(receipt.document),
    submittedAt: parseTimestamp(receipt.submittedAt, 'submittedAt'),
    issuer: parseIssuer(receipt.issuer),
  };
  if (status === 'pending') {
    for (const field of ['batch', 'proof', 'anchor'] as const) {
      if (receipt[field] !== undefined) throw new InvalidReceiptError(field, 'must be absent while pending');
    }
    return { ...common, status };
  }
  return {
    ...common,
    status,
    batch: parseBatch(receipt.batch),
    proof: parseProof(receipt.proof),
    anchor: parseAnchor(receipt.anchor),
  };
}

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
  | 'anchor-mismatch';

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
  };
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

// --- field parsers: each names the offending field by its path -----------------------------------

function objectField(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidReceiptError(field, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function stringField(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidReceiptError(field, 'must be a non-empty string');
  return value;
}

function integerField(value: unknown, field: string, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidReceiptError(field, `must be an integer >= ${minimum}`);
  }
  return value;
}

function hexField(value: unknown, field: string, length: number, prefix = ''): string {
  if (typeof value !== 'string' || !value.startsWith(prefix) || !isLowerHex(value.slice(prefix.length), length)) {
    throw new InvalidReceiptError(field, `must be ${prefix ? `${prefix} and ` : ''}${length} lower-case hex characters`);
  }
  return value;
}

function parseDocument(value: unknown): ReceiptDocument {
  const document = objectField(value, 'document');
  const cid = stringField(document.cid, 'document.cid');
  const multihash = stringField(document.multihash, 'document.multihash');
  let id: DocumentId;
  try {
    id = documentIdFromMultihash(hexToBytes(multihash));
  } catch (error) {
    if (error instanceof DomainError) throw new InvalidReceiptError('document.multihash', `is not a multihash we accept: ${error.message}`);
    throw error;
  }
  if (multihash !== id.multihashHex) throw new InvalidReceiptError('document.multihash', 'must be lower-case hex');
  if (cid !== id.cid) throw new InvalidReceiptError('document.cid', `must be ${id.cid}, the CIDv1 of document.multihash`);
  return { cid, multihash };
}

// RFC 3339 date-time, as Date.prototype.toISOString and most JSON serialisers write it.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseTimestamp(value: unknown, field: string): string {
  if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidReceiptError(field, 'must be an RFC 3339 date-time such as 2026-11-24T12:00:00.000Z');
  }
  return value;
}

function parseIssuer(value: unknown): string {
  if (typeof value !== 'string' || !/^did:[a-z0-9]+:\S+$/.test(value)) {
    throw new InvalidReceiptError('issuer', 'must be a DID');
  }
  return value;
}

function parseBatch(value: unknown): ReceiptBatch {
  const batch = objectField(value, 'batch');
  return {
    id: stringField(batch.id, 'batch.id'),
    root: hexField(batch.root, 'batch.root', 64),
    treeSize: integerField(batch.treeSize, 'batch.treeSize', 1),
  };
}

function parseProof(value: unknown): ReceiptProof {
  const proof = objectField(value, 'proof');
  if (proof.type !== INCLUSION_PROOF_TYPE) {
    throw new InvalidReceiptError('proof.type', `must be ${JSON.stringify(INCLUSION_PROOF_TYPE)}`);
  }
  if (!Array.isArray(proof.auditPath)) throw new InvalidReceiptError('proof.auditPath', 'must be an array');
  return {
    type: INCLUSION_PROOF_TYPE,
    leafIndex: integerField(proof.leafIndex, 'proof.leafIndex', 0),
    treeSize: integerField(proof.treeSize, 'proof.treeSize', 1),
    auditPath: proof.auditPath.map((node: unknown, index) => hexField(node, `proof.auditPath[${index}]`, 64)),
  };
}

function parseAnchor(value: unknown): ReceiptAnchor {
  const anchor = objectField(value, 'anchor');
  const chain = stringField(anchor.chain, 'anchor.chain');
  if (!/^eip155:[1-9][0-9]*$/.test(chain)) throw new InvalidReceiptError('anchor.chain', 'must be eip155:<chain id>');
  const contract = stringField(anchor.contract, 'anchor.contract');
  if (!/^0x[0-9a-fA-F]{40}$/.test(contract)) throw new InvalidReceiptError('anchor.contract', 'must be a 0x-prefixed address');
  return {
    chain,
    contract,
    transactionHash: hexField(anchor.transactionHash, 'anchor.transactionHash', 64, '0x'),
    blockNumber: integerField(anchor.blockNumber, 'anchor.blockNumber', 0),
    blockHash: hexField(anchor.blockHash, 'anchor.blockHash', 64, '0x'),
    timestamp: integerField(anchor.timestamp, 'anchor.timestamp', 0),
  };
}
