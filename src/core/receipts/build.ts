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

/**
 * The JSON text of the anchored receipts of one batch, as the six pieces around each receipt's own
 * values: `p[0] cid p[1] multihash p[2] submittedAt p[3] leafIndex p[4] auditPathItems p[5]`, where
 * cid, multihash and submittedAt are JSON strings, leafIndex a JSON number and auditPathItems the
 * items of the audit path's JSON array (`"ab…","cd…"`). Filled in, a receipt is exactly
 * `JSON.stringify(buildAnchoredReceipt(…))` of the same values (a test holds the two equal): a bulk
 * export writes a million receipts, and stringifying each object whole was most of its cost.
 */
export function anchoredReceiptPieces(issuer: string, batch: ReceiptBatch, anchors: readonly ReceiptAnchor[], log?: ReceiptLog): readonly string[] {
  const anchor = anchors[0];
  if (!anchor) throw new Error('an anchored receipt has at least one anchoring');
  // The same fields, in the same order, as JSON.stringify(buildAnchoredReceipt(…)).
  const extra = (anchors.length > 1 ? `,"anchors":${JSON.stringify(anchors.map(anchorInFieldOrder))}` : '') + (log ? `,"log":${JSON.stringify(log)}` : '');
  return [
    `{"version":${JSON.stringify(RECEIPT_VERSION)},"status":"anchored","document":{"cid":`,
    ',"multihash":',
    '},"submittedAt":',
    `,"issuer":${JSON.stringify(issuer)},"batch":${JSON.stringify({ id: batch.id, root: batch.root, treeSize: batch.treeSize })},"proof":{"type":${JSON.stringify(INCLUSION_PROOF_TYPE)},"leafIndex":`,
    `,"treeSize":${JSON.stringify(batch.treeSize)},"auditPath":[`,
    `]},"anchor":${JSON.stringify(anchorInFieldOrder(anchor))}${extra}}`,
  ];
}

/** The anchor with its fields in the receipt's order, whatever the order of the object given. */
function anchorInFieldOrder(anchor: ReceiptAnchor): ReceiptAnchor {
  const { chain, contract, transactionHash, blockNumber, blockHash, timestamp } = anchor;
  return { chain, contract, transactionHash, blockNumber, blockHash, timestamp };
}
