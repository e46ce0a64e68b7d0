// Gives CPU-heavy steps (signing a credential takes about 0.4 ms) one event-loop turn each. Without it,
// concurrent issues advance in lock step: all sign in one burst, then all wait on their store writes
// while the CPU idles. With it, each finishes (queues its write) before the next signs, and the store's
// answers are handled between two signatures, so one group's write overlaps with the next group's signing.

/** Hands out event-loop turns in arrival order, one caller per turn. */
export class TurnQueue {
  private readonly queue: Array<() => void> = [];
  private scheduled = false;

  /** Callers waiting for a turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves at the start of a turn of the caller's own; do the heavy step right after it. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const resolve = this.queue.shift();
      if (this.queue.length > 0) this.schedule();
      resolve?.();
    });
  }
}
