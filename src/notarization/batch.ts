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
  /** Leaves of the batch tree: its documents, plus the log commitment leaf when it has one. */
  treeSize: number;
  /** The batch's place in the transparency log (0 for the first batch ever sealed). */
  logIndex: number;
  /**
   * The tree's last leaf: the checkpoint text (core/log/checkpoint.ts) of the log before this batch,
   * so that anchoring the root commits to all earlier batches. Null for batches sealed before the log.
   */
  logCommitment: LogCommitment | null;
  root: Uint8Array;
  sealedAt: Date;
  /** 'anchored' once the first chain confirmed an anchoring of the root. */
  status: 'sealed' | 'anchored';
  /** The first confirmed anchoring (a receipt's v1 `anchor`), or null. */
  anchor: RecordedAnchoring | null;
  /** Every confirmed anchoring, one per chain, in the order they were confirmed (`anchor` first). */
  anchors: RecordedAnchoring[];
}

/** A batch waiting for its anchoring on one chain, with what was sent there so far. */
export interface ChainAnchoringJob {
  batch: BatchRecord;
  /** CAIP-2 id of the chain. */
  chain: string;
  intendedTransaction: IntendedTransaction | null;
  attempts: number;
}

/** The log a batch extends, and where that commitment sits in the batch tree. */
export interface LogCommitment {
  /** The leaf's data: the UTF-8 checkpoint text of the log at size `logIndex`. */
  leaf: Uint8Array;
  /** The audit path of that leaf (the tree's last), leaf level first. */
  auditPath: Uint8Array[];
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
