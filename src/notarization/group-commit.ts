// Group commit: concurrent submissions share one store write. While a write is in flight, new
// submissions queue up and go together in the next one, so N concurrent requests cost one commit
// instead of N, and each is still acknowledged only after the commit that holds it.
import type { SubmissionRecord, TenantSubmission } from './submission';

type Write = (documents: TenantSubmission[]) => Promise<SubmissionRecord[]>;

interface Waiting {
  documents: TenantSubmission[];
  resolve(records: SubmissionRecord[]): void;
  reject(error: unknown): void;
}

export class GroupCommit {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly write: Write,
    /** A write holds at most this many documents (one statement); larger submissions go alone. */
    private readonly maxDocuments = 1000,
  ) {}

  /** Resolves with the records of `documents`, in order, once they are committed. */
  submit(documents: TenantSubmission[]): Promise<SubmissionRecord[]> {
    if (documents.length >= this.maxDocuments) return this.write(documents);
    return new Promise((resolve, reject) => {
      this.queue.push({ documents, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.writing || this.queue.length === 0) return;
    const group: Waiting[] = [];
    let size = 0;
    while (this.queue.length > 0 && size + this.queue[0]!.documents.length <= this.maxDocuments) {
      const next = this.queue.shift()!;
      group.push(next);
      size += next.documents.length;
    }
    this.writing = true;
    this.write(group.flatMap((g) => g.documents))
      .then(
        (records) => {
          let offset = 0;
          for (const waiting of group) {
            waiting.resolve(records.slice(offset, offset + waiting.documents.length));
            offset += waiting.documents.length;
          }
        },
        (error: unknown) => {
          for (const waiting of group) waiting.reject(error);
        },
      )
      .finally(() => {
        // The next group starts after the event loop's next poll, not now: requests that reached the
        // socket during this write are parsed first and join it. Under load that makes groups larger
        // (fewer, cheaper commits); when idle it costs one loop turn.
        setImmediate(() => {
          this.writing = false;
          this.pump();
        });
      });
  }
}
