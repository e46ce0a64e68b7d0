// Building receipts, version 1: the one place the receipt's literals (version, proof type) and the
// order of its fields are written, beside the parser and the verifier that read them back.
import { INCLUSION_PROOF_TYPE, RECEIPT_VERSION, type AnchoredReceipt, type PendingReceipt, type ReceiptAnchor, type ReceiptBatch, type ReceiptDocument, type ReceiptLog } from './receipt';

/** The receipt of an accepted document that is not anchored yet. */
export function buildPendingReceipt(document: ReceiptDocument, submittedAt: string, issuer: string): PendingReceipt {
  return { version: RECEIPT_VERSION, status: 'pending', document, submittedAt, issuer };
}

/**
 * The receipt of an anchored document: its pending receipt with the batch, the inclusion proof of its
 * leaf (`auditPath` as RFC 9162 gives it, 64 lower-case hex each), the anchorings the chains recorded
 * (the first confirmed one is the v1 `anchor`), and
 * the batch's place in the transparency log when it has one.
 */
export function buildAnchoredReceipt(
  pending: Pick<PendingReceipt, 'document' | 'submittedAt' | 'issuer'>,
  batch: ReceiptBatch,
  proof: { leafIndex: number; auditPath: string[] },
  anchors: readonly ReceiptAnchor[],
  log?: ReceiptLog,
): AnchoredReceipt {
  const anchor = anchors[0];
  if (!anchor) throw new Error('an anchored receipt has at least one anchoring');
  const receipt: AnchoredReceipt = {
    version: RECEIPT_VERSION,
    status: 'anchored',
    document: pending.document,
    submittedAt: pending.submittedAt,
    issuer: pending.issuer,
    batch,
    proof: { type: INCLUSION_PROOF_TYPE, leafIndex: proof.leafIndex, treeSize: batch.treeSize, auditPath: proof.auditPath },
    anchor,
  };
  // One chain: the receipt is exactly version 1. Several: `anchors` lists them all, `anchor` first.
  if (anchors.length > 1) receipt.anchors = [...anchors];
  if (log) receipt.log = log;
  return receipt;
}
