// A tenant's documents, a page at a time (GET /v1/documents): status, batch and acknowledgement time,
// filtered by time and status, paged by an opaque cursor that is the submission sequence number.
//
// No index serves this listing, on purpose: a document already costs a row and two hash index
// entries, about 156 bytes (issue 20's target is 160), and a B-tree by (tenant, seq) would add about
// 40 more to every document (measured at 200,000 documents: 40 bytes built at once, 42 kept up by
// inserts). Instead a page reads at most SCAN_WINDOW sequence numbers from the cursor through the
// BRIN index on seq, a window at a time, keeping the tenant's rows. With few tenants (the common case) a page fills long before
// that; a tenant with few documents among many others may get short or even empty pages, each with
// `hasMore` and a cursor further on, so one request never costs more than one window. `since`
// skips every batch sealed before it (batches_by_sealed_at: one entry per batch), and `status`
// narrows the walk to the sequence ranges of anchored batches or to the rest: the ranges skipped
// cost nothing, the window counts only the ones walked.
import { DomainError } from '../core/errors';
import { documentIdFromMultihash } from '../core/ids/document-id';
import type { BatchSpan } from './batch';
import type { NotaryStore } from './ports';
import type { ListedSubmission } from './submission';

/** Sequence numbers one page may walk (in ranges of the status asked for): 100,000 without a match took 22-28 ms on PGlite here (2 cores, shared). */
export const SCAN_WINDOW = 100_000;
/** Batch spans one page reads at most (each a small row): the window stops at the last one. */
const MAX_WINDOW_BATCHES = 10_000;

export type DocumentStatus = 'pending' | 'anchored';

/** What a caller asks for; `after` is a cursor from an earlier page. */
export interface DocumentListQuery {
  after?: string;
  /** Acknowledged at or after. */
  since?: Date;
  /** Acknowledged before. */
  until?: Date;
  status?: DocumentStatus;
  limit: number;
}

/** One document as the listing shows it. */
export interface ListedDocument {
  cid: string;
  multihash: string;
  submittedAt: string;
  /** Anchored once its batch is anchored; pending before (also while its batch is sealed, not yet anchored). */
  status: DocumentStatus;
  /** The batch holding it, once sealed. */
  batch: string | null;
  label?: string;
  externalRef?: string;
}

export interface DocumentPage {
  documents: ListedDocument[];
  /** Continues after this page; with `hasMore` false, it is where documents submitted later will appear. */
  next: string;
  /** Whether there may be more documents now (a page may be short, even empty, and still have more after it). */
  hasMore: boolean;
}

/** Lists a tenant's documents in submission order. Throws `INVALID_CURSOR` for a cursor this code did not write. */
export async function listTenantDocuments(
  store: NotaryStore,
  tenantId: string,
  query: DocumentListQuery,
  bounds: { scanWindow: number; maxWindowBatches: number } = { scanWindow: SCAN_WINDOW, maxWindowBatches: MAX_WINDOW_BATCHES },
): Promise<DocumentPage> {
  let start = query.after === undefined ? 0 : decodeDocumentCursor(query.after);
  if (query.since !== undefined) start = Math.max(start, await store.lastSeqSubmittedBefore(query.since));
  // How far the listing may go now. Up to the last sealed batch everything is committed; beyond it a
  // listing must stop where no insert still in flight can commit below, or a client's cursor would
  // skip that late document. (Strictly before it: a window ending at the last sealed document must
  // learn whether more follow.) Anchored documents are all in sealed batches.
  const sealed = await store.lastSealedSeq();
  const unfiltered = query.status === undefined;
  let horizon = query.status === 'anchored' || (unfiltered && start + bounds.scanWindow < sealed) ? sealed : await store.readListingHorizon();
  // The batches ahead: a filtered walk skips the ranges of the other status at no cost.
  const reach = unfiltered ? Math.min(horizon, start + bounds.scanWindow) : horizon;
  const batches = reach > start ? await store.listBatchSpans(start, reach, bounds.maxWindowBatches) : [];
  // Many small batches (a quiet service seals a few documents at a time): the window ends with the last one read.
  let end = batches.length === bounds.maxWindowBatches ? Math.min(reach, batches[batches.length - 1]!.lastSeq) : reach;
  if (query.status === 'anchored') {
    // A cursor never passes a batch not anchored yet: its documents are listed once it is.
    const waiting = batches.find((batch) => !batch.anchored);
    if (waiting) horizon = end = Math.min(end, waiting.firstSeq - 1);
  }
  const window = withinBudget(statusRanges(batches, start, end, query.status), bounds.scanWindow);
  end = window.end ?? end;

  const documents: ListedDocument[] = [];
  let lastListedSeq = start;
  let more = false;
  for (const [afterSeq, throughSeq] of window.ranges) {
    // One row beyond the page tells whether another page follows.
    const wanted = query.limit - documents.length;
    const rows = await store.listTenantSubmissions({ tenantId, afterSeq, throughSeq, since: query.since, until: query.until, limit: wanted + 1 });
    for (const row of rows.slice(0, wanted)) {
      documents.push(listedDocument(row, batchOf(batches, row.seq)));
      lastListedSeq = row.seq;
    }
    if (rows.length > wanted) {
      more = true;
      break;
    }
  }
  const lastSeq = more ? lastListedSeq : Math.max(start, end);
  return { documents, next: encodeDocumentCursor(lastSeq), hasMore: more || lastSeq < horizon };
}

