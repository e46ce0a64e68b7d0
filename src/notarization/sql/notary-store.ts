// The notary's store in SQL (PGlite or PostgreSQL): the durable queue of submissions and the batches
// sealed from it, as ports.ts's NotaryStore. The sequence-number and locking rules that make sealing
// safe with concurrent writers and several replicas live here, next to the SQL they constrain.
import type { SqlClient, SqlExecutor } from '../../platform/database/sql-client';
import type { BatchLeaves, BatchRecord, BatchSpan, ChainAnchoringJob, LogCommitment, RecordedAnchoring, SealableRange, TenantLeaves } from '../batch';
import { decodeBatchSubtrees, encodeBatchSubtrees, type BatchSubtrees } from '../batch-subtrees';
import type { NotaryStore, PreparedTransaction } from '../ports';
import type { ListedSubmission, SubmissionRecord, SubmissionTimeRuns, TenantSubmission, TenantSubmissionQuery } from '../submission';

export class SqlNotaryStore implements NotaryStore {
  /**
   * PGlite runs one statement at a time; PostgreSQL commits several at once and flushes their WAL
   * together, so a few writes in flight multiply single-document submissions at no cost per commit.
   */
  readonly parallelWrites: number;

  /**
   * The horizon of the last seal round whose range held no document (its numbers were all drawn by
   * inserts rolled back or by documents already known): until another number is drawn, rounds stop
   * at the first statement instead of taking the exclusive lock again.
   */
  private emptyHorizon = -1;
  /** Tenant ids and their numbers in submissions.tenant_number (see tenantIds). */
  private readonly tenantNumbers = new Map<string, number>();

  constructor(private readonly db: SqlClient) {
    this.parallelWrites = db.kind === 'postgres' ? POSTGRES_PARALLEL_WRITES : 1;
  }

  /** Whether this process may seal and anchor; with several replicas on PostgreSQL only one may. */
  tryAnchoringLeadership(): Promise<boolean> {
    return this.db.tryLeadership(ANCHOR_LEADER_LOCK);
  }

  requestAnchoringRound(): Promise<void> {
    return this.db.notify(ANCHOR_NOW_CHANNEL, '');
  }

  followAnchoringRequests(listener: () => void): Promise<() => Promise<void>> {
    return this.db.listen(ANCHOR_NOW_CHANNEL, () => listener());
  }

  // ---- the submission queue ----

