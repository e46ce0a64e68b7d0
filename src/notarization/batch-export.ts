// A tenant's receipts of one anchored batch as NDJSON text, in leaf order, for the bulk export
// (GET /v1/batches/{id}/receipts). Each line is the receipt GET /v1/receipts/{id} answers, byte for
// byte; what makes a million of them cheap: the store's rows arrive packed (readTenantLeaves), the
// parts shared by the batch are serialised once (anchoredReceiptWriter), and of each audit path only
// the nodes that differ from the previous receipt's are turned into hex again, about two of twenty.
import { documentIdFromMultihash } from '../core/ids/document-id';
import { nodeMerkleHasher } from './native-merkle-hasher';
import type { MerkleTree } from '../core/merkle/tree';
import type { ReceiptAnchor, ReceiptLog } from '../core/receipts/receipt';
import type { BatchRecord } from './batch';
import type { NotaryStore } from './ports';
import { receiptWriterOf } from './receipt-line-writer';

/** Submissions read per query. */
const READ_CHUNK = 10_000;
/** Bytes handed out at once: large writes, few of them. */
const OUTPUT_CHUNK_BYTES = 256 * 1024;

export interface BatchExportSource {
  store: Pick<NotaryStore, 'readTenantLeaves'>;
  batch: BatchRecord;
  tree: MerkleTree;
  /** Submission sequence numbers in leaf order. */
  seqs: readonly number[];
  issuer: string;
  /** The batch's anchorings, the first confirmed one first. */
  anchors: readonly ReceiptAnchor[];
  /** The batch's place in the transparency log, when it has one. */
  log?: ReceiptLog;
}

/**
 * Yields NDJSON (whole lines only, in chunks of about 256 KiB) of the tenant's receipts whose leaf
 * comes after `afterLeafIndex` (-1: all). A submission of the range that is not a leaf is skipped.
 */
export async function* batchReceiptLines(source: BatchExportSource, tenantId: string, afterLeafIndex: number): AsyncGenerator<Buffer> {
  const { store, batch, tree, seqs } = source;
  const writer = receiptWriterOf(source.issuer, batch, source.anchors, source.log, tree, OUTPUT_CHUNK_BYTES + 64 * 1024);
  let fromSeq = afterLeafIndex >= 0 ? (seqs[afterLeafIndex] ?? batch.lastSeq) + 1 : batch.firstSeq;
  // Leaves and the tenant's rows both come in sequence order: the leaf of a row is found by walking on.
  let leafIndex = Math.max(0, afterLeafIndex + 1);
  let leafHashes = new Uint8Array(0);
  // The next chunk is read (in the database's thread) while this one is written.
  let reading = store.readTenantLeaves(tenantId, fromSeq, batch.lastSeq, READ_CHUNK);
  for (;;) {
    const leaves = await reading;
    const more = leaves.seqs.length === READ_CHUNK;
    if (more) {
      fromSeq = leaves.seqs[leaves.seqs.length - 1]! + 1;
      reading = store.readTenantLeaves(tenantId, fromSeq, batch.lastSeq, READ_CHUNK);
      // A client gone mid-stream leaves this read unawaited: its failure must not go unhandled.
      reading.catch(() => undefined);
    }
    // As for a single receipt (notary.ts): never a proof for another document than the leaf's. The
    // chunk's leaf hashes in one call, four at a time in SIMD.
    if (leafHashes.length < 32 * leaves.seqs.length) leafHashes = new Uint8Array(32 * leaves.seqs.length);
    nodeMerkleHasher.hashLeaves(leaves.multihashes, leafHashes);
    for (let i = 0; i < leaves.seqs.length; i++) {
      const seq = leaves.seqs[i]!;
      while (leafIndex < seqs.length && seqs[leafIndex]! < seq) leafIndex++;
      if (seqs[leafIndex] !== seq) continue;
      const id = documentIdFromMultihash(leaves.multihashes[i]!);
      if (!tree.leafHashEquals(leafIndex, leafHashes.subarray(32 * i, 32 * i + 32))) throw new Error(`leaf ${leafIndex} of batch ${batch.id} is not document ${id.cid}`);
      writer.write(id, leaves.times[i]!, leafIndex);
      if (writer.length >= OUTPUT_CHUNK_BYTES) yield writer.take();
    }
    if (!more) break;
  }
  if (writer.length > 0) yield writer.take();
}
