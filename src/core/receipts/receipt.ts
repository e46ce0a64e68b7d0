// Receipts, version 1 (the format is fixed; docs/architecture.md shows one): their types and a strict
// parser for receipts that arrive as JSON. Building them is build.ts, checking them verify.ts.
import { documentIdFromMultihash, type DocumentId } from '../ids/document-id';
import { DomainError, InvalidReceiptError } from '../errors';
import { hexToBytes, isLowerHex } from '../hex';

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

/**
 * Where the receipt's batch sits in the service's transparency log, and the log the batch extends
 * (an extension of version 1: verifiers that do not know it ignore it). The batch tree's last leaf
 * is the checkpoint text `origin\n<commitment.size>\n<base64 commitment.root>\n`, and
 * `commitment.auditPath` is that leaf's path to `batch.root`: whoever checks the batch's anchoring
 * also checks that the log held exactly this history when the batch was sealed.
 */
export interface ReceiptLog {
  /** The log's origin line (its name in checkpoints). */
  origin: string;
  /** The batch's place in the log; also the size of the log it extends. */
  index: number;
  commitment: {
    size: number;
    /** 64 lower-case hex: the log's tree head at `size`. */
    root: string;
    /** RFC 9162 audit path of the commitment leaf (leaf index batch.treeSize - 1), 64 hex each. */
    auditPath: string[];
  };
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
  /** The first confirmed anchoring: what version-1 verifiers check. */
  anchor: ReceiptAnchor;
  /**
   * Every confirmed anchoring, one per chain, `anchor` first (an extension of version 1 for services
   * that anchor on several chains; absent on receipts of one chain). The receipt holds when any holds.
   */
  anchors?: ReceiptAnchor[];
  /** Absent for batches sealed before the log existed. */
  log?: ReceiptLog;
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
  const anchored: AnchoredReceipt = {
    ...common,
    status,
    batch: parseBatch(receipt.batch),
    proof: parseProof(receipt.proof),
    anchor: parseAnchor(receipt.anchor),
  };
  if (receipt.anchors !== undefined) {
    if (!Array.isArray(receipt.anchors) || receipt.anchors.length === 0) throw new InvalidReceiptError('anchors', 'must be a non-empty array');
    anchored.anchors = receipt.anchors.map((anchor: unknown, index) => parseAnchor(anchor, `anchors[${index}]`));
  }
  if (receipt.log !== undefined) anchored.log = parseLog(receipt.log);
  return anchored;
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

function parseLog(value: unknown): ReceiptLog {
  const log = objectField(value, 'log');
  const origin = stringField(log.origin, 'log.origin');
  if (origin.includes('\n')) throw new InvalidReceiptError('log.origin', 'must be one line');
  const commitment = objectField(log.commitment, 'log.commitment');
  if (!Array.isArray(commitment.auditPath)) throw new InvalidReceiptError('log.commitment.auditPath', 'must be an array');
  return {
    origin,
    index: integerField(log.index, 'log.index', 0),
    commitment: {
      size: integerField(commitment.size, 'log.commitment.size', 0),
      root: hexField(commitment.root, 'log.commitment.root', 64),
      auditPath: commitment.auditPath.map((node: unknown, index) => hexField(node, `log.commitment.auditPath[${index}]`, 64)),
    },
  };
}

function parseAnchor(value: unknown, field = 'anchor'): ReceiptAnchor {
  const anchor = objectField(value, field);
  const chain = stringField(anchor.chain, `${field}.chain`);
  if (!/^eip155:[1-9][0-9]*$/.test(chain)) throw new InvalidReceiptError(`${field}.chain`, 'must be eip155:<chain id>');
  const contract = stringField(anchor.contract, `${field}.contract`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(contract)) throw new InvalidReceiptError(`${field}.contract`, 'must be a 0x-prefixed address');
  return {
    chain,
    contract,
    transactionHash: hexField(anchor.transactionHash, `${field}.transactionHash`, 64, '0x'),
    blockNumber: integerField(anchor.blockNumber, `${field}.blockNumber`, 0),
    blockHash: hexField(anchor.blockHash, `${field}.blockHash`, 64, '0x'),
    timestamp: integerField(anchor.timestamp, `${field}.timestamp`, 0),
  };
}
