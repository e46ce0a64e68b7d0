// Serial numbers of time-stamp tokens: unique per TSA (RFC 3161 §2.4.2) across restarts and across
// replicas sharing a database. Each process reserves a block of numbers in one database write and
// hands them out from memory, so a token costs no round trip; the next block is reserved while the
// current one still lasts. A process that stops leaves the rest of its block unused: serials are
// unique and increasing per process, not contiguous.

/** Where blocks come from (sql/tsa-store.ts): each reservation is `size` numbers no one else gets. */
export interface SerialBlockSource {
  /** The first number of a fresh block of `size` consecutive serial numbers. */
  reserveBlock(size: number): Promise<bigint>;
}

/** Numbers reserved at once: a database write per this many tokens. */
export const SERIAL_BLOCK_SIZE = 1024;

/** Hands out serial numbers from reserved blocks. */
export class SerialNumbers {
  private next = 0n;
  private end = 0n;
  /** Blocks reserved and not yet begun, oldest first: each is pushed once and begun once. */
  private readonly reserved: Array<{ first: bigint; end: bigint }> = [];
  /** The reservation under way, shared by every caller that waits for a block. */
  private reserving: Promise<void> | undefined;

  constructor(
    private readonly source: SerialBlockSource,
    private readonly blockSize = SERIAL_BLOCK_SIZE,
  ) {}

  /** A serial number no token of this TSA had or will have. */
  async take(): Promise<bigint> {
    for (;;) {
      if (this.next < this.end) {
        const serial = this.next;
        this.next += 1n;
        // Half used: reserve the next block now, so that no request waits for the database. A
        // failure here is reported by the take() that needs the block and tries again.
        if (this.end - this.next === BigInt(this.blockSize >> 1) && this.reserved.length === 0) this.reserve().catch(() => undefined);
        return serial;
      }
      const block = this.reserved.shift();
      if (block) ({ first: this.next, end: this.end } = block);
      else await this.reserve();
    }
  }

  private reserve(): Promise<void> {
    this.reserving ??= this.source
      .reserveBlock(this.blockSize)
      .then((first) => void this.reserved.push({ first, end: first + BigInt(this.blockSize) }))
      .finally(() => {
        this.reserving = undefined;
      });
    return this.reserving;
  }
}