/** The first `budget` sequence numbers of `ranges`, and where they end when the budget cut them. */
function withinBudget(ranges: Array<[number, number]>, budget: number): { ranges: Array<[number, number]>; end?: number } {
  const kept: Array<[number, number]> = [];
  let left = budget;
  for (const [from, through] of ranges) {
    if (through - from >= left) {
      kept.push([from, from + left]);
      return { ranges: kept, end: from + left };
    }
    kept.push([from, through]);
    left -= through - from;
  }
  return { ranges: kept };
}

/**
 * The sequence ranges (exclusive start, inclusive end) within (start, end] whose documents have the
 * status asked for: anchored batches for `anchored`, everything else for `pending`.
 */
function statusRanges(batches: readonly BatchSpan[], start: number, end: number, status: DocumentStatus | undefined): Array<[number, number]> {
  if (end <= start) return [];
  if (status === undefined) return [[start, end]];
  const anchored: Array<[number, number]> = [];
  for (const batch of batches) {
    if (!batch.anchored) continue;
    const range: [number, number] = [Math.max(start, batch.firstSeq - 1), Math.min(end, batch.lastSeq)];
    // Adjacent anchored batches make one range, so one query.
    const previous = anchored[anchored.length - 1];
    if (previous && previous[1] === range[0]) previous[1] = range[1];
    else anchored.push(range);
  }
  if (status === 'anchored') return anchored;
  const pending: Array<[number, number]> = [];
  let cursor = start;
  for (const [from, through] of anchored) {
    if (from > cursor) pending.push([cursor, from]);
    cursor = through;
  }
  if (cursor < end) pending.push([cursor, end]);
  return pending;
}

/** The batch holding `seq`, by binary search over spans ordered by sequence. */
function batchOf(batches: readonly BatchSpan[], seq: number): BatchSpan | undefined {
  let low = 0;
  let high = batches.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const batch = batches[mid]!;
    if (seq < batch.firstSeq) high = mid - 1;
    else if (seq > batch.lastSeq) low = mid + 1;
    else return batch;
  }
  return undefined;
}

function listedDocument(row: ListedSubmission, batch: BatchSpan | undefined): ListedDocument {
  const id = documentIdFromMultihash(row.multihash);
  return {
    cid: id.cid,
    multihash: id.multihashHex,
    submittedAt: row.submittedAt.toISOString(),
    status: batch?.anchored ? 'anchored' : 'pending',
    batch: batch?.id ?? null,
    ...(row.label === null ? {} : { label: row.label }),
    ...(row.externalRef === null ? {} : { externalRef: row.externalRef }),
  };
}

const CURSOR_PREFIX = 'd1.';

/**
 * The cursor after sequence number `seq`: opaque to clients (base64url), versioned so that its form
 * may change. It grants nothing: a forged one only moves the caller within its own documents.
 */
export function encodeDocumentCursor(seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq.toString(36)}`).toString('base64url');
}

/** The sequence number in a cursor; `INVALID_CURSOR` for anything `encodeDocumentCursor` did not write. */
export function decodeDocumentCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('latin1') : '';
  const digits = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  const seq = /^[0-9a-z]{1,11}$/.test(digits) ? Number.parseInt(digits, 36) : Number.NaN;
  if (!Number.isSafeInteger(seq) || encodeDocumentCursor(seq) !== cursor) {
    throw new DomainError('INVALID_CURSOR', 'the cursor is not one this service wrote: pass the `next` of an earlier page unchanged');
  }
  return seq;
}
