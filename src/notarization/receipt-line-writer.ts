// A batch's receipts as JSON bytes, each the JSON.stringify of the receipt object GET /v1/receipts/{id}
// builds, byte for byte: the export writes lines of them, and a receipt read from memory is one.
import { bytesToHex } from '../core/hex';
import type { DocumentId } from '../core/ids/document-id';
import type { MerkleTree } from '../core/merkle/tree';
import { anchoredReceiptPieces } from '../core/receipts/build';
import type { ReceiptAnchor, ReceiptLog } from '../core/receipts/receipt';
import type { BatchRecord } from './batch';

/** The writer of an anchored batch's receipts: its shared parts serialised once. */
export function receiptWriterOf(
  issuer: string,
  batch: Pick<BatchRecord, 'id' | 'root' | 'treeSize'>,
  anchors: readonly ReceiptAnchor[],
  log: ReceiptLog | undefined,
  tree: MerkleTree,
  outputBytes: number,
): ReceiptLineWriter {
  const pieces = anchoredReceiptPieces(issuer, { id: batch.id, root: bytesToHex(batch.root), treeSize: batch.treeSize }, anchors, log);
  return new ReceiptLineWriter(pieces, tree, outputBytes);
}

/**
 * Receipt lines written as bytes into one output buffer: the batch's pieces copied in, the document's
 * values written as Latin-1 (they are ASCII), and the audit path kept as text from one receipt to the
 * next, of which only the nodes that changed are written again (about two of twenty for leaves in
 * order). No string per receipt, so little garbage.
 */
export class ReceiptLineWriter {
  private readonly pieces: Buffer[];
  private output: Buffer;
  length = 0;
  private readonly path: Uint8Array;
  private readonly pathWords: Int32Array;
  private readonly previousWords: Int32Array;
  /** The audit path's JSON items, `"<64 hex>",` per node; the last comma is left out when copied. */
  private readonly pathText: Buffer;
  private previousCount = -1;
  private lastTimeMs = Number.NaN;
  private lastTime = '';

  /** `outputBytes`: the buffer lines are written into (it grows when a line would not fit). */
  constructor(pieces: readonly string[], private readonly tree: MerkleTree, outputBytes: number) {
    this.output = Buffer.allocUnsafe(Math.max(outputBytes, 8192));
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

  /**
   * One receipt's JSON, without the newline, in a Buffer of its own (from Node's pool: a receipt is
   * under 4 KiB). Lines written before and not taken are dropped.
   */
  receipt(id: DocumentId, submittedAtMs: number, leafIndex: number): Buffer {
    this.length = 0;
    this.write(id, submittedAtMs, leafIndex);
    const bytes = Buffer.allocUnsafe(this.length - 1);
    this.output.copy(bytes, 0, 0, this.length - 1);
    this.length = 0;
    return bytes;
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