  /**
   * Holds the shared submission lock so a concurrent seal never skips a sequence number still in
   * flight. The same (tenant, document) twice in one call yields the same record twice.
   */
  async insertTenantSubmissions(documents: TenantSubmission[]): Promise<SubmissionRecord[]> {
    if (documents.length === 0) return [];
    const key = (tenant: string, multihashHex: string) => `${tenant}\u0000${multihashHex}`;
    const tenantIds = await this.tenantIds(documents.map((d) => d.tenantId));
    const hexes = documents.map((d) => d.multihashHex ?? hexKey(d.multihash));
    // Fresh rows by document index, when their chunk had no conflict; otherwise the chunk's documents
    // are looked up afterwards and told fresh by the sequence numbers its insert drew.
    const fresh = new Map<number, { seq: number; submittedAt: Date }>();
    const freshSeqsOfConflictingChunks = new Set<number>();
    const lookUp: number[] = [];
    const insertChunk = async (db: SqlExecutor, start: number, end: number, takeLock: boolean) => {
      const chunk = documents.slice(start, end);
      // Only sequence numbers come back, as one aggregated string: PGlite decodes each result row in
      // JavaScript, and encoding every multihash back cost the database thread a tenth of a bulk insert.
      // Rows are inserted in input order (ORDER BY o) and a sequence only grows, so with no conflict
      // the k-th smallest number is the k-th document's.
      // Label and reference arrays are NULL (read as all-NULL by unnest) when no document has one.
      const labels = chunk.some((d) => d.label != null) ? chunk.map((d) => d.label ?? null) : null;
      const references = chunk.some((d) => d.externalRef != null) ? chunk.map((d) => d.externalRef ?? null) : null;
      // Hex text split in SQL is cheaper for PGlite than a bytea[] parameter (its array input
      // parsing costs microseconds an element); one tenant for the whole chunk travels as a scalar.
      const tenant = chunk.every((d) => d.tenantId === chunk[0]!.tenantId) ? tenantIds.get(chunk[0]!.tenantId)! : null;
      const statement = (onConflict: boolean) =>
        `WITH ${takeLock ? 'l AS (SELECT pg_advisory_xact_lock_shared($6)), ' : ''}ins AS (
           INSERT INTO submissions (tenant_number, multihash, label, external_ref)
           SELECT COALESCE(tn, $5), decode(m, 'hex'), lb, r
           FROM ${takeLock ? 'l, ' : ''}unnest($1::int[], string_to_array($2::text, ','), $3::text[], $4::text[]) WITH ORDINALITY AS t(tn, m, lb, r, o)
           ORDER BY o
           ${onConflict ? 'ON CONFLICT ON CONSTRAINT submissions_once_per_tenant DO NOTHING' : ''}
           RETURNING seq, submitted_at)
         SELECT string_agg(seq::text, ',' ORDER BY seq) AS seqs, count(*)::int AS n, min(submitted_at) AS submitted_at FROM ins`;
      const params = [
        tenant === null ? chunk.map((d) => tenantIds.get(d.tenantId)!) : null,
        hexes.slice(start, end).join(','),
        labels,
        references,
        tenant,
        ...(takeLock ? [SUBMISSION_LOCK] : []),
      ];
      type Inserted = { seqs: string | null; n: number; submitted_at: Date | null };
      let rows: Inserted[];
      if (takeLock && this.db.kind === 'pglite') {
        // On its own (its own transaction), a chunk is first tried as a plain INSERT: new documents are
        // the common case, and ON CONFLICT's extra index probe per row cost PGlite 13-15 % of a bulk
        // insert. A known document fails it (exclusion violation, nothing kept) and the chunk goes again
        // with ON CONFLICT. Inside a caller's transaction a failure would abort it: ON CONFLICT at once.
        // Not on PostgreSQL: an exclusion constraint inserts first and checks after, so two plain
        // inserts of the same document by concurrent writers can each wait on the other's row, a
        // deadlock (40P01) after deadlock_timeout; ON CONFLICT waits in order instead.
        try {
          rows = await db.query<Inserted>(statement(false), params);
        } catch (error) {
          if ((error as { code?: string }).code !== EXCLUSION_VIOLATION) throw error;
          rows = await db.query<Inserted>(statement(true), params);
        }
      } else {
        rows = await db.query<Inserted>(statement(true), params);
      }
      const row = rows[0];
      const seqs = row?.seqs ? row.seqs.split(',').map(Number) : [];
      if (row?.submitted_at && seqs.length === chunk.length) {
        const submittedAt = new Date(row.submitted_at);
        for (let k = 0; k < seqs.length; k++) fresh.set(start + k, { seq: seqs[k]!, submittedAt });
      } else {
        for (const seq of seqs) freshSeqsOfConflictingChunks.add(seq);
        for (let i = start; i < end; i++) lookUp.push(i);
      }
    };
    if (documents.length <= INSERT_CHUNK) {
      // One statement, one round trip: its own implicit transaction takes the shared lock (the CTE
      // runs before the first row, so before any sequence number is drawn) and commits.
      await insertChunk(this.db, 0, documents.length, true);
    } else {
      await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [SUBMISSION_LOCK]);
        for (let start = 0; start < documents.length; start += INSERT_CHUNK) {
          await insertChunk(tx, start, Math.min(start + INSERT_CHUNK, documents.length), false);
        }
      });
    }
    // Chunks with a conflict (documents submitted before by the same tenant, or twice in one call):
    // their committed rows, fresh or not, never change.
    const found = new Map<string, SqlRowSubmission>();
    for (let start = 0; start < lookUp.length; start += INSERT_CHUNK) {
      const chunk = lookUp.slice(start, start + INSERT_CHUNK).map((i) => documents[i]!);
      // With sequential scans off: from about ten documents on, PGlite (no statistics) otherwise
      // joins them against the whole table (39 ms for ten at 100,000 rows, against 0.2 through the index).
      const rows = await withoutSeqScans(this.db, (tx) =>
        tx.query<SqlRowSubmission>(
          `SELECT seq, ${tenantIdOf('submissions')}, multihash, submitted_at, label, external_ref FROM submissions
           WHERE (multihash, tenant_number) IN (SELECT * FROM unnest($1::bytea[], $2::int[]))`,
          [chunk.map((d) => d.multihash), chunk.map((d) => tenantIds.get(d.tenantId)!)],
        ),
      );
      for (const row of rows) found.set(key(row.tenant_id, hexKey(toBytes(row.multihash))), row);
    }
    return documents.map((d, i) => {
      const inserted = fresh.get(i);
      if (inserted) {
        return {
          seq: inserted.seq,
          tenantId: d.tenantId,
          multihash: d.multihash,
          submittedAt: inserted.submittedAt,
          label: d.label ?? null,
          externalRef: d.externalRef ?? null,
          existing: false,
        };
      }
      const row = found.get(key(d.tenantId, hexes[i]!));
      if (!row) throw new Error('a submission is neither inserted nor found');
      return toSubmission(row, !freshSeqsOfConflictingChunks.has(Number(row.seq)));
    });
  }

  /**
   * The number of each tenant (submissions keep 4 bytes, tenant_numbers the id), made on first use.
   * Tenants are never renamed or removed, so a number once read stays right in every replica.
   */
  private async tenantIds(names: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const missing = [...new Set(names)].filter((name) => !this.tenantNumbers.has(name));
    if (missing.length > 0) {
      await this.db.query('INSERT INTO tenant_numbers (tenant_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [missing]);
      const rows = await this.db.query<{ number: number; tenant_id: string }>('SELECT number, tenant_id FROM tenant_numbers WHERE tenant_id = ANY($1::text[])', [missing]);
      for (const row of rows) this.tenantNumbers.set(row.tenant_id, Number(row.number));
    }
    return this.tenantNumbers;
  }

  /** Number of committed documents not yet in a sealed batch. */
  async countUnsealed(): Promise<number> {
    const rows = await withoutSeqScans(this.db, (tx) =>
      tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM submissions
         WHERE seq > COALESCE((SELECT max(last_seq) FROM batches), 0) AND seq <= ${DRAWN_SEQ}`,
      ),
    );
    return Number(rows[0]!.n);
  }

  /**
   * The exclusive submission lock is held only long enough to learn the highest sequence number that
   * no open transaction can still commit below; the range up to it is then read with no lock held.
   */
  async readSealableRange(maxSize: number): Promise<SealableRange | null> {
    // Most rounds find nothing to seal. One plain statement says so (no sequence number drawn since
    // the last seal); the transactions below would hold the embedded database (one connection) for
    // several round trips, stalling receipt lookups. A document committing meanwhile is sealed in the
    // next round. A number drawn by an insert that was rolled back, or by a document already known,
    // leaves a gap: the range read below then finds nothing, and the round ends there.
    const tail = await this.db.query<{ drawn: number; sealed: number }>(
      `SELECT ${DRAWN_SEQ} AS drawn, COALESCE((SELECT max(last_seq) FROM batches), 0) AS sealed`,
    );
    const drawn = Number(tail[0]!.drawn);
    const sealed = Number(tail[0]!.sealed);
    // No primary key keeps seq unique any more: a sequence set back below what is sealed would hand
    // out numbers again, and its new documents would never be sealed. Said loudly, every round.
    if (drawn < sealed) throw new Error(`the submissions sequence (${drawn}) is behind the last sealed document (${sealed}): was submissions_seq_seq reset?`);
    // Nothing drawn since the last seal, or since a round that found the numbers drawn were all gaps.
    if (drawn === sealed || drawn === this.emptyHorizon) return null;
    const { safeMaxSeq, afterSeq } = await this.readCommittedHorizon();
    if (afterSeq >= safeMaxSeq) return null;
    // Committed ranges never change, so they are read, and their tree built, outside the sealing
    // transaction: the embedded database (one connection) keeps taking submissions meanwhile instead
    // of waiting on a transaction held open through the tree's tens of milliseconds.
    const { leaves, oldest } = await withoutSeqScans(this.db, async (tx) => {
      const parts = await readInSeqWindows(afterSeq + 1, safeMaxSeq, maxSize, async (from, through, left) => {
        const part = await readLeaves(tx, 'seq >= $1 AND seq <= $2', [from, through], left);
        return { count: part.seqs.length, part };
      });
      const read = parts.length === 1 ? parts[0]! : { seqs: parts.flatMap((p) => p.seqs), multihashes: parts.flatMap((p) => p.multihashes) };
      if (read.seqs.length === 0) return { leaves: read, oldest: null };
      const first = await tx.query<{ at: Date }>('SELECT submitted_at AS at FROM submissions WHERE seq = $1', [read.seqs[0]]);
      return { leaves: read, oldest: new Date(first[0]!.at) };
    });
    if (oldest === null) {
      this.emptyHorizon = safeMaxSeq;
      return null;
    }
    return { afterSeq, leaves, oldestSubmittedAt: oldest };
  }

  /**
   * The highest sequence number below which no open transaction can still commit (`safeMaxSeq`), and
   * the last sealed one (`afterSeq`). The exclusive submission lock is taken only for this read: it
   * waits for the inserts in flight, which hold the shared lock, and holds up new ones meanwhile.
   */
  private readCommittedHorizon(): Promise<{ safeMaxSeq: number; afterSeq: number }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SUBMISSION_LOCK]);
      // Every insert draws its numbers under the shared lock, so with the exclusive one held each
      // number drawn so far is committed or never will be.
      const rows = await tx.query<{ max: number | null; last: number | null }>(
        `SELECT ${DRAWN_SEQ} AS max, (SELECT max(last_seq) FROM batches) AS last`,
      );
      return { safeMaxSeq: Number(rows[0]?.max ?? 0), afterSeq: Number(rows[0]?.last ?? 0) };
    });
  }

  async readListingHorizon(): Promise<number> {
    return (await this.readCommittedHorizon()).safeMaxSeq;
  }

  async lastSealedSeq(): Promise<number> {
    const rows = await this.db.query<{ last: number | null }>('SELECT max(last_seq) AS last FROM batches');
    return Number(rows[0]?.last ?? 0);
  }

  /**
   * Every submission up to the returned sequence number was acknowledged before `since`: a batch
   * holds only documents acknowledged before it was sealed, and batches are sealed one after another
   * in sequence order (each one read after the previous one committed), so the batches sealed before
   * `since` are a prefix of the sequence. One probe of batches_by_sealed_at.
   */
  async lastSeqSubmittedBefore(since: Date): Promise<number> {
    const rows = await this.db.query<{ first: number | null; last: number | null }>(
      `SELECT (SELECT first_seq FROM batches WHERE sealed_at >= $1 ORDER BY sealed_at LIMIT 1) AS first,
              (SELECT max(last_seq) FROM batches) AS last`,
      [since],
    );
    const first = rows[0]?.first;
    return first == null ? Number(rows[0]?.last ?? 0) : Number(first) - 1;
  }

  /**
   * A tenant's submissions in (afterSeq, throughSeq], acknowledged in [since, until) when given, in
   * sequence order: a read of that range by seq (no index by tenant: see
   * document-listing.ts for why, and what bounds the range).
   */
  async listTenantSubmissions(query: TenantSubmissionQuery): Promise<ListedSubmission[]> {
    type Row = { seq: number; multihash: Uint8Array; submitted_at: Date; label: string | null; external_ref: string | null };
    // A window of sequence numbers at a time: the caller's range (document-listing.ts) can be 100,000
    // numbers, and a page is read and sorted from only as much of it as it needs.
    const parts = await withoutSeqScans(this.db, (tx) =>
      readInSeqWindows(query.afterSeq + 1, query.throughSeq, query.limit, async (from, through, left) => {
        const rows = await tx.query<Row>(
          `SELECT seq, multihash, submitted_at, label, external_ref FROM submissions
           WHERE seq >= $1 AND seq <= $2 AND tenant_number = ${tenantNumber('$3')}
             AND ($4::timestamptz IS NULL OR submitted_at >= $4) AND ($5::timestamptz IS NULL OR submitted_at < $5)
           ORDER BY seq LIMIT $6`,
          [from, through, query.tenantId, query.since ?? null, query.until ?? null, left],
        );
        return { count: rows.length, part: rows };
      }),
    );
    const rows = parts.flat();
    return rows.map((row) => ({
      seq: Number(row.seq),
      multihash: toBytes(row.multihash),
      submittedAt: new Date(row.submitted_at),
      label: row.label,
      externalRef: row.external_ref,
    }));
  }

  async recordSealedBatch(
    range: SealableRange,
    root: Uint8Array,
    log?: { index: number; commitment: LogCommitment },
    subtrees: BatchSubtrees | null = null,
  ): Promise<BatchRecord | null> {
    const { afterSeq, leaves } = range;
    const lastSeq = leaves.seqs[leaves.seqs.length - 1]!;
    const sealed = await this.db.transaction(async (tx) => {
      // One sealer at a time, whatever the number of replicas; and only on top of the batch the range
      // was read after (another replica may have sealed it since), at the log place the commitment names.
      const locked = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [SEAL_LOCK]);
      if (!locked[0]?.ok) return null;
      const last = await tx.query<{ last: number | null; size: number }>('SELECT max(last_seq) AS last, COALESCE(max(log_index) + 1, 0) AS size FROM batches');
      if (Number(last[0]?.last ?? 0) !== afterSeq) return null;
      const logIndex = Number(last[0]?.size ?? 0);
      if (log && log.index !== logIndex) return null;
      const inserted = await tx.query(
        `INSERT INTO batches (first_seq, last_seq, tree_size, root, status, log_index, log_commitment, log_commitment_path, subtrees)
         VALUES ($1, $2, $3, $4, 'sealed', $5, $6, $7, $8)
         RETURNING ${BATCH_COLUMNS}`,
        [
          afterSeq + 1,
          lastSeq,
          leaves.seqs.length + (log ? 1 : 0),
          root,
          logIndex,
          log?.commitment.leaf ?? null,
          log ? concatNodes(log.commitment.auditPath) : null,
          subtrees && encodeBatchSubtrees(subtrees),
        ],
      );
      return toBatch(inserted[0]!);
    });
    if (sealed) await this.summarizeSeqIndex();
    return sealed;
  }

  /**
   * The seq index learns the new pages' ranges (its BRIN summaries); a range it has no summary of is
   * read whole. PGlite has no autovacuum to do it: whoever seals does, once per page range (a million
   * documents: about 650 ranges, 0.2 s). It needs a lock that a VACUUM holds for its whole run: on
   * PostgreSQL it gives up after a moment, and the next seal summarizes what this one left.
   */
  private async summarizeSeqIndex(): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = '${SUMMARIZE_LOCK_TIMEOUT_MS}ms'`);
        await tx.query(`SELECT brin_summarize_new_values('submissions_by_seq')`);
      });
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
    }
  }

  async readBatchSubtrees(batchId: string): Promise<BatchSubtrees | null> {
    const rows = await this.db.query<{ subtrees: Uint8Array | null }>('SELECT subtrees FROM batches WHERE id = $1', [batchId]);
    const stored = rows[0]?.subtrees;
    return stored ? decodeBatchSubtrees(stored) : null;
  }

  /**
   * The roots of the batches at log places [fromIndex, fromIndex + limit), in log order, packed in
   * one aggregated value (a row each would cost PGlite about 10 µs per batch).
   */
  async readLogRoots(fromIndex: number, limit: number): Promise<Uint8Array[]> {
    const rows = await this.db.query<{ roots: string | null }>(
      `WITH r AS (SELECT log_index, root FROM batches WHERE log_index >= $1 ORDER BY log_index LIMIT $2)
       SELECT encode(string_agg(root, ''::bytea ORDER BY log_index), 'base64') AS roots FROM r`,
      [fromIndex, limit],
    );
    const packed = Buffer.from(rows[0]?.roots ?? '', 'base64');
    const roots: Uint8Array[] = [];
    for (let offset = 0; offset < packed.length; offset += 32) roots.push(new Uint8Array(packed.subarray(offset, offset + 32)));
    return roots;
  }

  /** The batches at log places [fromIndex, toIndex), in log order. */
  async listBatchesByLogIndex(fromIndex: number, toIndex: number): Promise<BatchRecord[]> {
    const rows = await this.db.query(`SELECT ${BATCH_COLUMNS} FROM batches WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index`, [fromIndex, toIndex]);
    return rows.map(toBatch);
  }

  async getBatch(id: string): Promise<BatchRecord | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const rows = await this.db.query(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = $1`, [id]);
    return rows[0] ? toBatch(rows[0]) : null;
  }

  /** Batches in id order after `afterId`, for paging through all of them. */
  async listBatches(afterId: number, limit: number): Promise<BatchRecord[]> {
    const rows = await this.db.query(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
    return rows.map(toBatch);
  }

  async loadBatchLeaves(batch: Pick<BatchRecord, 'firstSeq' | 'lastSeq'>): Promise<BatchLeaves> {
    return withoutSeqScans(this.db, (tx) => readLeaves(tx, 'seq >= $1 AND seq <= $2', [batch.firstSeq, batch.lastSeq]));
  }

  // ---- anchoring, one row per batch and chain ----

  /**
   * Queues every batch sealed since this chain last queued one, from log place `fromLogIndex` on (a
   * chain added later anchors only what was sealed after it joined). Cheap when nothing is new: the
   * chain's highest queued batch bounds the scan.
   */
  async enqueueChainAnchorings(chain: string, contract: string, fromLogIndex: number): Promise<void> {
    await this.db.query(
      `INSERT INTO batch_anchorings (batch_id, chain, contract)
       SELECT id, $1, $2 FROM batches
       WHERE log_index >= $3 AND id > COALESCE((SELECT max(batch_id) FROM batch_anchorings WHERE chain = $1), 0)
       ON CONFLICT DO NOTHING`,
      [chain, contract.toLowerCase(), fromLogIndex],
    );
  }

  /** The batches waiting for their anchoring on `chain`, oldest first, with what was sent so far. */
  async listPendingAnchorings(chain: string): Promise<ChainAnchoringJob[]> {
    const rows = await this.db.query(
      `SELECT ${BATCH_COLUMNS}, j.job_tx_hash, j.job_tx_nonce, j.job_raw_tx, j.job_tx_sent_at, j.job_attempts
       FROM batches JOIN (
         SELECT batch_id, tx_hash AS job_tx_hash, tx_nonce AS job_tx_nonce, raw_tx AS job_raw_tx, tx_sent_at AS job_tx_sent_at, attempts AS job_attempts
         FROM batch_anchorings WHERE chain = $1 AND status = 'pending'
       ) j ON j.batch_id = batches.id
       ORDER BY batches.id`,
      [chain],
    );
    return rows.map((row) => ({
      batch: toBatch(row),
      chain,
      attempts: Number(row.job_attempts),
      intendedTransaction:
        row.job_tx_hash == null
          ? null
          : { hash: String(row.job_tx_hash), nonce: Number(row.job_tx_nonce), raw: String(row.job_raw_tx), sentAt: row.job_tx_sent_at ? new Date(row.job_tx_sent_at as Date) : null },
    }));
  }

  /** Records the signed transaction before it is broadcast, so a restart re-sends it instead of a new one. */
  async recordIntendedTransaction(batchId: string, chain: string, transaction: PreparedTransaction): Promise<void> {
    await this.db.query(
      `UPDATE batch_anchorings SET tx_hash = $3, tx_nonce = $4, raw_tx = $5, tx_sent_at = now(), attempts = attempts + 1
       WHERE batch_id = $1 AND chain = $2 AND status <> 'anchored'`,
      [batchId, chain, transaction.hash, transaction.nonce, transaction.raw],
    );
  }

  /** Records the batch's anchoring on `chain`; the batch is 'anchored' from its first chain on. */
  async markAnchored(
    batchId: string,
    chain: string,
    anchor: RecordedAnchoring,
    onFirstAnchoring?: (tx: SqlExecutor, batch: BatchRecord) => Promise<void>,
  ): Promise<BatchRecord> {
    return this.db.transaction(async (tx) => {
      // Whether this anchoring is the batch's first: its durable reactions run once, with it.
      const before = await tx.query<{ status: string }>('SELECT status FROM batches WHERE id = $1 FOR UPDATE', [batchId]);
      const updated = await tx.query(
        `UPDATE batch_anchorings SET status = 'anchored', contract = $3, anchor_tx_hash = $4, anchor_block_number = $5,
           anchor_block_hash = $6, anchor_timestamp = $7, gas_used = $8, fee_wei = $9, anchored_at = clock_timestamp(), last_error = NULL
         WHERE batch_id = $1 AND chain = $2 RETURNING batch_id`,
        [batchId, chain, anchor.contract.toLowerCase(), anchor.transactionHash, anchor.blockNumber, anchor.blockHash, anchor.timestamp, anchor.gasUsed, anchor.feeWei],
      );
      if (!updated[0]) throw new Error(`batch ${batchId} is not queued for ${chain}`);
      const rows = await tx.query(`UPDATE batches SET status = 'anchored' WHERE id = $1 RETURNING ${BATCH_COLUMNS}`, [batchId]);
      const batch = toBatch(rows[0]!);
      if (onFirstAnchoring && before[0]?.status !== 'anchored') await onFirstAnchoring(tx, batch);
      return batch;
    });
  }

  /** This chain's newest anchorings, newest first: the ones to re-check against it. */
  async listRecentAnchorings(chain: string, limit: number): Promise<Array<{ batchId: string; root: Uint8Array; blockNumber: number }>> {
    const rows = await this.db.query<{ batch_id: string; root: Uint8Array; block: number }>(
      `SELECT a.batch_id, b.root, a.anchor_block_number AS block FROM batch_anchorings a JOIN batches b ON b.id = a.batch_id
       WHERE a.chain = $1 AND a.status = 'anchored' ORDER BY a.batch_id DESC LIMIT $2`,
      [chain, limit],
    );
    return rows.map((row) => ({ batchId: String(row.batch_id), root: toBytes(row.root), blockNumber: Number(row.block) }));
  }

  /**
   * Puts a batch back in `chain`'s queue because the chain no longer holds its anchoring (a
   * reorganisation, an embedded chain that lost its last seconds). The batch stays 'anchored' while
   * another chain holds it.
   */
  async reopenAnchoring(batchId: string, chain: string, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE batch_anchorings SET status = 'pending', tx_hash = NULL, tx_nonce = NULL, raw_tx = NULL, tx_sent_at = NULL,
           anchor_tx_hash = NULL, anchor_block_number = NULL, anchor_block_hash = NULL, anchor_timestamp = NULL,
           gas_used = NULL, fee_wei = NULL, anchored_at = NULL, last_error = $3
         WHERE batch_id = $1 AND chain = $2`,
        [batchId, chain, reason.slice(0, 2000)],
      );
      await tx.query(
        `UPDATE batches SET status = CASE WHEN EXISTS (SELECT 1 FROM batch_anchorings WHERE batch_id = $1 AND status = 'anchored') THEN 'anchored' ELSE 'sealed' END
         WHERE id = $1`,
        [batchId],
      );
    });
  }

  /**
   * The first submission of a document (any tenant unless one is given) and the batch holding it.
   * Receipts are public: whoever holds the document may check it.
   */
  async findSubmission(multihash: Uint8Array, tenantId?: string): Promise<{ submission: SubmissionRecord; batch: BatchRecord | null } | null> {
    // One round trip: the submission rows (no ORDER BY/LIMIT, so the planner always takes the
    // multihash index; a document has at most one row per tenant) and the batch of each.
    const rows = await this.db.query<SqlRowSubmission & Record<string, unknown>>(
      `SELECT s.seq, ${tenantIdOf('s')}, s.multihash, s.submitted_at, s.label, s.external_ref, b.*
       FROM submissions s
       LEFT JOIN LATERAL (
         SELECT ${BATCH_COLUMNS.replace(/\bid\b/, 'id AS batch_id')} FROM batches
         WHERE last_seq >= s.seq AND first_seq <= s.seq ORDER BY last_seq LIMIT 1
       ) b ON true
       WHERE s.multihash = $1 ${tenantId === undefined ? '' : `AND s.tenant_number = ${tenantNumber('$2')}`}`,
      tenantId === undefined ? [multihash] : [multihash, tenantId],
    );
    if (rows.length === 0) return null;
    const first = rows.reduce((a, b) => (Number(b.seq) < Number(a.seq) ? b : a));
    const batch = first.batch_id == null ? null : toBatch({ ...first, id: first.batch_id });
    return { submission: toSubmission(first, false), batch };
  }

  /**
   * When each submission in [fromSeq, toSeq] was acknowledged, as runs: a run starts at `seqs[i]` and
   * its documents share `times[i]` (epoch milliseconds). One insert shares one time, so a bulk-filled
   * batch is a few runs; the values travel packed, not a row each.
   */
  async readSubmissionTimes(fromSeq: number, toSeq: number): Promise<SubmissionTimeRuns> {
    const rows = await withoutSeqScans(this.db, (tx) => tx.query<{ seqs: string | null; times: string | null }>(
      `WITH r AS (
         SELECT seq, submitted_at, lag(submitted_at) OVER (ORDER BY seq) AS previous
         FROM submissions WHERE seq >= $1 AND seq <= $2
       )
       SELECT encode(string_agg(int8send(seq), ''::bytea ORDER BY seq), 'base64') AS seqs,
              encode(string_agg(float8send(round(extract(epoch FROM date_trunc('milliseconds', submitted_at)) * 1000)::float8), ''::bytea ORDER BY seq), 'base64') AS times
       FROM r WHERE previous IS DISTINCT FROM submitted_at`,
      [fromSeq, toSeq],
    ));
    const seqs = Float64Array.from(unpackInt8s(rows[0]?.seqs ?? ''));
    const packedTimes = Buffer.from(rows[0]?.times ?? '', 'base64');
    return { seqs, times: Float64Array.from(seqs, (_, i) => packedTimes.readDoubleBE(8 * i)) };
  }

  /**
   * A tenant's submissions with fromSeq ≤ seq ≤ toSeq, at most `limit`, in seq order, packed: three
   * aggregated values instead of a row each (PGlite decodes rows at about 10 µs each, which capped a
   * bulk export near 100,000 receipts a second before it wrote anything).
   */
  async readTenantLeaves(tenantId: string, fromSeq: number, toSeq: number, limit: number): Promise<TenantLeaves> {
    const parts = await withoutSeqScans(this.db, (tx) =>
      readInSeqWindows(fromSeq, toSeq, limit, async (from, through, left) => {
        const rows = await tx.query<{ n: number; leaves: string | null; seqs: string | null; times: string | null }>(
          `WITH r AS (SELECT seq, multihash, submitted_at FROM submissions WHERE seq >= $1 AND seq <= $2 AND tenant_number = ${tenantNumber('$3')} ORDER BY seq LIMIT $4)
           SELECT count(*)::int AS n,
                  encode(string_agg(multihash, ''::bytea ORDER BY seq), 'base64') AS leaves,
                  encode(string_agg(int8send(seq), ''::bytea ORDER BY seq), 'base64') AS seqs,
                  encode(string_agg(timestamptz_send(submitted_at), ''::bytea ORDER BY seq), 'base64') AS times
           FROM r`,
          [from, through, tenantId, left],
        );
        const count = Number(rows[0]?.n ?? 0);
        if (count === 0) return { count, part: { seqs: [], multihashes: [], times: new Float64Array(0) } };
        // timestamptz's binary form, microseconds since 2000-01-01 (exact in a double until the year
        // 287,000): the conversion to epoch milliseconds in SQL cost five times the rest of the query.
        // Truncated to milliseconds, as a Date read from the row would be.
        const times = Float64Array.from(unpackInt8s(rows[0]!.times!), (micros) => Math.floor(micros / 1000) + POSTGRES_EPOCH_MS);
        const part = { seqs: unpackInt8s(rows[0]!.seqs!), multihashes: splitMultihashes(Buffer.from(rows[0]!.leaves!, 'base64'), count), times };
        return { count, part };
      }),
    );
    if (parts.length === 1) return parts[0]!;
    const times = new Float64Array(parts.reduce((n, part) => n + part.times.length, 0));
    parts.reduce((offset, part) => (times.set(part.times, offset), offset + part.times.length), 0);
    return { seqs: parts.flatMap((part) => part.seqs), multihashes: parts.flatMap((part) => part.multihashes), times };
  }

  async countTenantSubmissionsInRange(tenantId: string, fromSeq: number, toSeq: number): Promise<number> {
    const rows = await withoutSeqScans(this.db, (tx) =>
      tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE seq >= $1 AND seq <= $2 AND tenant_number = ${tenantNumber('$3')}`, [fromSeq, toSeq, tenantId]),
    );
    return Number(rows[0]!.n);
  }

  /** A tenant's submissions with fromSeq ≤ seq ≤ toSeq, in seq order, at most `limit` (the webhooks' fan-out of a batch). */
  async listTenantSubmissionsInRange(tenantId: string, fromSeq: number, toSeq: number, limit: number): Promise<Array<Pick<SubmissionRecord, 'seq' | 'multihash' | 'submittedAt'>>> {
    const parts = await withoutSeqScans(this.db, (tx) =>
      readInSeqWindows(fromSeq, toSeq, limit, async (from, through, left) => {
        const rows = await tx.query<{ seq: number; multihash: Uint8Array; submitted_at: Date }>(
          `SELECT seq, multihash, submitted_at FROM submissions WHERE seq >= $1 AND seq <= $2 AND tenant_number = ${tenantNumber('$3')} ORDER BY seq LIMIT $4`,
          [from, through, tenantId, left],
        );
        return { count: rows.length, part: rows };
      }),
    );
    return parts.flat().map((row) => ({ seq: Number(row.seq), multihash: row.multihash, submittedAt: row.submitted_at }));
  }

  async findSubmittingTenants(afterSeq: number, throughSeq: number): Promise<string[]> {
    const rows = await withoutSeqScans(this.db, (tx) =>
      tx.query<{ tenant_id: string }>(
        'SELECT tenant_id FROM tenant_numbers WHERE number IN (SELECT DISTINCT tenant_number FROM submissions WHERE seq > $1 AND seq <= $2)',
        [afterSeq, throughSeq],
      ),
    );
    return rows.map((row) => row.tenant_id);
  }

  /** Submissions in [fromSeq, toSeq] whose document some tenant had submitted before `beforeSeq`. */
  async findResubmittedSeqs(fromSeq: number, toSeq: number, beforeSeq: number): Promise<number[]> {
    const rows = await withoutSeqScans(this.db, (tx) =>
      tx.query<{ seqs: string | null }>(
        `SELECT encode(string_agg(int8send(s.seq), ''::bytea ORDER BY s.seq), 'base64') AS seqs
         FROM submissions s
         WHERE s.seq >= $1 AND s.seq <= $2
           AND EXISTS (SELECT 1 FROM submissions e WHERE e.multihash = s.multihash AND e.seq < $3)`,
        [fromSeq, toSeq, beforeSeq],
      ),
    );
    return unpackInt8s(rows[0]?.seqs ?? '');
  }

  /** Every batch overlapping the sequence range [minSeq, maxSeq], in order: one query for many documents. */
  async findBatchesCovering(minSeq: number, maxSeq: number): Promise<BatchRecord[]> {
    const rows = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM batches WHERE last_seq >= $1 AND first_seq <= $2 ORDER BY last_seq`,
      [minSeq, maxSeq],
    );
    return rows.map(toBatch);
  }

  async listBatchSpans(afterSeq: number, throughSeq: number, limit: number): Promise<BatchSpan[]> {
    const rows = await this.db.query<{ id: string; first_seq: number; last_seq: number; anchored: boolean }>(
      `SELECT id, first_seq, last_seq, status = 'anchored' AS anchored FROM batches
       WHERE last_seq > $1 AND first_seq <= $2 ORDER BY last_seq LIMIT $3`,
      [afterSeq, throughSeq, limit],
    );
    return rows.map((row) => ({ id: String(row.id), firstSeq: Number(row.first_seq), lastSeq: Number(row.last_seq), anchored: row.anchored }));
  }

  async findBatchOfSeq(seq: number): Promise<BatchRecord | null> {
    const rows = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM batches WHERE last_seq >= $1 AND first_seq <= $1 ORDER BY last_seq LIMIT 1`,
      [seq],
    );
    return rows[0] ? toBatch(rows[0]) : null;
  }
}

const SUBMISSION_LOCK = 7310002;
const SEAL_LOCK = 7310003;
const ANCHOR_LEADER_LOCK = 7310004;
/** POST /v1/batches/anchor on a replica that does not anchor: the anchoring one is asked to, here. */
const ANCHOR_NOW_CHANNEL = 'did_notary_anchor_now';
const INSERT_CHUNK = 1000;
/** The smallest window of sequence numbers readInSeqWindows reads: about 40 pages of rows. */
const MIN_SEQ_WINDOW = 4096;
/**
 * The highest sequence number drawn so far (0 before the first), read from the sequence itself: it is
 * not transactional, and no index answers max(seq) (seq has a BRIN index, see migration 7).
 */
const DRAWN_SEQ = `(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM submissions_seq_seq)`;
/** SQLSTATE of a row refused by submissions_once_per_tenant (an exclusion constraint, not a unique index). */
const EXCLUSION_VIOLATION = '23P01';
/** SQLSTATE of a lock not granted within lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';
/** How long a seal waits for the lock that summarizing the seq index needs (a VACUUM may hold it). */
const SUMMARIZE_LOCK_TIMEOUT_MS = 200;
/** The tenant of the submissions row named `row`, under the column name the records are read from. */
const tenantIdOf = (row: string) => `(SELECT tenant_id FROM tenant_numbers t WHERE t.number = ${row}.tenant_number) AS tenant_id`;
/** The number of the tenant named by a parameter; NULL (no rows) for a tenant that never submitted. */
const tenantNumber = (parameter: string) => `(SELECT number FROM tenant_numbers WHERE tenant_id = ${parameter})`;
/** Submission writes in flight on PostgreSQL: below the pool's 10 connections, leaving room for reads and the seal. */
const POSTGRES_PARALLEL_WRITES = 4;
/** 2000-01-01T00:00:00Z, where PostgreSQL's timestamps count from. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** A batch row, and every confirmed anchoring of it (one per chain, first confirmed first) as JSON. */
const BATCH_COLUMNS = `id, first_seq, last_seq, tree_size, root, sealed_at, status, log_index, log_commitment, log_commitment_path,
  (SELECT json_agg(json_build_object('chain', a.chain, 'contract', a.contract, 'transactionHash', a.anchor_tx_hash,
      'blockNumber', a.anchor_block_number, 'blockHash', a.anchor_block_hash, 'timestamp', a.anchor_timestamp,
      'gasUsed', a.gas_used, 'feeWei', a.fee_wei::text) ORDER BY a.anchored_at, a.chain)
   FROM batch_anchorings a WHERE a.batch_id = batches.id AND a.status = 'anchored') AS anchorings`;

interface SqlRowSubmission {
  [column: string]: unknown;
  seq: number;
  tenant_id: string;
  multihash: Uint8Array;
  submitted_at: Date;
  label: string | null;
  external_ref: string | null;
}

function toSubmission(row: SqlRowSubmission, existing: boolean): SubmissionRecord {
  return {
    seq: Number(row.seq),
    tenantId: row.tenant_id,
    multihash: toBytes(row.multihash),
    submittedAt: new Date(row.submitted_at),
    label: row.label,
    externalRef: row.external_ref,
    existing,
  };
}

function toBatch(row: Record<string, unknown>): BatchRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  // pg parses json columns; a driver that does not hands over the text.
  const raw = typeof row.anchorings === 'string' ? (JSON.parse(row.anchorings) as unknown) : row.anchorings;
  const anchors: RecordedAnchoring[] = ((raw ?? []) as Array<Record<string, unknown>>).map((a) => ({
    chain: String(a.chain),
    contract: String(a.contract),
    transactionHash: String(a.transactionHash),
    blockNumber: Number(a.blockNumber),
    blockHash: String(a.blockHash),
    timestamp: Number(a.timestamp),
    gasUsed: num(a.gasUsed),
    feeWei: (a.feeWei as string | null) ?? null,
  }));
  return {
    id: String(row.id),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    treeSize: Number(row.tree_size),
    logIndex: Number(row.log_index),
    logCommitment:
      row.log_commitment == null
        ? null
        : { leaf: toBytes(row.log_commitment as Uint8Array), auditPath: splitNodes(toBytes(row.log_commitment_path as Uint8Array)) },
    root: toBytes(row.root as Uint8Array),
    sealedAt: new Date(row.sealed_at as Date),
    status: row.status as BatchRecord['status'],
    anchor: anchors[0] ?? null,
    anchors,
  };
}

/** 32-byte hashes stored back to back. */
function concatNodes(nodes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32 * nodes.length);
  nodes.forEach((node, i) => out.set(node, 32 * i));
  return out;
}

function splitNodes(bytes: Uint8Array): Uint8Array[] {
  const nodes: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += 32) nodes.push(bytes.slice(offset, offset + 32));
  return nodes;
}

/** pg returns Buffers, PGlite Uint8Arrays: normalise to plain Uint8Array views. */
function toBytes(value: Uint8Array): Uint8Array {
  return value instanceof Uint8Array && value.constructor === Uint8Array
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Reads a range of leaves in submission order as two aggregated values instead of one row per
 * document: row decoding (about 10 µs a row in PGlite) would otherwise dominate sealing a
 * million-document batch. Multihashes are self-delimiting (varint code, varint length, digest).
 */
async function readLeaves(db: SqlExecutor, where: string, params: unknown[], limit?: number): Promise<BatchLeaves> {
  const rows = await db.query<{ n: number; leaves: string | null; seqs: string | null }>(
    `WITH r AS (SELECT seq, multihash FROM submissions WHERE ${where} ORDER BY seq ${limit === undefined ? '' : `LIMIT ${Number(limit)}`})
     SELECT count(*)::int AS n,
            encode(string_agg(multihash, ''::bytea ORDER BY seq), 'base64') AS leaves,
            encode(string_agg(int8send(seq), ''::bytea ORDER BY seq), 'base64') AS seqs
     FROM r`,
    params,
  );
  const count = Number(rows[0]?.n ?? 0);
  if (count === 0) return { seqs: [], multihashes: [] };
  const seqs = unpackInt8s(rows[0]!.seqs!);
  if (seqs.length !== count) throw new Error('stored sequence numbers do not match the leaf count');
  const multihashes = splitMultihashes(Buffer.from(rows[0]!.leaves!, 'base64'), count);
  return { seqs, multihashes };
}

/** `count` multihashes concatenated by `string_agg` (self-delimiting: varint code, varint length, digest), as views. */
function splitMultihashes(packedLeaves: Buffer, count: number): Uint8Array[] {
  const multihashes = new Array<Uint8Array>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const start = offset;
    offset = skipVarint(packedLeaves, offset); // hash function code
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = packedLeaves[offset++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    offset += length;
    multihashes[i] = new Uint8Array(packedLeaves.buffer, packedLeaves.byteOffset + start, offset - start);
  }
  if (offset !== packedLeaves.length) throw new Error('stored multihashes do not split into whole leaves');
  return multihashes;
}

/**
 * Reads of submissions in one transaction with sequential scans off. seq has only a BRIN index
 * (migration 7), reached through a bitmap scan. Without statistics (PGlite keeps none) the planner
 * would rather read the whole table, and a bound from a subquery looks unselective to it even with
 * them; every read by seq here is a range of a batch or of the unsealed tail, a small part of the
 * table, and every read by multihash a few probes of its hash index.
 */
async function withoutSeqScans<T>(db: SqlClient, read: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL enable_seqscan = off');
    return read(tx);
  });
}

/**
 * The first `limit` rows of [fromSeq, toSeq] in seq order, read a window of sequence numbers at a
 * time: a BRIN index reads a range whole, so ORDER BY seq LIMIT over a whole batch would read and sort
 * all of it for each page. Numbers are unique, so a window of `limit` of them holds at most `limit`
 * rows; it doubles each time, for a tenant whose documents are sparse among others'.
 */
async function readInSeqWindows<T>(
  fromSeq: number,
  toSeq: number,
  limit: number,
  readWindow: (from: number, through: number, left: number) => Promise<{ count: number; part: T }>,
): Promise<T[]> {
  const parts: T[] = [];
  let window = Math.max(limit, MIN_SEQ_WINDOW);
  for (let from = fromSeq, left = limit; left > 0 && from <= toSeq; window *= 2) {
    const through = Math.min(toSeq, from + window - 1);
    const { count, part } = await readWindow(from, through, left);
    if (count > 0) parts.push(part);
    left -= count;
    from = through + 1;
  }
  return parts;
}

/**
 * Sequence numbers packed by `string_agg(int8send(seq), …)` and sent as base64. Read as two 32-bit
 * halves (exact below 2^53), not through BigInt: a million BigInts cost a tree rebuild about 100 ms
 * and left as much garbage.
 */
function unpackInt8s(base64: string): number[] {
  const packed = Buffer.from(base64, 'base64');
  const values = new Array<number>(packed.length / 8);
  for (let i = 0; i < values.length; i++) values[i] = packed.readInt32BE(8 * i) * 2 ** 32 + packed.readUInt32BE(8 * i + 4);
  return values;
}

function skipVarint(bytes: Uint8Array, offset: number): number {
  while (bytes[offset++]! >= 0x80) {
    if (offset >= bytes.length) throw new Error('truncated varint in a stored multihash');
  }
  return offset;
}

function hexKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

