// A tenant's receipts of one anchored batch as NDJSON text, in leaf order, for the bulk export
// (GET /v1/batches/{id}/receipts). Each line is the receipt GET /v1/receipts/{id} answers, byte for
// byte; what makes a million of them cheap: the store's rows arrive packed (readTenantLeaves), the
// parts shared by the batch are serialised once (anchoredReceiptWriter), and of each audit path only
// the nodes that differ from the previous receipt's are turned into hex again, about two of twenty.
import { documentIdFromMultihash, type DocumentId } from '../core/ids/document-id';
import { bytesToHex } from '../core/hex';
import { nodeMerkleHasher } from './native-merkle-hasher';
import type { MerkleTree } from '../core/merkle/tree';
import { anchoredReceiptPieces } from '../core/receipts/build';
import type { ReceiptAnchor, ReceiptLog } from '../core/receipts/receipt';
import type { BatchRecord } from './batch';
import type { NotaryStore } from './ports';

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
  const writer = new ReceiptLineWriter(anchoredReceiptPieces(source.issuer, { id: batch.id, root: bytesToHex(batch.root), treeSize: batch.treeSize }, source.anchors, source.log), tree);
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

/**
 * Receipt lines written as bytes into one output buffer: the batch's pieces copied in, the document's
 * values written as Latin-1 (they are ASCII), and the audit path kept as text from one receipt to the
 * next, of which only the nodes that changed are written again (about two of twenty for leaves in
 * order). No string per receipt, so little garbage.
 */
class ReceiptLineWriter {
  private readonly pieces: Buffer[];
  private output = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES + 64 * 1024);
  length = 0;
  private readonly path: Uint8Array;
  private readonly pathWords: Int32Array;
  private readonly previousWords: Int32Array;
  /** The audit path's JSON items, `"<64 hex>",` per node; the last comma is left out when copied. */
  private readonly pathText: Buffer;
  private previousCount = -1;
  private lastTimeMs = Number.NaN;
  private lastTime = '';

  constructor(pieces: readonly string[], private readonly tree: MerkleTree) {
    this.pieces = pieces.map((piece) => Buffer.from(piece, 'latin1'));
    const longest = tree.size <= 1 ? 0 : Math.ceil(Math.log2(tree.size));
    this.path = new Uint8Array(longest * 32);
    this.pathWords = new Int32Array(this.path.buffer);
    this.previousWords = new Int32Array(this.pathWords.length);
    this.pathText = Buffer.alloc(longest * PATH_ITEM_BYTES);
    for (let node = 0; node < longest; node++) {
      this.pathText[node * PATH_ITEM_BYTES] = QUOTE;
      this.pathText[node * PATH_ITEM_BYTES + 65] = QUOTE;
      this.pathText[node * PATH_ITEM_BYTES + 66] = COMMA;
    }
  }

  write(id: DocumentId, submittedAtMs: number, leafIndex: number): void {
    const count = this.updatePath(leafIndex);
    // A receipt is under 2,400 bytes for a 2^32-leaf tree: room is made for 4 KiB.
    if (this.length + 4096 > this.output.length) this.grow();
    const out = this.output;
    let at = this.piece(0, this.length);
    at = this.quoted(id.cid, at);
    at = this.piece(1, at);
    at = this.quoted(id.multihashHex, at);
    at = this.piece(2, at);
    at = this.quoted(this.isoTime(submittedAtMs), at);
    at = this.piece(3, at);
    at += out.write(String(leafIndex), at, 'latin1');
    at = this.piece(4, at);
    if (count > 0) at += this.pathText.copy(out, at, 0, count * PATH_ITEM_BYTES - 1);
    at = this.piece(5, at);
    out[at++] = NEWLINE;
    this.length = at;
  }

  /** The lines written so far; the writer starts a new buffer (the one taken is the caller's). */
  take(): Buffer {
    const taken = this.output.subarray(0, this.length);
    this.output = Buffer.allocUnsafe(this.output.length);
    this.length = 0;
    return taken;
  }

  private grow(): void {
    const larger = Buffer.allocUnsafe(this.output.length * 2);
    this.output.copy(larger, 0, 0, this.length);
    this.output = larger;
  }

  private piece(index: number, at: number): number {
    const piece = this.pieces[index]!;
    this.output.set(piece, at);
    return at + piece.length;
  }

  /** `"text"` at `at` (text that needs no JSON escaping: base32, hex, ISO time). */
  private quoted(text: string, at: number): number {
    this.output[at] = QUOTE;
    const written = this.output.write(text, at + 1, 'latin1');
    this.output[at + 1 + written] = QUOTE;
    return at + written + 2;
  }

  /** Writes the leaf's audit path and re-encodes the nodes that differ from the previous path's. */
  private updatePath(leafIndex: number): number {
    const count = this.tree.writeAuditPath(leafIndex, this.path, 0);
    const { pathWords, previousWords } = this;
    const whole = count !== this.previousCount;
    for (let node = 0; node < count; node++) {
      const first = node * 8;
      if (!whole && pathWords[first] === previousWords[first] && sameNode(pathWords, previousWords, first)) continue;
      writeHex(this.path, node * 32, this.pathText, node * PATH_ITEM_BYTES + 1);
      for (let w = first; w < first + 8; w++) previousWords[w] = pathWords[w]!;
    }
    this.previousCount = count;
    return count;
  }

  /** ISO text of epoch milliseconds, kept for the last value: the documents of one insert share it. */
  private isoTime(ms: number): string {
    if (ms !== this.lastTimeMs) {
      this.lastTimeMs = ms;
      this.lastTime = new Date(ms).toISOString();
    }
    return this.lastTime;
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
/** `"` + 64 hex + `"` + `,` */
const PATH_ITEM_BYTES = 67;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** The 32 bytes at `from` as 64 lower-case hex digits at `to`. */
function writeHex(bytes: Uint8Array, from: number, out: Uint8Array, to: number): void {
  for (let i = 0; i < 32; i++) {
    const byte = bytes[from + i]!;
    out[to + 2 * i] = HEX_DIGITS[byte >> 4]!;
    out[to + 2 * i + 1] = HEX_DIGITS[byte & 15]!;
  }
}

function sameNode(a: Int32Array, b: Int32Array, first: number): boolean {
  for (let w = first + 1; w < first + 8; w++) if (a[w] !== b[w]) return false;
  return true;
}
