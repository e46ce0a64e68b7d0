// Gathers calls that arrive together into one batch: one database statement serves many concurrent
// requests (a group commit), while a lone call waits no longer than one turn of the event loop.

/** Runs a batch; must return one result per item, in order. */
export type BatchRunner<Item, Result> = (items: Item[]) => Promise<Result[]>;

export interface MicroBatcherOptions {
  /** Most items in one batch (default 64). */
  maxBatch?: number;
  /**
   * A batch leaves as soon as it holds this many items, without waiting for the end of the event-loop
   * turn (default: maxBatch). Below the number of concurrent callers, they split into groups: one
   * group's batch is written while the next group is still computing its items.
   */
  flushAt?: number;
  /** Batches running at once (default 1). */
  maxInFlight?: number;
  /**
   * While this says more items are on their way, a batch short of `flushAt` waits for them instead of
   * leaving at the end of the event-loop turn (default: never waits).
   */
  moreComing?: () => boolean;
}

/**
 * Returns a function that queues `item` and resolves with its result. Calls arriving while batches
 * run form the next one. A failing batch rejects every call in it.
 */
export function microBatcher<Item, Result>(run: BatchRunner<Item, Result>, options: MicroBatcherOptions = {}): (item: Item) => Promise<Result> {
  const maxBatch = options.maxBatch ?? 64;
  const flushAt = Math.min(options.flushAt ?? maxBatch, maxBatch);
  const maxInFlight = options.maxInFlight ?? 1;
  const moreComing = options.moreComing ?? (() => false);
  const queue: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  let inFlight = 0;
  let scheduled = false;
  const flush = async () => {
    inFlight++;
    const batch = queue.splice(0, maxBatch);
    try {
      const results = await run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      inFlight--;
      if (queue.length > 0) schedule();
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (queue.length === 0 || inFlight >= maxInFlight) return; // a batch ending schedules the next
      if (queue.length < flushAt && moreComing()) schedule();
      else void flush();
    });
  };
  return (item) =>
    new Promise<Result>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (queue.length >= flushAt && inFlight < maxInFlight) void flush();
      else if (inFlight < maxInFlight) schedule();
    });
}
