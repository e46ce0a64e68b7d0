// The transparency log of batches (docs/transparency-log.md): an RFC 9162 tree over the roots of all
// sealed batches in log order, kept in memory and caught up from the store (any replica may have
// sealed), so tree heads, inclusion and consistency proofs of any size cost no store round trip
// beyond the catch-up. Each batch's tree commits to the log before it (commitmentLeaf).
import { formatCheckpoint } from '../../core/log/checkpoint';
import { MerkleLogTree } from '../../core/merkle/log-tree';
import { DomainError } from '../../core/errors';
import type { NotaryStore } from '../ports';

/** Roots read per statement while catching up: a restart after a million batches reads ten chunks. */
const CATCH_UP_CHUNK = 100_000;

/** `INVALID_LOG_RANGE`: a size, index or pair of sizes this log cannot answer for (yet). */
export class InvalidLogRangeError extends DomainError<'INVALID_LOG_RANGE'> {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_LOG_RANGE', message, details);
  }
}

export interface LogHead {
  size: number;
  root: Uint8Array;
}

export class TransparencyLog {
  private readonly tree = new MerkleLogTree();
  private catchingUp: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<NotaryStore, 'readLogRoots'>,
    /** The log's name, first line of its checkpoints (and key name of their signatures). */
    readonly origin: string,
  ) {}

  /** Number of batches in the log as this process last read it. */
  get size(): number {
    return this.tree.size;
  }

  /** Appends the batches sealed since the last catch-up, by this replica or another; returns the size. */
  catchUp(): Promise<number> {
    const run = this.catchingUp.then(async () => {
      for (;;) {
        const roots = await this.store.readLogRoots(this.tree.size, CATCH_UP_CHUNK);
        for (const root of roots) this.tree.appendLeafData(root);
        if (roots.length < CATCH_UP_CHUNK) return;
      }
    });
    this.catchingUp = run.catch(() => undefined);
    return run.then(() => this.tree.size);
  }

  /** Records a batch this process sealed at log place `logIndex` (a no-op if a catch-up got it first). */
  appendSealed(logIndex: number, root: Uint8Array): void {
    if (logIndex === this.tree.size) this.tree.appendLeafData(root);
  }

  /** The tree head at `size` (default: the current size). */
  head(size: number = this.tree.size): LogHead {
    this.checkSize(size, 'size');
    return { size, root: this.tree.root(size) };
  }

  /**
   * The leaf a batch sealed at log place `size` ends its tree with: the checkpoint text of the log
   * at that size, so anchoring the batch root anchors the whole history before it.
   */
  commitmentLeaf(size: number): Uint8Array {
    return new TextEncoder().encode(formatCheckpoint({ origin: this.origin, size, root: this.head(size).root }));
  }

  /** The audit path of batch `index` in the tree of `size` batches. */
  inclusionProof(index: number, size: number): Uint8Array[] {
    this.checkSize(size, 'size');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new InvalidLogRangeError(`index ${index} is not below size ${size}`, { index, size });
    }
    return this.tree.inclusionProof(index, size);
  }

  /** The RFC 9162 consistency proof from `from` to `to` batches. */
  consistencyProof(from: number, to: number): Uint8Array[] {
    this.checkSize(to, 'to');
    if (!Number.isSafeInteger(from) || from < 0 || from > to) throw new InvalidLogRangeError(`from ${from} must be between 0 and to (${to})`, { from, to });
    return this.tree.consistencyProof(from, to);
  }

  private checkSize(size: number, name: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.tree.size) {
      throw new InvalidLogRangeError(`${name} ${size} is beyond the log, which holds ${this.tree.size} batches`, { [name]: size, logSize: this.tree.size });
    }
  }
}
