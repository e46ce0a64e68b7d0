// The log's signed checkpoints (C2SP tlog-checkpoint as a signed note by the log key), made when a
// client asks and the log has grown since the last one: signing costs tens of microseconds, and a
// log that never signs two different heads for one size is what monitors check.
import { formatCheckpoint } from '../../core/log/checkpoint';
import type { LogKey } from './log-key';
import type { TransparencyLog } from './transparency-log';

export class SignedCheckpoints {
  private latestNote: { size: number; note: string } | undefined;

  constructor(
    private readonly log: TransparencyLog,
    private readonly key: Pick<LogKey, 'signNote' | 'verifierKey'>,
  ) {}

  /** The note verifier key (`<origin>+<key ID>+<key data>`) monitors need to check checkpoints. */
  get verifierKey(): string {
    return this.key.verifierKey(this.log.origin);
  }

  /** The signed checkpoint of the log as it stands now (after catching up with other replicas). */
  async latest(): Promise<string> {
    const size = await this.log.catchUp();
    if (this.latestNote?.size !== size) {
      const text = formatCheckpoint({ origin: this.log.origin, size, root: this.log.head(size).root });
      this.latestNote = { size, note: this.key.signNote(text, this.log.origin) };
    }
    return this.latestNote.note;
  }
}
