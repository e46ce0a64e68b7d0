// A batch: a sealed, contiguous range of submissions, its Merkle root, and its anchoring.
import type { ReceiptAnchor } from '../core/receipts/receipt';

/** An anchoring as recorded for a batch: the receipt's anchor fields plus what it cost. */
export interface RecordedAnchoring extends ReceiptAnchor {
  gasUsed: number | null;
  feeWei: string | null;
}

/** The signed anchoring transaction, recorded before it is broadcast (a restart re-sends it). */
export interface IntendedTransaction {
  hash: string;
  nonce: number;
  raw: string;
  sentAt: Date | null;
}

export interface BatchRecord {
  id: string;
  firstSeq: number;
  lastSeq: number;
  treeSize: number;
  root: Uint8Array;
  sealedAt: Date;
  status: 'sealed' | 'anchored';
  intendedTransaction: IntendedTransaction | null;
  attempts: number;
  lastError: string | null;
  anchor: RecordedAnchoring | null;
}

/** Leaves of a batch in tree order (submission sequence). */
export interface BatchLeaves {
  seqs: number[];
  multihashes: Uint8Array[];
}

/** The committed documents a seal may take, read before the batch is recorded. */
export interface SealableRange {
  /** The last sequence number of the batch sealed before (0 for none): the range starts after it. */
  afterSeq: number;
  leaves: BatchLeaves;
  /** When the range's first document was acknowledged (latency metrics). */
  oldestSubmittedAt: Date;
}

/** Where a batch sits in the sequence, and whether it is anchored: what a document listing needs of it. */
export interface BatchSpan {
  id: string;
  firstSeq: number;
  lastSeq: number;
  anchored: boolean;
}

/** A tenant's submissions in a range, in sequence order: what a bulk export reads. */
export interface TenantLeaves {
  seqs: number[];
  multihashes: Uint8Array[];
  /** Acknowledgement times, epoch milliseconds. */
  times: Float64Array;
}
